import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileObjectStore } from '../../../pipeline/io/object.store.file.js';
import { assignUnits } from '../../../pipeline/run/shard.js';
import {
  decodeBlock,
  encodeBlock,
  manifestKey,
  putBlock,
  putManifest,
  removeWork,
  stripeReplay,
  stripesOf,
  workPrefix,
} from '../../../pipeline/run/stripe.work.js';
import { stripeUnits, type WorkUnit } from '../../../pipeline/run/units.plan.js';
import type { ChangeBlockResult } from '../../../workers/change.block.js';

const unit = (id: string, gridPixels: number, scenes: number): WorkUnit => ({
  id,
  kind: 'aoi',
  aoi: id.split('-')[0]!,
  windows: { baseline: '2025-01-01/2025-03-31', monitoring: '2026-01-01/2026-03-31' },
  scenes,
  resolution: 10,
  gridPixels,
  cost: gridPixels * scenes,
  estimatedBytes: 0,
  estimatedMemoryBytes: 0,
});

describe('stripes of a large AOI', () => {
  it('cut a grid above the threshold into bands of whole block rows, none at or below it', () => {
    const grid = { width: 1000, height: 2000 }; // 2 Mpx, 4 block rows of 512
    expect(stripesOf(grid, 512, undefined)).toEqual([]);
    expect(stripesOf(grid, 512, 2_000_000)).toEqual([]);
    expect(stripesOf(grid, 512, 1_000_000).map((s) => s.rows)).toEqual([
      [0, 2],
      [2, 4],
    ]);
    // 7 wanted, 4 block rows: one stripe per block row at most.
    expect(stripesOf(grid, 512, 300_000).map((s) => s.rows)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    // A single block row cannot be cut.
    expect(stripesOf({ width: 5000, height: 100 }, 512, 1000)).toEqual([]);
    const odd = stripesOf({ width: 100, height: 10 * 64 }, 64, 64 * 100 * 3);
    expect(odd.map((s) => s.rows)).toEqual([
      [0, 2],
      [2, 5],
      [5, 7],
      [7, 10],
    ]);
    expect(odd.every((s) => s.count === 4)).toBe(true);
  });

  it('are units of their own with the cost split by rows, plus a reduce; the same every time', () => {
    const big = unit('big-2026-01-01-2026-03-31', 1000 * 2000, 6);
    const stripes = stripesOf({ width: 1000, height: 2000 }, 512, 600_000);
    const units = stripeUnits(big, stripes);
    expect(units.map((u) => [u.id, u.kind, u.cost])).toEqual([
      ['big-2026-01-01-2026-03-31/stripe-0-of-4', 'stripe', 3_000_000],
      ['big-2026-01-01-2026-03-31/stripe-1-of-4', 'stripe', 3_000_000],
      ['big-2026-01-01-2026-03-31/stripe-2-of-4', 'stripe', 3_000_000],
      ['big-2026-01-01-2026-03-31/stripe-3-of-4', 'stripe', 3_000_000],
      ['big-2026-01-01-2026-03-31/reduce', 'reduce', 2_000_000],
    ]);
    expect(stripeUnits(big, stripes)).toEqual(units);
    // Dealt out like any units: the four stripes go to four tasks.
    const tasks = assignUnits([...units, unit('small-2026-01-01-2026-03-31', 1000, 6)], 4);
    expect(tasks.map((task) => task.filter((u) => u.kind === 'stripe').length)).toEqual([1, 1, 1, 1]);
  });
});

const block = (seed: number): ChangeBlockResult =>
  ({
    width: 2,
    height: 1,
    baseline: { count: new Uint16Array([seed, 2]), lastDay: new Int16Array([-1, seed]) },
    monitoring: { count: new Uint16Array([1, seed]), lastDay: new Int16Array([3, -1]) },
    products: {
      'forest-loss': { classes: new Uint8Array([seed, 255]), values: { ndvi: new Float32Array([-0, NaN]) } },
    },
  }) as unknown as ChangeBlockResult;

describe("a stripe's work in the store", () => {
  it('round-trips a block result bit for bit', () => {
    const result = decodeBlock(encodeBlock(block(7)));
    expect(result).toEqual(block(7));
    const values = (result.products['forest-loss'] as unknown as { values: { ndvi: Float32Array } }).values.ndvi;
    expect(Object.is(values[0], -0)).toBe(true);
  });

  it('is a replay source only when every manifest is there, checks each block, and is removed whole', async () => {
    const store = new FileObjectStore(mkdtempSync(join(tmpdir(), 'cw-stripes-')));
    const prefix = workPrefix('big', 'big-item', 'abc');
    const stripes = stripesOf({ width: 10, height: 40 }, 10, 100);
    const reads = {
      baseline: { used: ['s1'], dated: ['2025-01-02'], skipped: [] },
      monitoring: { used: [], dated: [], skipped: [] },
    };
    for (const stripe of stripes) {
      const blocks = [await putBlock(store, prefix, stripe, stripe.index, block(stripe.index))];
      expect(await stripeReplay(store, prefix, stripes, 10)).toBeUndefined();
      await putManifest(store, prefix, { stripe, blockSize: 10, blocks, reads, runId: 'r' });
    }
    expect(await stripeReplay(store, prefix, stripes, 20)).toBeUndefined();
    const replay = (await stripeReplay(store, prefix, stripes, 10))!;
    expect(replay.reads).toHaveLength(stripes.length);
    expect(await replay.result(1)).toEqual(block(1));
    await store.put(`${prefix}stripe-2-of-4/block-2.bin`, encodeBlock(block(9)), { contentType: 'x' });
    await expect(replay.result(2)).rejects.toThrow(/does not match/);
    expect(await store.get(manifestKey(prefix, stripes[0]!))).not.toBeNull();
    expect(await removeWork(store, 'big', 'big-item')).toBe(8);
    const left: string[] = [];
    for await (const key of store.list('big/')) left.push(key);
    expect(left).toEqual([]);
  });
});
