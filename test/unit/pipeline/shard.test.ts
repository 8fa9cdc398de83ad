import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Aoi } from '../../../aoi/aoi.schema.js';
import { ChangewatchError } from '../../../pipeline/errors.js';
import { FileObjectStore } from '../../../pipeline/io/object.store.file.js';
import { CATALOG_KEY, collectionKey } from '../../../pipeline/outputs/layout.js';
import { rootCatalog } from '../../../pipeline/outputs/stac.js';
import { saveState } from '../../../pipeline/publish/aoi.state.js';
import { convergeIndex } from '../../../pipeline/publish/index.converge.js';
import { catalogChildren } from '../../../pipeline/publish/publish.js';
import { INDEX_KEY } from '../../../pipeline/publish/report.publish.js';
import { AoiLease, leaseKey } from '../../../pipeline/run/lease.js';
import { assignUnits, parseShardFlag, shardOf, taskIdentity } from '../../../pipeline/run/shard.js';

const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error instanceof ChangewatchError ? error.code : String(error);
  }
  return undefined;
};

describe('the shard of an array task', () => {
  it('--shard I/N is 0-based and refuses an index outside 0…N-1 or anything but I/N', () => {
    expect(parseShardFlag('2/8')).toEqual({ index: 2, count: 8, source: 'flag' });
    expect(parseShardFlag(' 0 / 1 ')).toEqual({ index: 0, count: 1, source: 'flag' });
    for (const bad of ['8/8', '1/0', '-1/4', '1', 'a/b', '1/4/2', '1.5/4']) {
      expect(
        codeOf(() => parseShardFlag(bad)),
        bad,
      ).toBe('E_USAGE');
    }
  });

  it('comes from Slurm job arrays, offset by the first index and divided by the step', () => {
    const slurm = (id: number, min: number, max: number, step = 1) => ({
      SLURM_ARRAY_TASK_ID: String(id),
      SLURM_ARRAY_TASK_MIN: String(min),
      SLURM_ARRAY_TASK_MAX: String(max),
      SLURM_ARRAY_TASK_STEP: String(step),
      SLURM_ARRAY_TASK_COUNT: String((max - min) / step + 1),
    });
    expect(shardOf(undefined, slurm(2, 0, 3), undefined)).toEqual({ index: 2, count: 4, source: 'slurm' });
    expect(shardOf(undefined, slurm(1, 1, 8), undefined)).toEqual({ index: 0, count: 8, source: 'slurm' });
    expect(shardOf(undefined, slurm(6, 0, 14, 2), undefined)).toEqual({ index: 3, count: 8, source: 'slurm' });
    // Only the count (an older Slurm, or a wrapper that passes two variables): the ids are 0…count-1.
    const bare = { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' };
    expect(shardOf(undefined, bare, undefined)).toEqual({ index: 3, count: 4, source: 'slurm' });
    // --array=0,3,7: three tasks whose ids are not one evenly spaced range.
    const gaps = { ...slurm(3, 0, 7), SLURM_ARRAY_TASK_COUNT: '3' };
    expect(codeOf(() => shardOf(undefined, gaps, undefined))).toBe('E_USAGE');
    // The flag wins over the engine's variables.
    expect(shardOf('1/2', slurm(2, 0, 3), undefined)).toEqual({ index: 1, count: 2, source: 'flag' });
  });

  it('comes from Kubernetes Indexed Jobs with the count from run.shardCount, and from AWS Batch array jobs', () => {
    expect(shardOf(undefined, { JOB_COMPLETION_INDEX: '5' }, 6)).toEqual({ index: 5, count: 6, source: 'kubernetes' });
    expect(codeOf(() => shardOf(undefined, { JOB_COMPLETION_INDEX: '5' }, undefined))).toBe('E_CONFIG');
    expect(codeOf(() => shardOf(undefined, { JOB_COMPLETION_INDEX: '6' }, 6))).toBe('E_USAGE');
    const aws = { AWS_BATCH_JOB_ARRAY_INDEX: '0', AWS_BATCH_JOB_ARRAY_SIZE: '10' };
    expect(shardOf(undefined, aws, undefined)).toEqual({ index: 0, count: 10, source: 'aws-batch' });
    expect(codeOf(() => shardOf(undefined, { AWS_BATCH_JOB_ARRAY_INDEX: '0' }, undefined))).toBe('E_USAGE');
    // No variable, or empty ones: not a shard (a plain run does every unit), whatever run.shardCount says.
    expect(shardOf(undefined, {}, 4)).toBeUndefined();
    expect(shardOf(undefined, { SLURM_ARRAY_TASK_ID: '', JOB_COMPLETION_INDEX: ' ' }, 4)).toBeUndefined();
  });

  it("names the engine's task the same on every attempt and differently for every task", () => {
    expect(taskIdentity({ SLURM_ARRAY_JOB_ID: '41', SLURM_ARRAY_TASK_ID: '2', SLURM_JOB_ID: '44' })).toBe('slurm:41_2');
    expect(taskIdentity({ SLURM_JOB_ID: '44' })).toBe('slurm:44');
    expect(taskIdentity({ JOB_COMPLETION_INDEX: '3', HOSTNAME: 'changewatch-29001234-3' })).toBe(
      'kubernetes:changewatch-29001234-3',
    );
    expect(taskIdentity({ AWS_BATCH_JOB_ID: 'a1b2:7', AWS_BATCH_JOB_ARRAY_INDEX: '7' })).toBe('aws-batch:a1b2:7');
    expect(taskIdentity({})).toBeUndefined();
  });
});

describe('largest-first balancing of the units', () => {
  const units = [
    { id: 'a', cost: 7 },
    { id: 'b', cost: 5 },
    { id: 'c', cost: 4 },
    { id: 'd', cost: 4 },
    { id: 'e', cost: 3 },
    { id: 'f', cost: 3 },
    { id: 'g', cost: 1 },
  ];

  it('gives each unit, largest first, to the least-loaded task, ties by id and by task index (by hand)', () => {
    // a7 → 0 (loads 7,0,0); b5 → 1 (7,5,0); c4 → 2 (7,5,4); d4 → 2 (7,5,8); e3 → 1 (7,8,8); f3 → 0 (10,8,8);
    // g1 → 1, the lower index of the two least loaded (10,9,8).
    const tasks = assignUnits(units, 3).map((task) => task.map((unit) => unit.id));
    expect(tasks).toEqual([
      ['a', 'f'],
      ['b', 'e', 'g'],
      ['c', 'd'],
    ]);
  });

  it('is the same whatever order the units come in, and deals every unit exactly once', () => {
    const expected = assignUnits(units, 3);
    for (let seed = 1; seed <= 20; seed++) {
      const shuffled = [...units].sort((a, b) => ((a.id.charCodeAt(0) * seed) % 7) - ((b.id.charCodeAt(0) * seed) % 7));
      expect(assignUnits(shuffled, 3)).toEqual(expected);
    }
    const dealt = assignUnits(units, 4)
      .flat()
      .map((unit) => unit.id);
    expect(dealt.sort()).toEqual(units.map((unit) => unit.id));
    expect(assignUnits(units, 10).filter((task) => task.length === 0)).toHaveLength(3);
  });

  it('puts 200 units of random cost within 1 % of the best conceivable slowest task (total / tasks)', () => {
    let state = 12345;
    const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 1e6;
    const many = Array.from({ length: 200 }, (_, i) => ({ id: `u${String(i).padStart(3, '0')}`, cost: random() }));
    for (const count of [1, 2, 4, 16]) {
      const loads = assignUnits(many, count).map((task) => task.reduce((sum, unit) => sum + unit.cost, 0));
      const lowerBound = Math.max(many.reduce((sum, unit) => sum + unit.cost, 0) / count, ...many.map((u) => u.cost));
      // Graham (1969) bounds LPT by 4/3 of the optimum; with many small units it is far closer.
      expect(Math.max(...loads) / lowerBound).toBeLessThan(1.01);
    }
  });

  it('refuses duplicate ids and a count below 1', () => {
    expect(() => assignUnits([...units, { id: 'a', cost: 1 }], 2)).toThrow(RangeError);
    expect(() => assignUnits(units, 0)).toThrow(RangeError);
  });
});

describe('a lease left by an earlier attempt of the same array task', () => {
  const store = () => new FileObjectStore(mkdtempSync(join(tmpdir(), 'cw-shard-lease-')));
  const held = (task: string) =>
    JSON.stringify({
      runId: 'killed-run',
      host: `${hostname()}-elsewhere`,
      pid: 1,
      acquiredAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      task,
    });

  it('is taken over at once from another host; a lease of another task is not', async () => {
    const s = store();
    await s.put(leaseKey('a'), held('slurm:41_2'), { contentType: 'application/json' });
    const retry = await AoiLease.acquire(s, 'a', { runId: 'retry', minutes: 60, task: 'slurm:41_2' });
    expect(retry).toBeInstanceOf(AoiLease);
    await (retry as AoiLease).release();
    await s.put(leaseKey('b'), held('slurm:41_3'), { contentType: 'application/json' });
    const other = await AoiLease.acquire(s, 'b', { runId: 'other', minutes: 60, task: 'slurm:41_2' });
    expect(other).toEqual({ heldBy: expect.objectContaining({ runId: 'killed-run', task: 'slurm:41_3' }) });
    const plain = await AoiLease.acquire(s, 'b', { runId: 'plain', minutes: 60 });
    expect(plain).not.toBeInstanceOf(AoiLease);
  });
});

describe('the index pages written by concurrent tasks', () => {
  const aoi = (id: string) => ({ id, name: `Area ${id}`, kind: 'custom' }) as Aoi;
  const history = (id: string, runId: string) => ({
    stateVersion: 1 as const,
    aoi: id,
    items: {},
    history: [
      { runId, startedAt: '2021-10-01T00:00:00.000Z', endedAt: '2021-10-01T00:01:00.000Z', outcome: 'ok' as const },
    ],
  });
  const text = async (s: FileObjectStore, key: string) => new TextDecoder().decode((await s.get(key))!);

  it('link every published AOI of the night and list every AOI, whoever writes last', async () => {
    const s = new FileObjectStore(mkdtempSync(join(tmpdir(), 'cw-shard-index-')));
    const night = ['a', 'b', 'c', 'd'].map(aoi);
    // Task 0 published a and b; task 1 published c, but its catalog write was lost to task 0's (read-merge-write).
    for (const id of ['a', 'b', 'c']) {
      await s.put(collectionKey(id), '{}', { contentType: 'application/json' });
      await saveState(s, history(id, `run-${id}`));
    }
    await s.put(
      CATALOG_KEY,
      JSON.stringify(rootCatalog([aoi('a'), aoi('b')].map(({ id, name }) => ({ id, title: name })))),
      {
        contentType: 'application/json',
      },
    );
    // Both tasks end at once; task 1 publishes d while task 0 converges.
    const [rounds0] = await Promise.all([
      convergeIndex(s, night),
      (async () => {
        await s.put(collectionKey('d'), '{}', { contentType: 'application/json' });
        await saveState(s, history('d', 'run-d'));
        return convergeIndex(s, night);
      })(),
    ]);
    expect(rounds0).toBeGreaterThanOrEqual(1);
    expect([...(await catalogChildren(s)).keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    const index = await text(s, INDEX_KEY);
    for (const id of ['a', 'b', 'c', 'd']) expect(index).toContain(`<code>run-${id}</code>`);
    // Nothing changed since: one round, nothing written.
    expect(await convergeIndex(s, night)).toBe(1);
  });
});
