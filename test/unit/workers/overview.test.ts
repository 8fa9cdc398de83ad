import { describe, expect, it } from 'vitest';
import { halve, overviewSizes } from '../../../workers/overview.js';

describe('overviews', () => {
  it('average ignores NaN and rounds integer means; nearest takes the top-left pixel', () => {
    const floats = Float32Array.from([1, 2, NaN, 4, 3, NaN, NaN, NaN, 5, 6, 7, 8]);
    const averaged = halve(floats, 4, 3, 'average', undefined, (n) => new Float32Array(n));
    expect([...averaged.data].map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual([2, 4, 5.5, 7.5]);
    const integers = halve(Uint16Array.from([1, 2, 2, 2]), 2, 2, 'average', undefined, (n) => new Uint16Array(n));
    expect([...integers.data]).toEqual([2]);
    const nearest = halve(Uint8Array.from([1, 2, 3, 4, 5, 6]), 3, 2, 'nearest', undefined, (n) => new Uint8Array(n));
    expect([...nearest.data]).toEqual([1, 3]);
  });
  it('stops at the first level fitting one tile', () => {
    const levels = overviewSizes(1100, 300, 512);
    expect(levels.map((level) => [level.width, level.height])).toEqual([
      [1100, 300],
      [550, 150],
      [275, 75],
    ]);
  });
});
