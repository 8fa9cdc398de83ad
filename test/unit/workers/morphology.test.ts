import { describe, expect, it } from 'vitest';
import { dilate, erode, open, squaredDistanceTo } from '../../../workers/morphology.js';

function grid(rows: string[]): { mask: Uint8Array; width: number; height: number } {
  const width = rows[0]!.length;
  return {
    mask: Uint8Array.from(
      rows
        .join('')
        .split('')
        .map((c) => (c === '#' ? 1 : 0)),
    ),
    width,
    height: rows.length,
  };
}
const draw = (mask: Uint8Array, width: number) =>
  Array.from({ length: mask.length / width }, (_, y) =>
    [...mask.subarray(y * width, (y + 1) * width)].map((v) => (v ? '#' : '.')).join(''),
  );

describe('squaredDistanceTo', () => {
  it('is exact on a small grid', () => {
    const { mask, width, height } = grid(['#....', '.....', '.....']);
    expect([...squaredDistanceTo(mask, width, height)]).toEqual([0, 1, 4, 9, 16, 1, 2, 5, 10, 17, 4, 5, 8, 13, 20]);
  });
});

describe('dilate', () => {
  it('grows a pixel into skimage disk(1) (a cross) and disk(2) (13 pixels)', () => {
    const { mask, width, height } = grid(['.....', '.....', '..#..', '.....', '.....']);
    expect(draw(dilate(mask, width, height, 1), width)).toEqual(['.....', '..#..', '.###.', '..#..', '.....']);
    expect(draw(dilate(mask, width, height, 2), width)).toEqual(['..#..', '.###.', '#####', '.###.', '..#..']);
  });
});

describe('erode and open', () => {
  it('opening by disk(2) removes a 3×3 speck and keeps a 7×7 block, rounding its inner corner', () => {
    const rows = [
      '..............',
      '.###..........',
      '.###...#######',
      '.###...#######',
      '.......#######',
      '.......#######',
      '.......#######',
      '.......#######',
      '.......#######',
    ];
    const { mask, width, height } = grid(rows);
    const opened = draw(open(mask, width, height, 2), width);
    expect(opened.map((row) => row.slice(0, 6))).toEqual(Array(9).fill('......'));
    // The block touches the right and bottom edges: outside counts as foreground for erosion, so those edges stay;
    // its one inner corner is rounded by the disk, as opening does (skimage gives the same).
    expect(opened.slice(2).map((row) => row.slice(7))).toEqual(['..#####', '.######', ...Array(5).fill('#######')]);
  });
  it('erosion keeps edges (outside counts as foreground)', () => {
    const { mask, width, height } = grid(['###', '###']);
    expect([...erode(mask, width, height, 1)]).toEqual([1, 1, 1, 1, 1, 1]);
  });
  it('does not mutate its input', () => {
    const { mask, width, height } = grid(['.#.', '###', '.#.']);
    const copy = mask.slice();
    open(mask, width, height, 1);
    dilate(mask, width, height, 3);
    expect(mask).toEqual(copy);
  });
});
