import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkUnit } from '../../pipeline/run/units.plan.js';
import {
  ARRAY_AOIS,
  cli,
  expectComputedOnce,
  itemDigests,
  keysOf,
  runReports,
  singleRun,
  startArrayNight,
  type ArrayNight,
} from '../helpers/array.night.js';
import { WINDOWS } from '../helpers/run.site.js';

/**
 * Stripes of one large AOI (issue 16) on the real Bukavu Sentinel-2 tile and the real S3 server: with 64-pixel
 * blocks and `run.stripeMinPixels` at 40,000, array-a (about 390 × 330 pixels) is planned as 4 stripes and a reduce,
 * array-e (about 37,000 pixels) stays one unit. The night runs as 3 `changewatch run --shard I/3` processes after
 * one of them was killed (SIGKILL, the debug seam) right after storing its first stripe block; its rerun redoes that
 * stripe whole. Then every published object equals a single-process run's (sha256), the work prefix is gone, no
 * lease is left, every stripe was computed once and the AOI reduced once.
 */

const TASKS = 3;
const STRIPED = ARRAY_AOIS.find((aoi) => aoi.id === 'array-a')!;
const WHOLE = ARRAY_AOIS.find((aoi) => aoi.id === 'array-e')!;
const itemOf = (id: string) => `${id}-${WINDOWS.monitoring.replace('/', '-')}`;

let night: ArrayNight;

beforeAll(async () => {
  night = await startArrayNight('cw-stripes', {
    aois: [STRIPED, WHOLE],
    analysis: { blockSize: 64 },
    run: { stripeMinPixels: 40_000 },
  });
}, 120_000);

afterAll(async () => {
  await night?.site.stac.close();
});

async function planned(): Promise<{ units: WorkUnit[]; shards: { tasks: Array<{ units: string[] }> } }> {
  const plans = await Promise.all(
    [0, 1].map(() => cli(night, ['--config', night.site.configFile, 'plan', '--json', '--shards', String(TASKS)])),
  );
  expect(plans[0]!.status, plans[0]!.stderr).toBe(0);
  expect(plans[1]!.stdout).toBe(plans[0]!.stdout);
  return JSON.parse(plans[0]!.stdout);
}

const task = (index: number, extra: Record<string, string> = {}) =>
  cli(night, ['--config', night.site.configFile, 'run', '--shard', `${index}/${TASKS}`], extra);

describe('stripes of a large AOI as array units, then a reduce', () => {
  it('publish what a single process publishes, with a stripe killed mid-way and redone', async () => {
    const single = await singleRun(night);
    expect(single.status, single.stderr).toBe(0);

    const plan = await planned();
    const striped = itemOf(STRIPED.id);
    const ids = plan.units.map((unit) => unit.id);
    const stripes = plan.units.filter((unit) => unit.kind === 'stripe');
    expect(stripes.length).toBeGreaterThanOrEqual(3);
    expect(ids).toEqual([
      `${striped}/reduce`,
      ...stripes.map((_, index) => `${striped}/stripe-${index}-of-${stripes.length}`),
      itemOf(WHOLE.id),
    ]);

    // A task holding a stripe is killed right after storing its first block.
    const victim = plan.shards.tasks.findIndex((t) => t.units.some((id) => id.includes('/stripe-')));
    const killed = await task(victim, { CW_DEBUG_KILL_AFTER: 'stripe-block' });
    expect(killed.status, killed.stderr).toBeNull();
    const work = await keysOf(night.store, `${STRIPED.id}/work/`);
    expect(work.some((key) => key.endsWith('.bin'))).toBe(true);
    expect(work.filter((key) => key.endsWith('lease.json'))).toHaveLength(1);
    expect(work.filter((key) => /stripe-\d+-of-\d+\.json$/.test(key))).toEqual([]);

    const runs = await Promise.all(Array.from({ length: TASKS }, (_, index) => task(index)));
    for (const run of runs) expect(run.status, run.stderr).toBe(0);

    expect(await itemDigests(night.store, [STRIPED, WHOLE])).toEqual(
      await itemDigests(night.reference, [STRIPED, WHOLE]),
    );
    expect(Object.keys(await itemDigests(night.store, [STRIPED, WHOLE])).length).toBeGreaterThan(20);
    expect(await keysOf(night.store, `${STRIPED.id}/work/`)).toEqual([]);
    expect((await keysOf(night.store)).filter((key) => key.endsWith('lease.json'))).toEqual([]);

    const reports = await runReports(night.store);
    const computed = reports.flatMap((r) =>
      (r.stripes ?? []).filter((s) => s.outcome === 'computed').map((s) => s.unit),
    );
    expect(computed.sort()).toEqual(stripes.map((unit) => unit.id).sort());
    const stored = reports.flatMap((r) => (r.stripes ?? []).filter((s) => s.outcome === 'computed'));
    const grid = stripes[0]!.gridPixels;
    const bytes = stored.reduce((sum, s) => sum + s.bytesStored, 0);
    console.log(
      `stripes.bukavu.test: ${stored.length} stripes of a ${grid} px grid stored ${bytes} bytes (${(bytes / grid).toFixed(1)} per grid pixel, ${stripes[0]!.scenes} scenes); ${stored.map((s) => `${s.unit.replace(/^.*\//, '')} ${s.blocks} blocks ${(s.ms / 1000).toFixed(1)} s`).join(', ')}`,
    );
    // The reduce replayed the stored blocks: it read no scene.
    const reduces = reports.flatMap((r) => r.aois.filter((e) => e.aoi === STRIPED.id && e.outcome === 'ok'));
    expect(reduces.map((e) => [e.bytesRead, e.requests, e.blocks > 0])).toEqual([[0, 0, true]]);
    await expectComputedOnce(night.store, [STRIPED, WHOLE]);
  }, 900_000);
});
