import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { S3ObjectStore } from '../../pipeline/io/object.store.s3.js';
import type { ObjectStore } from '../../pipeline/ports.js';
import { childEnv, CLI } from '../helpers/paths.js';
import { bukavuItems, startRunSite, type RunSite } from '../helpers/run.site.js';
import { s3ClientWithBucket } from '../helpers/s3.js';
import { folderLeftovers, storeProblems } from '../helpers/store.check.js';

/**
 * Crash consistency: the built CLI is killed (SIGKILL) right after each publish step in turn, through the test seam
 * `CW_DEBUG_KILL_AFTER` (pipeline/run/debug.kill.ts), on the folder store and on the real S3 server. The next run
 * must converge: its outcome says what it did, the store verifies (every asset present, sizes and sha256 as the
 * item says), and every derived document (collection, catalog, state, report page, index) agrees with the item; a
 * third run has nothing new. Each cycle publishes new inputs over a complete earlier publication (the NDVI drop
 * changes by 0.001, so the digest changes), so the kill also lands between a new item and the old state, report and
 * assets.
 */
const AOI = { id: 'bukavu-b', bbox: [28.83, -2.5, 28.86, -2.46] };
/** Every publish step; the 14 assets are killed after the first and after the last (summary.json). */
const STEPS = ['asset#1', 'asset#14', 'item', 'collection', 'catalog', 'prune#1', 'sites', 'report', 'state', 'index'];

const sites: RunSite[] = [];
let collection: string;
let items: Array<Record<string, unknown>>;

beforeAll(async () => {
  ({ collection, items } = await bukavuItems());
}, 60_000);

afterAll(async () => {
  await Promise.all(sites.map((site) => site.stac.close()));
});

function run(
  site: RunSite,
  env: Record<string, string>,
): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--config', site.configFile, 'run'], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

const outcome = (stdout: string) => /^bukavu-b +(\S+)/m.exec(stdout)?.[1];

/** Kills a run after `step` on inputs of `cycle`, then checks that the next run converges and the one after rests. */
async function killAndConverge(
  site: RunSite,
  store: ObjectStore,
  step: string,
  cycle: number,
  env: Record<string, string>,
) {
  const inputs = { ...env, CHANGEWATCH_ANALYSIS_FOREST_LOSS_NDVI_DROP: (0.2 + cycle / 1000).toFixed(3) };
  const killed = await run(site, { ...inputs, CW_DEBUG_KILL_AFTER: step });
  expect(killed.signal, `${step}: ${killed.stderr.slice(-500)}`).toBe('SIGKILL');
  const next = await run(site, inputs);
  expect(next.status, `${step}: ${next.stdout}${next.stderr.slice(-500)}`).toBe(0);
  // Killed before the item: the item is of earlier inputs, so the period is computed again. After the state: only
  // the run's history record and the index were left, and every run writes the index.
  const expected = step.startsWith('asset') ? 'ok' : ['state', 'index'].includes(step) ? 'nothing-new' : 'repaired';
  expect(outcome(next.stdout), `${step}: ${next.stdout}`).toBe(expected);
  expect(await storeProblems(store, AOI.id), step).toEqual([]);
  const rest = await run(site, inputs);
  expect(outcome(rest.stdout), `${step}: ${rest.stdout}`).toBe('nothing-new');
}

describe('a run killed at any publish step converges on the next run', () => {
  it('on the folder store (fresh store first; then each step over an earlier publication)', async () => {
    const site = await startRunSite({ aois: [AOI], items, collections: [collection] });
    sites.push(site);
    const root = join(site.dir, 'store');
    const store = new FileObjectStore(root);
    // A fresh store killed right after the item: the item is there, nothing else.
    await killAndConverge(site, store, 'item', 0, {});
    // A temporary file a writer killed mid-put left (its pid is gone).
    writeFileSync(join(root, AOI.id, 'state.json.tmp-999999-0badc0de'), '{');
    for (const [cycle, step] of STEPS.entries()) {
      await killAndConverge(site, store, step, cycle + 1, {});
      expect(folderLeftovers(root), step).toEqual([]);
    }
  }, 600_000);

  it('on the real S3 server', async () => {
    const s3 = inject('s3');
    const bucket = `cw-kill-${Date.now()}`;
    const client = await s3ClientWithBucket(bucket);
    const storeUrl = `s3://${bucket}/kill`;
    const site = await startRunSite({
      aois: [AOI],
      items,
      collections: [collection],
      storeUrl,
      extraConfig: { store: { url: storeUrl, s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true } } },
    });
    sites.push(site);
    const env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
    const store = new S3ObjectStore(client, storeUrl);
    await killAndConverge(site, store, 'item', 0, env);
    for (const [cycle, step] of STEPS.entries()) await killAndConverge(site, store, step, cycle + 1, env);
  }, 600_000);
});
