import { describe, expect, it } from 'vitest';
import { changeBlock, type ChangeBlockTask } from '../../../workers/change.block.js';

const task = (overrides: Partial<ChangeBlockTask>): ChangeBlockTask => ({
  type: 'change-block',
  width: 3,
  height: 2,
  halo: [0, 0, 0, 0],
  baseline: [],
  monitoring: [],
  openPx: 0,
  dilatePx: 0,
  ndviDrop: 0.2,
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
});
