import { describe, expect, it } from 'vitest';
import { displayBytes, displayFor, displayScale } from '../../../workers/display.js';

const scene = (...bands: string[]) => ({ bands: Object.fromEntries(bands.map((band) => [band, {}])) });

describe('colour composites', () => {
  it('makes true colour when every scene has blue, green and red, else NIR-red-green, else none', () => {
    expect(displayFor([scene('blue', 'green', 'red', 'nir'), scene('blue', 'green', 'red')])?.kind).toBe('true-colour');
    // One scene without blue (a red/green/NIR export beside full L2A): the period's composite would mix, so false colour.
    expect(displayFor([scene('blue', 'green', 'red', 'nir'), scene('green', 'red', 'nir')])?.kind).toBe('false-colour');
    expect(displayFor([scene('red', 'nir')])).toBeUndefined();
    expect(displayFor([])).toBeUndefined();
  });

  it('stretches reflectance linearly onto 1..255, 0 for not seen or outside', () => {
    const bytes = displayBytes(Float32Array.of(NaN, -0.05, 0, 0.1, 0.2, 0.9, 0.1), 0.2, [1, 1, 1, 1, 1, 1, 0]);
    expect([...bytes]).toEqual([0, 1, 1, 128, 255, 255, 0]);
    const { scale, offset } = displayScale(0.2);
    // The STAC scale and offset give the reflectance back below saturation.
    expect(128 * scale + offset).toBeCloseTo(0.1, 3);
    expect(255 * scale + offset).toBeCloseTo(0.2, 12);
  });
});
