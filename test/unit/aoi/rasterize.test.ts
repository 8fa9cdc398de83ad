import { describe, expect, it } from 'vitest';
import { fromCrs } from '../../../aoi/aoi.project.js';
import { pixelAreaHaByColumn } from '../../../aoi/pixel.area.js';
import { rasterize } from '../../../aoi/rasterize.js';

describe('rasterize', () => {
  it('burns pixels whose centres fall inside, holes excluded', () => {
    const inverse = fromCrs(32735);
    // A 40 m × 30 m square from (700000, 9730000) with a 10 m × 10 m hole, on a 10 m grid of 6 × 5 pixels.
    const ring = (x0: number, y0: number, x1: number, y1: number) =>
      [
        [x0, y0],
        [x1, y0],
        [x1, y1],
        [x0, y1],
        [x0, y0],
      ].map(([x, y]) => inverse([x!, y!]));
    const geometry = {
      type: 'Polygon' as const,
      coordinates: [ring(700_010, 9_729_970, 700_050, 9_730_000), ring(700_020, 9_729_980, 700_030, 9_729_990)],
    };
    const mask = rasterize(geometry, {
      epsg: 32735,
      width: 6,
      height: 5,
      transform: [700_000, 10, 0, 9_730_010, 0, -10],
    });
    const rows = Array.from({ length: 5 }, (_, y) => [...mask.subarray(y * 6, y * 6 + 6)].join(''));
    expect(rows).toEqual(['000000', '011110', '010110', '011110', '000000']);
  });
});

describe('pixelAreaHaByColumn', () => {
  it('is 100 m² / k² with the UTM scale factor: 0.9996 on the central meridian, larger away from it', () => {
    const central = pixelAreaHaByColumn({
      epsg: 32735,
      width: 1,
      height: 1,
      transform: [499_995, 10, 0, 9_724_905, 0, -10],
    });
    expect(central[0]! / (0.01 / 0.9996 ** 2)).toBeCloseTo(1, 5);
    // Bukavu, 205.6 km east of the central meridian: k ≈ 0.9996 (1 + x²/2R²) ≈ 1.00012, so a pixel covers ≈ 99.976 m².
    const bukavu = pixelAreaHaByColumn({
      epsg: 32735,
      width: 1,
      height: 1,
      transform: [705_580, 10, 0, 9_724_905, 0, -10],
    });
    expect(bukavu[0]! * 1e4).toBeCloseTo(99.976, 2);
  });
});
