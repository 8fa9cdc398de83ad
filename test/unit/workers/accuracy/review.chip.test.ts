import { describe, expect, it } from 'vitest';
import { reviewChip, sceneChip } from '../../../../workers/accuracy/review.chip.js';
import { CLEAR, CLOUD } from '../../../../workers/masks.js';
import { NOT_SEEN_COLOUR } from '../../../../workers/render.js';

const rgbAt = (rgba: Uint8Array, width: number, x: number, y: number) => [
  ...rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 3),
];

describe('review chips', () => {
  it('draws each raster pixel zoom × zoom and rings the centre pixel outside it', () => {
    const values = Float32Array.from({ length: 9 }, (_, i) => (i === 4 ? 0.9 : NaN));
    const chip = reviewChip(values, 3, 6);
    expect([chip.width, chip.height]).toEqual([18, 18]);
    // The centre pixel (6..11) keeps its colour; the ring is just outside: magenta at 5, black at 4.
    expect(rgbAt(chip.rgba, 18, 8, 8)).toEqual([0, 69, 41]);
    expect(rgbAt(chip.rgba, 18, 5, 8)).toEqual([255, 0, 255]);
    expect(rgbAt(chip.rgba, 18, 4, 8)).toEqual([0, 0, 0]);
    expect(rgbAt(chip.rgba, 18, 0, 0)).toEqual([...NOT_SEEN_COLOUR]);
  });

  it('a scene with blue and green is true colour; without, NDVI; pixels not clear are hatched', () => {
    const side = 3;
    const band = (value: number) => new Float32Array(side * side).fill(value);
    const states = Uint8Array.from({ length: 9 }, (_, i) => (i === 0 ? CLOUD : CLEAR));
    const colour = sceneChip({ red: band(0.25), green: band(0.0625), blue: band(0), nir: band(0.3), states }, side, 4);
    expect(colour.kind).toBe('true colour');
    // Reflectance 0.25 is white in its channel, 0.0625 is (1/4)^(1/1.8) of it, 0 black.
    expect(rgbAt(colour.picture.rgba, 12, 10, 1)).toEqual([255, Math.round(255 * 0.25 ** (1 / 1.8)), 0]);
    // The cloudy pixel: grey stripes where (x + y) % 4 === 0, its colour between them.
    expect(rgbAt(colour.picture.rgba, 12, 0, 0)).toEqual([...NOT_SEEN_COLOUR]);
    expect(rgbAt(colour.picture.rgba, 12, 1, 0)[0]).toBe(255);
    const ndvi = sceneChip({ red: band(0.05), nir: band(0.45), states }, side, 4);
    expect(ndvi.kind).toBe('NDVI');
  });
});
