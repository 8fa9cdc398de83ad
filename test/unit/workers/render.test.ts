import { describe, expect, it } from 'vitest';
import {
  NOT_SEEN_COLOUR,
  addClassBlock,
  addNdviBlock,
  classReduction,
  classesOver,
  ndviColour,
  ndviPicture,
  ndviReduction,
  reductionFactor,
  type Picture,
} from '../../../workers/render.js';

/** A 4×2 raster added as two 2×2 blocks, right one first, as blocks arrive from the pool. */
const halves = (
  add: (block: { x0: number; y0: number; width: number; height: number }, pick: (i: number) => number) => void,
) => {
  for (const x0 of [2, 0]) add({ x0, y0: 0, width: 2, height: 2 }, (i) => (i >> 1) * 4 + x0 + (i & 1));
};

function ndviOf(ndvi: Float32Array, inside: Uint8Array): Picture {
  const reduction = ndviReduction(4, 2, 2);
  halves((block, at) =>
    addNdviBlock(
      reduction,
      block,
      Float32Array.from([0, 1, 2, 3], (i) => ndvi[at(i)]!),
      Uint8Array.from([0, 1, 2, 3], (i) => inside[at(i)]!),
    ),
  );
  return ndviPicture(reduction);
}

describe('render', () => {
  it('reduces by the whole factor that fits the longer side', () => {
    expect(reductionFactor(2048, 100, 2048)).toBe(1);
    expect(reductionFactor(2049, 100, 2048)).toBe(2);
    expect(reductionFactor(100, 10_000, 256)).toBe(40);
  });

  it('colours NDVI along the ramp, clamped at both ends', () => {
    expect(ndviColour(-1)).toEqual([255, 255, 229]);
    expect(ndviColour(0.2)).toEqual([217, 240, 163]);
    expect(ndviColour(0.45)).toEqual([120, 198, 121]);
    // Halfway between the 0.7 and 0.9 stops, up to rounding of 0.8 in binary.
    const [r, g, b] = ndviColour(0.8);
    expect([Math.abs(r - 17.5), Math.abs(g - 100.5), Math.abs(b - 54)].every((d) => d <= 0.5)).toBe(true);
    expect(ndviColour(1)).toEqual([0, 69, 41]);
  });

  it('averages the NDVI seen in a cell, greys cells not seen, leaves outside transparent', () => {
    // 4×2 reduced by 2 (max side 2): cells [0.2, NaN | 0.2, 0.2] → 0.2; [NaN, NaN | NaN, NaN] inside → not seen.
    const ndvi = Float32Array.from([0.2, NaN, NaN, NaN, 0.2, 0.2, NaN, NaN]);
    const inside = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 0]);
    const picture = ndviOf(ndvi, inside);
    expect([picture.width, picture.height]).toEqual([2, 1]);
    expect([...picture.rgba.subarray(0, 4)]).toEqual([...ndviColour(0.2), 255]);
    expect([...picture.rgba.subarray(4, 8)]).toEqual([...NOT_SEEN_COLOUR, 255]);
    const outside = ndviOf(ndvi, new Uint8Array(8));
    expect([...outside.rgba]).toEqual(new Array(8).fill(0));
  });

  it('paints each row of cells once its grid rows are all added, and a row never finished from what it has', () => {
    // 4 × 3 grid reduced by 2 (max side 2): cell rows cover grid rows 0-1 and 2 (the last, one row high).
    const reduction = ndviReduction(4, 3, 2);
    const add = (x0: number, y0: number, height: number, value: number) =>
      addNdviBlock(
        reduction,
        { x0, y0, width: 2, height },
        new Float32Array(2 * height).fill(value),
        new Uint8Array(2 * height).fill(1),
      );
    add(0, 0, 2, 0.2);
    expect(reduction.open.size).toBe(1);
    expect([...reduction.rgba.subarray(0, 8)]).toEqual(new Array(8).fill(0));
    add(2, 0, 2, 0.45);
    // The first row is whole: painted, its sums gone.
    expect(reduction.open.has(0)).toBe(false);
    expect([...reduction.rgba.subarray(0, 8)]).toEqual([...ndviColour(0.2), 255, ...ndviColour(0.45), 255]);
    // Of the last row only the left block came: its right cell stays transparent, its left cell is painted.
    add(0, 2, 1, 0.7);
    expect(reduction.open.has(1)).toBe(true);
    const picture = ndviPicture(reduction);
    expect([...picture.rgba.subarray(8, 16)]).toEqual([...ndviColour(0.7), 255, 0, 0, 0, 0]);
  });

  it('shows the class of highest priority present in a reduced cell, over the base', () => {
    const base = { width: 2, height: 1, rgba: Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 255]) };
    const classes = Uint8Array.from([1, 3, 1, 1, 0, 1, 1, 1]);
    const reduction = classReduction(4, 2, 2, [3, 0]);
    halves((block, at) =>
      addClassBlock(
        reduction,
        block,
        Uint8Array.from([0, 1, 2, 3], (i) => classes[at(i)]!),
      ),
    );
    const picture = classesOver(
      base,
      reduction,
      new Map([
        [3, [255, 0, 0] as const],
        [0, [9, 9, 9] as const],
      ]),
    );
    expect([...picture.rgba]).toEqual([255, 0, 0, 255, 4, 5, 6, 255]);
    expect([...base.rgba]).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
  });
});
