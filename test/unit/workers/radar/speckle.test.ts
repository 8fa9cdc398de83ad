import { describe, expect, it } from 'vitest';
import { boxMean, decibelsToLinear, linearToDecibels, multitemporalFilter } from '../../../../workers/radar/speckle.js';

describe('backscatter units', () => {
  it('converts dB and linear power both ways; no power is no observation', () => {
    expect(Array.from(linearToDecibels([1, 0.1, 0.01, 0, -1, NaN]))).toEqual([0, -10, -20, NaN, NaN, NaN]);
    const back = decibelsToLinear([-7, -11.5, NaN]);
    expect(back[0]).toBeCloseTo(0.19953, 5);
    expect(back[1]).toBeCloseTo(0.070795, 6);
    expect(back[2]).toBeNaN();
  });
});

describe('boxMean', () => {
  it('averages the finite values of each clipped window', () => {
    // 3 × 2 image: 1 2 3 / 4 NaN 6
    const mean = boxMean([1, 2, 3, 4, NaN, 6], 3, 2, 1);
    expect(Array.from(mean)).toEqual([7 / 3, 16 / 5, 11 / 3, 7 / 3, 16 / 5, 11 / 3].map(Math.fround));
    expect(Array.from(boxMean([NaN, NaN], 2, 1, 0))).toEqual([NaN, NaN]);
    expect(() => boxMean([1, 2], 3, 1, 1)).toThrow(RangeError);
  });
});

describe('multitemporalFilter (Quegan & Yu 2001)', () => {
  it('leaves dates that are scaled copies of one pattern as they are, and averages a lone bright pass away', () => {
    const pattern = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const dates = [1, 0.5, 2].map((scale) => pattern.map((value) => value * scale));
    const before = dates.map((image) => [...image]);
    const filtered = multitemporalFilter(dates, 3, 3, { radius: 1, dates: 'all' });
    filtered.forEach((image, k) => image.forEach((value, i) => expect(value).toBeCloseTo(dates[k]![i]!, 5)));
    expect(dates).toEqual(before);
    // One speckle spike (×4 on one date, one pixel): local mean 12/9, ratios 1, 3, 1, so 12/9 × 5/3 = 20/9.
    const flat = [0, 1, 2].map(() => new Array<number>(9).fill(1));
    flat[1]![4] = 4;
    const smoothed = multitemporalFilter(flat, 3, 3, { radius: 1, dates: 'all' });
    expect(smoothed[1]![4]!).toBeCloseTo(20 / 9, 6);
    // … and lends it to the dates around it (× 5/3): the stationarity the filter assumes.
    expect(smoothed[0]![4]!).toBeCloseTo(5 / 3, 6);
    // Over past dates only, the first date keeps its value and the spike is averaged with one date: 4/3 × 4/2.
    const past = multitemporalFilter(flat, 3, 3, { radius: 1, dates: 'past' });
    expect(past[0]![4]!).toBeCloseTo(1, 6);
    expect(past[1]![4]!).toBeCloseTo(8 / 3, 6);
    expect(past[2]![4]!).toBeCloseTo(5 / 3, 6);
  });

  it('keeps a date NaN where it did not observe, and averages over the dates that did', () => {
    const images = [Float32Array.of(1, NaN), Float32Array.of(2, 2)];
    const filtered = multitemporalFilter(images, 2, 1, { radius: 0, dates: 'all' });
    expect(Array.from(filtered[0]!)).toEqual([1, NaN]);
    expect(Array.from(filtered[1]!)).toEqual([2, 2]);
  });
});
