import { describe, expect, it } from 'vitest';
import {
  allocate,
  BUFFER_STRATUM,
  drawSample,
  expectedChangeSe,
  NOT_SAMPLED,
  seededRandom,
  strataOf,
} from '../../../../workers/accuracy/sampling.js';

const CLASSES = [
  { value: 1, name: 'non-forest' },
  { value: 2, name: 'stable-forest' },
  { value: 3, name: 'loss' },
];

/** 20 × 10 pixels: a 2 × 2 loss patch at (10, 5), forest on the left half, non-forest right, one not-seen column. */
function scene() {
  const width = 20;
  const height = 10;
  const codes = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) codes[y * width + x] = x === 0 ? 0 : x === 19 ? 255 : x < 10 ? 2 : 1;
  for (const [x, y] of [
    [10, 5],
    [11, 5],
    [10, 6],
    [11, 6],
  ] as const)
    codes[y * width + x] = 3;
  const pixelHaByColumn = Float64Array.from({ length: width }, (_, x) => 0.01 + x * 1e-6);
  return { codes, width, height, pixelHaByColumn, classes: CLASSES, changeCodes: [3], notSeenCode: 0 };
}

describe('strataOf', () => {
  it('puts change strata first, counts true areas and leaves not-seen and outside pixels out', () => {
    const { strata, stratumOf, notAssessed } = strataOf({ ...scene(), bufferRadiusPx: 0 });
    expect(strata.map((s) => [s.name, s.pixels, s.change])).toEqual([
      ['loss', 4, true],
      ['non-forest', 86, false],
      ['stable-forest', 90, false],
    ]);
    expect(notAssessed.pixels).toBe(10);
    expect(notAssessed.areaHa).toBeCloseTo(0.1, 12);
    expect(strata[0]!.areaHa).toBeCloseTo(2 * (0.01 + 10e-6) + 2 * (0.01 + 11e-6), 12);
    expect(stratumOf.filter((h) => h === NOT_SAMPLED).length).toBe(20);
  });

  it('takes stable pixels within the buffer radius of change into a buffer stratum', () => {
    const { strata } = strataOf({ ...scene(), bufferRadiusPx: 1 });
    expect(strata.map((s) => s.name)).toEqual(['loss', BUFFER_STRATUM, 'non-forest', 'stable-forest']);
    // A 4-neighbourhood ring of radius 1 around a 2 × 2 square: 8 pixels.
    expect(strata[1]!.pixels).toBe(8);
    expect(strata.reduce((sum, s) => sum + s.pixels, 0)).toBe(180);
  });
});

describe('allocate', () => {
  const strata = [
    { name: 'loss', pixels: 1_000, areaHa: 10 },
    { name: 'forest', pixels: 30_000, areaHa: 300 },
    { name: 'other', pixels: 69_000, areaHa: 690 },
  ];
  it('gives rare strata the minimum and the rest in proportion to area, adding up to n', () => {
    const counts = allocate(strata, 300, 50);
    expect(counts[0]).toBe(50);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(300);
    // 250 left over forest and other in the ratio 300 : 690.
    expect(counts[1]).toBe(Math.round((250 * 300) / 990));
  });
  it('takes every pixel of a stratum smaller than the minimum', () => {
    expect(allocate([{ name: 'tiny', pixels: 7, areaHa: 0.07 }, ...strata.slice(1)], 200, 50)[0]).toBe(7);
  });
  it('refuses a sample too small for the minimum, or larger than the population', () => {
    expect(() => allocate(strata, 100, 50)).toThrow(/too small: 150 are needed/);
    expect(() => allocate(strata, 200_000, 50)).toThrow(/larger than the 100000 pixels/);
  });
});

describe('expectedChangeSe', () => {
  it("is Olofsson's eq. 5 with conjectured proportions", () => {
    const strata = [
      { name: 'loss', pixels: 100, areaHa: 1, codes: [3], change: true },
      { name: 'stable', pixels: 900, areaHa: 9, codes: [2], change: false },
    ];
    const se = expectedChangeSe(strata, [50, 100], { usersAccuracy: 0.8, omission: 0.01 });
    expect(se ** 2).toBeCloseTo((0.01 * 0.16) / 49 + (0.81 * 0.0099) / 99, 15);
  });
});

describe('drawSample', () => {
  it('draws exactly the allocation from each stratum, reproducibly, in an order that hides the strata', () => {
    const { strata, stratumOf } = strataOf({ ...scene(), bufferRadiusPx: 0 });
    const a = drawSample(stratumOf, strata, [4, 10, 10], seededRandom(7));
    const b = drawSample(stratumOf, strata, [4, 10, 10], seededRandom(7));
    expect(a).toEqual(b);
    expect([0, 1, 2].map((h) => a.filter((u) => u.stratum === h).length)).toEqual([4, 10, 10]);
    expect(new Set(a.map((u) => u.pixel)).size).toBe(24);
    for (const unit of a) expect(stratumOf[unit.pixel]).toBe(unit.stratum);
    expect(a.slice(0, 4).every((u) => u.stratum === 0)).toBe(false);
    expect(drawSample(stratumOf, strata, [4, 10, 10], seededRandom(8))).not.toEqual(a);
  });

  it('gives every pixel of a stratum the same inclusion probability', () => {
    const stratumOf = new Uint8Array(10);
    const strata = [{ name: 's', pixels: 10, areaHa: 1 }];
    const hits = new Array<number>(10).fill(0);
    const random = seededRandom(1);
    const draws = 20_000;
    for (let i = 0; i < draws; i++)
      for (const unit of drawSample(stratumOf, strata, [3], random)) hits[unit.pixel]! += 1;
    // Each pixel: p = 0.3, sd of the count = sqrt(20000 · 0.3 · 0.7) ≈ 65; 5 sd either side.
    for (const count of hits) expect(Math.abs(count - 6_000)).toBeLessThan(325);
  });
});

describe('seededRandom', () => {
  it('is uniform on [0, 1) and reproducible', () => {
    const random = seededRandom(42);
    const values = Array.from({ length: 100_000 }, random);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeCloseTo(0.5, 2);
    expect(seededRandom(42)()).toBe(values[0]);
  });
});
