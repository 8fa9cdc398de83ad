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

/** The median as it was computed before selection: insertion sort of the clear values in order of arrival. */
function insertionSortMedian(values: number[]): number {
  const sorted: number[] = [];
  for (const value of values) {
    let j = sorted.length - 1;
    while (j >= 0 && sorted[j]! > value) {
      sorted[j + 1] = sorted[j]!;
      j--;
    }
    sorted[j + 1] = value;
  }
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('medianComposite by selection equals the insertion-sort median bit for bit', () => {
  const bits = (array: Float32Array) => Array.from(new Uint32Array(array.buffer));

  it.each([1, 2, 3, 4, 5, 8, 9, 14, 23, 40, 41])('%i dates: random values with ties, ±0, NaN and clouds', (dates) => {
    const next = random(dates);
    const pixels = 4000;
    // Few distinct values so ties are common; zeros of both signs; NaN and cloudy dates left out.
    const pool = [0, -0, 0.1, -0.1, 0.25, 0.3, 1e-3, 0.7, 0.7000001, 2, -2, NaN];
    const values = Array.from({ length: dates }, () =>
      Float32Array.from({ length: pixels }, () =>
        next() < 0.5 ? pool[Math.floor(next() * pool.length)]! : Math.fround(next() * 2 - 0.5),
      ),
    );
    const clear = Array.from({ length: dates }, () =>
      Uint8Array.from({ length: pixels }, () => (next() < 0.8 ? 1 : 0)),
    );
    const days = Array.from({ length: dates }, (_, d) => 18_000 + d * 5);
    const { median, count } = medianComposite({ values, clear, days });
    const expected = new Float32Array(pixels);
    for (let i = 0; i < pixels; i++) {
      const kept = values.map((band) => band[i]!).filter((value, d) => clear[d]![i] === 1 && !Number.isNaN(value));
      expected[i] = insertionSortMedian(kept);
      expect(count[i]).toBe(kept.length);
    }
    expect(bits(median)).toEqual(bits(expected));
  });

  it('over a region (a block without its halo) equals the whole composite cut to it, and refuses one outside', () => {
    const next = random(7);
    const [rowLength, rows, dates] = [37, 23, 9];
    const values = Array.from({ length: dates }, () =>
      Float32Array.from({ length: rowLength * rows }, () => (next() < 0.1 ? NaN : Math.fround(next()))),
    );
    const clear = Array.from({ length: dates }, () =>
      Uint8Array.from({ length: rowLength * rows }, () => (next() < 0.7 ? 1 : 0)),
    );
    const days = Array.from({ length: dates }, (_, d) => 18_000 + d * 5);
    const whole = medianComposite({ values, clear, days });
    const region = { left: 5, top: 3, width: 29, height: 11, rowLength };
    const part = medianComposite({ values, clear, days, region });
    const cut = <T extends Float32Array | Uint16Array | Int32Array>(array: T) =>
      Array.from({ length: region.height }, (_, row) => {
        const start = (region.top + row) * rowLength + region.left;
        return [...array.subarray(start, start + region.width)];
      }).flat();
    expect(part.median.length).toBe(region.width * region.height);
    expect(bits(part.median)).toEqual(bits(Float32Array.from(cut(whole.median))));
    expect([...part.count]).toEqual(cut(whole.count));
    expect([...part.lastDay]).toEqual(cut(whole.lastDay));
    expect(() => medianComposite({ values, clear, days, region: { ...region, top: 13 } })).toThrow(RangeError);
  });

  it('takes the sign of a zero median as the insertion sort did (−0 before 0 when it came first)', () => {
    const one = (value: number) => Float32Array.of(value);
    const result = medianComposite({
      values: [one(-0), one(0), one(5)],
      clear: [Uint8Array.of(1), Uint8Array.of(1), Uint8Array.of(1)],
      days: [1, 2, 3],
    });
    expect(Object.is(result.median[0], 0)).toBe(true);
    const reversed = medianComposite({
      values: [one(0), one(-0), one(5)],
      clear: [Uint8Array.of(1), Uint8Array.of(1), Uint8Array.of(1)],
      days: [1, 2, 3],
    });
    expect(Object.is(reversed.median[0], -0)).toBe(true);
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
