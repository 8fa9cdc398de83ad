import { describe, expect, it } from 'vitest';
import { applyMinimumMappingUnit, label8 } from '../../helpers/oracles.js';
import { addRowRuns, labelRuns, patchRaster, runsByPatch, RunTable } from '../../../workers/patches.js';

/** A mask with clustered change, so patches meet across block seams. */
function randomMask(width: number, height: number, seed: number): Uint8Array {
  let state = seed;
  const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const mask = new Uint8Array(width * height);
  for (let blob = 0; blob < (width * height) / 40; blob++) {
    const [cx, cy, r] = [random() * width, random() * height, random() * 3];
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(height, cy + r); y++)
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(width, cx + r); x++) mask[y * width + x] = 1;
  }
  return mask;
}

/** Runs of a mask gathered block by block, blocks in a shuffled order (as worker threads finish them). */
function runsOf(mask: Uint8Array, width: number, height: number, block: number, area: Float64Array): RunTable {
  const windows: Array<[number, number]> = [];
  for (let y0 = 0; y0 < height; y0 += block) for (let x0 = 0; x0 < width; x0 += block) windows.push([x0, y0]);
  windows.reverse();
  windows.push(windows.shift()!);
  const table = new RunTable();
  for (const [x0, y0] of windows) {
    const w = Math.min(block, width - x0);
    for (let y = y0; y < Math.min(height, y0 + block); y++) {
      addRowRuns(
        table,
        y,
        x0,
        w,
        (x) => mask[y * width + x0 + x] === 1,
        (x) => ({ hectares: area[x0 + x]!, high: (x0 + x + y) % 3 === 0, clear: (x0 + x) % 7, firstDay: y, flags: 0 }),
      );
    }
  }
  return table;
}

describe('patches from runs', () => {
  const [width, height] = [173, 121];
  const area = Float64Array.from({ length: width }, (_, x) => 0.01 + x * 1e-6);

  it('finds the same 8-connected patches, areas and minimum mapping unit as labelling the whole raster', () => {
    for (const [seed, block] of [
      [1, 16],
      [2, 32],
      [3, 7],
      [4, 200],
    ] as const) {
      const mask = randomMask(width, height, seed);
      const labels = labelRuns(runsOf(mask, width, height, block, area));
      const whole = label8(mask, width, height);
      expect(labels.patches.length).toBe(whole.count);
      // Same numbering (raster order of the first pixel), same pixels and areas per patch.
      const pixels = new Float64Array(whole.count + 1);
      const hectares = new Float64Array(whole.count + 1);
      for (let i = 0; i < mask.length; i++) {
        if (!whole.labels[i]) continue;
        pixels[whole.labels[i]!]!++;
        hectares[whole.labels[i]!]! += area[i % width]!;
      }
      for (const patch of labels.patches) {
        expect(patch.pixels).toBe(pixels[patch.id]);
        expect(patch.hectares).toBeCloseTo(hectares[patch.id]!, 12);
      }
      const classes = Uint8Array.from(mask);
      const mmu = applyMinimumMappingUnit(classes, [1], 0, 0.05, width, height, area);
      expect(labels.patches.filter((patch) => patch.hectares >= 0.05).length).toBe(mmu.kept);
    }
  });

  it('joins diagonal touches and runs split at a seam, and keeps the figures of each run', () => {
    const table = new RunTable();
    const figures = (hectares: number, firstDay: number) => ({
      hectares,
      highHectares: hectares / 2,
      clearMin: 3,
      firstDay,
      flags: firstDay >= 0 ? 1 : 2,
    });
    table.add(0, 0, 2, figures(0.02, 10)); // ##......
    table.add(0, 2, 3, figures(0.01, 5)); //  split at a seam: ###
    table.add(1, 3, 4, figures(0.01, -1)); // diagonal from (2,0)
    table.add(3, 3, 4, figures(0.01, 1)); // alone: a row gap
    table.add(1, 5, 6, figures(0.01, 1)); // two columns right of (3,1): not touching
    const { patches, patchOfRun } = labelRuns(table);
    expect([...patchOfRun]).toEqual([1, 1, 1, 3, 2]);
    expect(patches[0]).toMatchObject({
      pixels: 4,
      firstDay: 5,
      clearMin: 3,
      flags: 3,
      top: 0,
      bottom: 2,
      left: 0,
      right: 4,
    });
    expect(patches[0]!.hectares).toBeCloseTo(0.04, 12);
    const raster = patchRaster(
      table,
      patches[0]!,
      runsByPatch({ patchOfRun, patches, order: new Int32Array([0, 1, 4, 2, 3]) })[1]!,
    );
    expect([...raster]).toEqual([1, 1, 1, 0, 0, 0, 0, 1]);
  });

  it('refuses an empty run', () => {
    expect(() =>
      new RunTable().add(0, 3, 3, { hectares: 0, highHectares: 0, clearMin: 0, firstDay: -1, flags: 0 }),
    ).toThrow(RangeError);
  });
});
