import { describe, expect, it } from 'vitest';
import { medianComposite } from '../../../workers/composite.js';
import { availableIndices, normalizedDifference } from '../../../workers/indices.js';

describe('medianComposite', () => {
  it('takes the median of clear observations (mean of the two middle ones for an even count), count and last day', () => {
    // Four pixels, four dates.
    const values = [
      Float32Array.from([0.1, 0.5, NaN, 0.3]),
      Float32Array.from([0.4, 0.2, NaN, 0.9]),
      Float32Array.from([0.2, 0.9, NaN, 0.1]),
      Float32Array.from([0.3, 0.4, NaN, 0.6]),
    ];
    const clear = [
      Uint8Array.from([1, 1, 1, 0]),
      Uint8Array.from([1, 0, 1, 1]),
      Uint8Array.from([1, 1, 1, 0]),
      Uint8Array.from([0, 1, 1, 0]),
    ];
    const days = [18779, 18784, 18789, 18794];
    const result = medianComposite({ values, clear, days });
    // pixel 0: clear 0.1, 0.4, 0.2 → 0.2; pixel 1: 0.5, 0.9, 0.4 → 0.5; pixel 2: all NaN → none; pixel 3: 0.9 only.
    expect([...result.median].map((v) => (Number.isNaN(v) ? 'NaN' : Number(v.toFixed(6))))).toEqual([
      0.2,
      0.5,
      'NaN',
      0.9,
    ]);
    expect([...result.count]).toEqual([3, 3, 0, 1]);
    expect([...result.lastDay]).toEqual([18789, 18794, -1, 18784]);
  });

  it('averages the two middle values for an even count (numpy nanmedian)', () => {
    const result = medianComposite({
      values: [Float32Array.from([0.1]), Float32Array.from([0.7]), Float32Array.from([0.3]), Float32Array.from([0.5])],
      clear: [Uint8Array.of(1), Uint8Array.of(1), Uint8Array.of(1), Uint8Array.of(1)],
      days: [1, 2, 3, 4],
    });
    expect(result.median[0]).toBeCloseTo(0.4, 7);
  });

  it('refuses inputs of different lengths and does not mutate its input', () => {
    const values = [Float32Array.from([0.1, 0.2])];
    const clear = [Uint8Array.from([1, 1])];
    expect(() => medianComposite({ values, clear: [Uint8Array.of(1)], days: [1] })).toThrow(RangeError);
    medianComposite({ values, clear, days: [1] });
    expect([...values[0]!].map((v) => Number(v.toFixed(6)))).toEqual([0.1, 0.2]);
  });
});

describe('indices', () => {
  it('normalizedDifference with hand-computed values, NaN and a zero sum', () => {
    const nir = Float32Array.from([0.5, 0.3, NaN, 0]);
    const red = Float32Array.from([0.1, 0.3, 0.2, 0]);
    const ndvi = normalizedDifference(nir, red);
    expect(ndvi[0]).toBeCloseTo(0.4 / 0.6, 6);
    expect(ndvi[1]).toBe(0);
    expect(ndvi[2]).toBeNaN();
    expect(ndvi[3]).toBeNaN();
  });
  it('says which indices the bands allow and what the others lack', () => {
    const { available, skipped } = availableIndices(['red', 'nir']);
    expect(available.map((index) => index.name)).toEqual(['ndvi']);
    expect(skipped).toContainEqual({ name: 'bsi', missing: ['swir16', 'blue'] });
    expect(skipped).toContainEqual({ name: 'mndwi', missing: ['green', 'swir16'] });
  });
});
