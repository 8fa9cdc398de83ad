import { describe, expect, it } from 'vitest';
import { changeBlock, type ChangeBlockTask } from '../../../workers/change.block.js';
import { DEFAULT_FOREST_LOSS, FOREST_LOSS_CLASSES as C } from '../../../workers/products/forest.loss.js';
import { CONFIDENCE } from '../../../workers/products/product.js';

const task = (overrides: Partial<ChangeBlockTask>): ChangeBlockTask => ({
  type: 'change-block',
  width: 3,
  height: 2,
  halo: [0, 0, 0, 0],
  baseline: [],
  monitoring: [],
  openPx: 0,
  dilatePx: 0,
  inside: new Uint8Array(6).fill(1),
  products: [{ type: 'forest-loss', params: DEFAULT_FOREST_LOSS }],
  bands: ['red', 'nir'],
  indices: [],
  ...overrides,
});

const date = (day: number, red: number[], nir: number[], swir16?: number[]) => ({
  day,
  bands: {
    red: Float32Array.from(red),
    nir: Float32Array.from(nir),
    ...(swir16 ? { swir16: Float32Array.from(swir16) } : {}),
  },
  states: new Uint8Array(red.length).fill(1),
});

describe('changeBlock', () => {
  it('a block no scene reached is not seen (NaN composites, zero counts), never zeros', () => {
    const result = changeBlock(task({}));
    expect([...result.baseline.ndvi].every(Number.isNaN)).toBe(true);
    expect([...result.monitoring.count]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...result.baseline.lastDay]).toEqual([-1, -1, -1, -1, -1, -1]);
  });

  it('composites every band read and the indices asked for; a NaN in any band makes the observation missing', () => {
    const result = changeBlock(
      task({
        bands: ['red', 'nir', 'swir16'],
        indices: ['ndbi'],
        baseline: [
          date(10, [0.1, 0.1, 0.1, 0.1, 0.1, 0.1], [0.3, 0.3, 0.3, 0.3, 0.3, 0.3], [0.2, 0.2, NaN, 0.2, 0.2, 0.2]),
          date(11, [0.2, 0.2, 0.2, 0.2, 0.2, 0.2], [0.4, 0.4, 0.4, 0.4, 0.4, 0.4], [0.6, 0.6, 0.6, 0.6, 0.6, 0.6]),
        ],
      }),
    );
    expect(result.baseline.bands.swir16![0]).toBeCloseTo(0.4, 6);
    expect([...result.baseline.count]).toEqual([2, 2, 1, 2, 2, 2]);
    // Pixel 2: only the second date is clear, so every band's median is that date's value.
    expect(result.baseline.bands.red[2]).toBeCloseTo(0.2, 6);
    expect(result.baseline.indices.ndbi![2]).toBeCloseTo((0.6 - 0.4) / (0.6 + 0.4), 6);
    expect(result.baseline.indices.ndbi![0]).toBeCloseTo((0.4 - 0.35) / (0.4 + 0.35), 6);
  });

  it('refuses a date that lacks a band the task names', () => {
    expect(() =>
      changeBlock(
        task({ bands: ['red', 'nir', 'swir16'], baseline: [date(1, [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1])] }),
      ),
    ).toThrow(/lacks the swir16 band/);
  });

  it('classifies the block for each product the task names, in the worker, with the evidence behind each pixel', () => {
    const forest = [0.05, 0.05, 0.05, 0.05, 0.05, 0.05];
    const nirForest = [0.45, 0.45, 0.45, 0.45, 0.45, 0.45];
    // Pixels 0-1 cleared on every monitoring date; pixel 2 seen cleared on the second date only (its median stays
    // forest, but that date shows the drop); pixel 5 is outside the AOI.
    const cleared = (at: number[]) => forest.map((value, i) => (at.includes(i) ? 0.2 : value));
    const nirCleared = (at: number[]) => nirForest.map((value, i) => (at.includes(i) ? 0.22 : value));
    const result = changeBlock(
      task({
        inside: Uint8Array.from([1, 1, 1, 1, 1, 0]),
        baseline: [date(10, forest, nirForest)],
        monitoring: [
          date(20, cleared([0, 1]), nirCleared([0, 1])),
          date(25, cleared([0, 1, 2]), nirCleared([0, 1, 2])),
          date(30, cleared([0, 1]), nirCleared([0, 1])),
        ],
      }),
    );
    const loss = result.products['forest-loss']!;
    expect([...loss.classes]).toEqual([C.loss, C.loss, C.stableForest, C.stableForest, C.stableForest, C.outside]);
    expect([...loss.confidence!]).toEqual([CONFIDENCE.high, CONFIDENCE.high, 0, 0, 0, CONFIDENCE.outside]);
    expect([...loss.firstDay!]).toEqual([20, 20, 25, -1, -1, -1]);
    expect([...loss.layers!.showing!]).toEqual([3, 3, 1, 0, 0, 0]);
  });
});
