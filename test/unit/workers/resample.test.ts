import { describe, expect, it } from 'vitest';
import { toCrs, fromCrs } from '../../../aoi/aoi.project.js';
import { resampleToGrid } from '../../../workers/resample.js';

const source = {
  data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, NaN, 11, 12]),
  width: 4,
  height: 3,
  transform: [1000, 10, 0, 2000, 0, -10] as const,
};

describe('resampleToGrid, same CRS', () => {
  it('copies an aligned window exactly, NaN kept only where it was', () => {
    const out = resampleToGrid(source, { width: 2, height: 2, transform: [1010, 10, 0, 1990, 0, -10] }, 'bilinear');
    expect([...out].map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual([6, 7, 'NaN', 11]);
  });
  it('upsamples 20 m to 10 m: nearest repeats, bilinear interpolates between centres', () => {
    const target = { width: 4, height: 2, transform: [1000, 5, 0, 2000, 0, -5] as const };
    expect([...resampleToGrid(source, target, 'nearest')]).toEqual([1, 1, 2, 2, 1, 1, 2, 2]);
    const bilinear = resampleToGrid(source, target, 'bilinear');
    // Target centre (1007.5, 1997.5) is 0.25 px right of and 0.25 px below source centre (1005, 1995) … clamped at edges.
    expect(bilinear[1]).toBeCloseTo(1 * 0.75 + 2 * 0.25, 6);
  });
  it('fills outside the source', () => {
    const out = resampleToGrid(source, { width: 1, height: 1, transform: [0, 10, 0, 0, 0, -10] }, 'nearest', {
      fill: -1,
    });
    expect(out[0]).toBe(-1);
  });
});

describe('resampleToGrid, neighbouring UTM zone', () => {
  it('matches the exact transform within 1/8 pixel (approximate transformer)', () => {
    // A 35S grid near Bukavu, sampled from a source in 36S holding its own easting as values.
    const to36 = toCrs(32736);
    const from35 = fromCrs(32735);
    const [sx, sy] = to36(from35([705_000, 9_725_000]));
    const width = 600;
    const height = 600;
    const data = new Float32Array(width * height);
    const origin: [number, number] = [Math.floor(sx - 3000), Math.floor(sy + 3000)];
    for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) data[r * width + c] = c;
    const src = { data, width, height, transform: [origin[0], 10, 0, origin[1], 0, -10] as const };
    const target = { width: 300, height: 300, transform: [705_000 - 1500, 10, 0, 9_725_000 + 1500, 0, -10] as const };
    const transformer = (x: number, y: number) => to36(from35([x, y]));
    const out = resampleToGrid(src, target, 'bilinear', { transformer });
    let worst = 0;
    for (const [column, row] of [
      [0, 0],
      [150, 150],
      [299, 299],
      [17, 263],
    ] as const) {
      const [x] = transformer(705_000 - 1500 + (column + 0.5) * 10, 9_725_000 + 1500 - (row + 0.5) * 10);
      const exact = (x - origin[0]) / 10 - 0.5;
      worst = Math.max(worst, Math.abs(out[row * 300 + column]! - exact));
    }
    expect(worst).toBeLessThan(0.125);
  });
});
