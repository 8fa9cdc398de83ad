import { describe, expect, it } from 'vitest';
import {
  areaM2,
  findCrossing,
  ringAreaM2,
  segmentsIntersect,
  simplifyRing,
  withoutRepeats,
  type Ring,
} from '../../../aoi/geometry.js';

const square: Ring = [
  [0, 0],
  [1, 0],
  [1, 1],
  [0, 1],
  [0, 0],
];

describe('ringAreaM2', () => {
  it('matches GeographicLib for a 1°×1° cell at the equator (Karney 2013: 12,308,778,361.47 m²)', () => {
    expect(ringAreaM2(square)).toBeCloseTo(12_308_778_361.47, 1);
  });
  it('is the same whatever the winding', () => {
    expect(ringAreaM2([...square].reverse())).toBeCloseTo(ringAreaM2(square), 3);
  });
  it('subtracts holes', () => {
    const hole: Ring = [
      [0.25, 0.25],
      [0.25, 0.75],
      [0.75, 0.75],
      [0.75, 0.25],
      [0.25, 0.25],
    ];
    const withHole = areaM2({ type: 'Polygon', coordinates: [square, hole] });
    expect(withHole).toBeCloseTo(ringAreaM2(square) - ringAreaM2(hole), 3);
    expect(withHole / ringAreaM2(square)).toBeCloseTo(0.75, 3);
  });
});

describe('segmentsIntersect', () => {
  it.each([
    [[0, 0], [2, 2], [0, 2], [2, 0], true],
    [[0, 0], [1, 0], [2, 0], [3, 0], false],
    [[0, 0], [2, 0], [1, 0], [3, 0], true],
    [[0, 0], [1, 1], [1, 1], [2, 0], true],
    [[0, 0], [1, 0], [0, 1], [1, 1], false],
  ] as const)('%j-%j vs %j-%j → %s', (a, b, c, d, expected) => {
    expect(segmentsIntersect([...a], [...b], [...c], [...d])).toBe(expected);
  });
});

describe('findCrossing', () => {
  it('finds nothing in a simple square or triangle', () => {
    expect(findCrossing([square])).toBeUndefined();
    expect(
      findCrossing([
        [
          [0, 0],
          [1, 0],
          [0, 1],
          [0, 0],
        ],
      ]),
    ).toBeUndefined();
  });
  it('finds a bow-tie', () => {
    const crossing = findCrossing([
      [
        [0, 0],
        [1, 1],
        [1, 0],
        [0, 1],
        [0, 0],
      ],
    ]);
    expect(crossing).toMatchObject({ ringA: 0, ringB: 0, segmentA: 0, segmentB: 2 });
  });
  it('finds a spike that folds back on itself', () => {
    expect(
      findCrossing([
        [
          [0, 0],
          [2, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
      ]),
    ).toBeDefined();
  });
  it('finds a ring touching itself at a vertex', () => {
    expect(
      findCrossing([
        [
          [0, 0],
          [2, 0],
          [1, 1],
          [2, 2],
          [0, 2],
          [1, 1],
          [0, 0],
        ],
      ]),
    ).toBeDefined();
  });
  it('finds a hole crossing its shell', () => {
    const hole: Ring = [
      [0.5, 0.5],
      [1.5, 0.5],
      [1.5, 0.7],
      [0.5, 0.7],
      [0.5, 0.5],
    ];
    expect(findCrossing([square, hole])).toMatchObject({ ringA: 0, ringB: 1 });
  });
  it('handles a long real-like ring quickly (sweep, not all pairs)', () => {
    const ring: Ring = [];
    for (let i = 0; i < 20_000; i++) {
      const angle = (i / 20_000) * 2 * Math.PI;
      ring.push([Math.cos(angle) * (1 + 0.01 * Math.sin(angle * 50)), Math.sin(angle)]);
    }
    ring.push(ring[0]!);
    expect(findCrossing([ring])).toBeUndefined();
  });
});

describe('simplifyRing', () => {
  it('drops vertices closer than the tolerance and keeps the ring closed', () => {
    const dense: Ring = [];
    for (let i = 0; i <= 100; i++) dense.push([i / 100, (i % 2) * 1e-6]);
    dense.push([1, 1], [0, 1], [0, 0]);
    const simplified = simplifyRing(dense, 10);
    expect(simplified.length).toBeLessThan(10);
    expect(simplified[0]).toEqual(simplified[simplified.length - 1]);
    expect(areaM2({ type: 'Polygon', coordinates: [simplified] }) / ringAreaM2(square)).toBeCloseTo(1, 4);
  });
  it('does not mutate its input', () => {
    const copy = structuredClone(square);
    simplifyRing(square, 1_000_000);
    expect(square).toEqual(copy);
  });
});

describe('withoutRepeats', () => {
  it('drops consecutive duplicates only', () => {
    expect(
      withoutRepeats([
        [0, 0],
        [0, 0],
        [1, 0],
        [0, 0],
      ]),
    ).toEqual([
      [0, 0],
      [1, 0],
      [0, 0],
    ]);
  });
});
