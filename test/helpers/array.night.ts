import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { expect, inject } from 'vitest';
import { S3ObjectStore } from '../../pipeline/io/object.store.s3.js';
import { sha256Hex } from '../../pipeline/outputs/layout.js';
import type { ObjectStore } from '../../pipeline/ports.js';
import type { AoiState } from '../../pipeline/publish/aoi.state.js';
import type { RunReport } from '../../pipeline/run/run.js';
import { childEnv, CLI } from './paths.js';
import { bukavuItems, startRunSite, WINDOWS, type RunSite } from './run.site.js';
import { s3ClientWithBucket } from './s3.js';
import { storeProblems } from './store.check.js';

/**
 * One night run as an array of tasks (issue 16), shared by the engine tests (test/integration/slurm.array.test.ts,
 * kubernetes.indexed.test.ts): 8 AOIs drawn inside the real Bukavu Sentinel-2 tile served by a loopback STAC API,
 * a config publishing to the real S3 server under `array/`, the same config publishing under `single/` for the
 * single-process run of the same inputs, `changewatch` on a PATH folder (the build, run by this node), and the checks
 * every engine's array must pass against that single-process run.
 */

/**
 * Rectangles over the tile's data ([28.811, -2.538, 28.886, -2.437] in lon/lat; several reach past its edges, where
 * nothing is seen), of different sizes so the balancing has work.
 */
export const ARRAY_AOIS = [
  { id: 'array-a', bbox: [28.8, -2.55, 28.835, -2.52] },
  { id: 'array-b', bbox: [28.85, -2.55, 28.89, -2.535] },
  { id: 'array-c', bbox: [28.8, -2.5, 28.83, -2.48] },
  { id: 'array-d', bbox: [28.84, -2.5, 28.88, -2.48] },
  { id: 'array-e', bbox: [28.8, -2.47, 28.815, -2.45] },
  { id: 'array-f', bbox: [28.83, -2.47, 28.88, -2.455] },
  { id: 'array-g', bbox: [28.8, -2.44, 28.84, -2.41] },
  { id: 'array-h', bbox: [28.86, -2.44, 28.89, -2.425] },
];

/** The night's unit ids: the items the AOIs publish for the monitoring window. */
export const ARRAY_UNITS = ARRAY_AOIS.map(({ id }) => `${id}-${WINDOWS.monitoring.replace('/', '-')}`).sort();

export interface ArrayNight {
  site: RunSite;
  client: S3Client;
  bucket: string;
  /** The array's store (`array/`) and the single-process run's (`single/`). */
  store: ObjectStore;
  reference: ObjectStore;
  /** A config file publishing to `single/`, otherwise the site's. */
  singleConfigFile: string;
  /** The tasks' environment: `changewatch` on the PATH, the S3 credentials, logs at info. */
  env: Record<string, string>;
}

/**
 * The site, a fresh bucket on the S3 server, both configs and the tasks' environment; `options` replace the AOIs
 * and the analysis and run sections of the config (the stripes test: test/integration/stripes.bukavu.test.ts).
 */
export async function startArrayNight(
  bucketPrefix: string,
  options: { aois?: typeof ARRAY_AOIS; analysis?: Record<string, unknown>; run?: Record<string, unknown> } = {},
): Promise<ArrayNight> {
  const s3 = inject('s3');
  const bucket = `${bucketPrefix}-${Date.now()}`;
  const client = await s3ClientWithBucket(bucket);
  const { collection, items } = await bukavuItems();
  const storeUrl = `s3://${bucket}/array`;
  const site = await startRunSite({
    aois: options.aois ?? ARRAY_AOIS,
    items,
    collections: [collection],
    storeUrl,
    extraConfig: {
      store: { url: storeUrl, s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true } },
      analysis: { maxThreads: 1, ...options.analysis },
      ...(options.run ? { run: options.run } : {}),
    },
  });
  const config = JSON.parse(readFileSync(site.configFile, 'utf8')) as { store: { url: string } };
  config.store.url = `s3://${bucket}/single`;
  const singleConfigFile = join(site.dir, 'single.config.json');
  writeFileSync(singleConfigFile, JSON.stringify(config));
  // `changewatch` on the task's PATH, as the deploy files expect: the build, run by this test's node.
  const bin = join(site.dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'changewatch'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, 'changewatch'), 0o755);
  const env = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    CHANGEWATCH_LOG_LEVEL: 'info',
  };
  return {
    site,
    client,
    bucket,
    store: new S3ObjectStore(client, storeUrl),
    reference: new S3ObjectStore(client, `s3://${bucket}/single`),
    singleConfigFile,
    env,
  };
}

/** One line of a task's pino log (stderr). */
export interface LogLine {
  time: number;
  msg: string;
  runId?: string;
  aoi?: string;
  outcome?: string;
  action?: string;
  [key: string]: unknown;
}

/** The JSON lines of a task's log file so far (none when it is not there yet). */
export function logLinesOf(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{') && line.endsWith('}'))
    .map((line) => JSON.parse(line) as LogLine);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every 50 ms until it answers something; fails naming `what` after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * The run id of the attempt whose log is `lines` once it has finished one unit and planned the next as a
 * computation (mid-run: the moment the engine tests stop a task), else undefined.
 */
export function computingSecondUnit(lines: readonly LogLine[]): string | undefined {
  const firstDone = lines.findIndex((line) => line.msg === 'Aoi:Run:Done');
  const computing = lines.findIndex(
    (line, at) => at > firstDone && line.msg === 'Aoi:Plan:Done' && line.action === 'compute',
  );
  return firstDone >= 0 && computing >= 0 ? lines[computing]!.runId : undefined;
}

/** The AOI the attempt whose log is `lines` planned last. */
export const unitBeingComputed = (lines: readonly LogLine[]) =>
  lines.findLast((line) => line.msg === 'Aoi:Plan:Done')?.aoi ?? '?';

/** The built CLI with `args` as a child process, in the tasks' environment (logs at warn unless `extra` says). */
export function cli(
  night: ArrayNight,
  args: string[],
  extra: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: childEnv({ ...night.env, CHANGEWATCH_LOG_LEVEL: 'warn', ...extra }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The single-process run of the same inputs, into `single/`. */
export const singleRun = (night: ArrayNight) => cli(night, ['--config', night.singleConfigFile, 'run']);

export interface PlannedNight {
  units: Array<{ id: string; cost: number }>;
  shards: { balance: number; tasks: Array<{ units: string[]; cost: number }> };
}

/** `changewatch plan --json --shards <tasks>`, twice: the same units in the same order each time. */
export async function planTwice(night: ArrayNight, tasks: number): Promise<PlannedNight> {
  const plans = await Promise.all(
    [0, 1].map(() => cli(night, ['--config', night.site.configFile, 'plan', '--json', '--shards', String(tasks)])),
  );
  expect(plans[0]!.status, plans[0]!.stderr).toBe(0);
  expect(plans[1]!.stdout).toBe(plans[0]!.stdout);
  const planned = JSON.parse(plans[0]!.stdout) as PlannedNight;
  expect(planned.units.map((unit) => unit.id)).toEqual(ARRAY_UNITS);
  return planned;
}

export async function keysOf(store: ObjectStore, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list(prefix)) keys.push(key);
  return keys;
}

export async function json<T>(store: ObjectStore, key: string): Promise<T> {
  return JSON.parse(new TextDecoder().decode((await store.get(key))!)) as T;
}

/** Every run report of the array's store. */
export async function runReports(store: ObjectStore): Promise<RunReport[]> {
  return Promise.all((await keysOf(store, 'runs/')).map((key) => json<RunReport>(store, key)));
}

/** sha256 of every object under each AOI's items (the item documents and all their assets), by key. */
export async function itemDigests(
  store: ObjectStore,
  aois: ReadonlyArray<{ id: string }> = ARRAY_AOIS,
): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const { id } of aois) {
    for (const key of await keysOf(store, `${id}/${id}-`)) digests[key] = sha256Hex((await store.get(key))!);
  }
  return digests;
}

/** Every AOI's state records exactly one computation (one `ok` in its history), whatever the attempts. */
export async function expectComputedOnce(store: ObjectStore, aois: ReadonlyArray<{ id: string }>): Promise<void> {
  for (const { id } of aois) {
    const state = await json<AoiState>(store, `${id}/state.json`);
    expect(
      state.history.filter((record) => record.outcome === 'ok'),
      id,
    ).toHaveLength(1);
  }
}

/**
 * The tasks' shares partition the night's units, every attempt of a task had the same share, and the shares are
 * the plan's.
 */
export function expectSharesOfPlan(reports: readonly RunReport[], planned: PlannedNight, tasks: number): void {
  const shares = new Map(reports.map((report) => [report.shard!.index, report.shard!.mine]));
  for (const report of reports) expect(report.shard!.mine).toEqual(shares.get(report.shard!.index));
  expect([...shares.values()].flat().sort()).toEqual(ARRAY_UNITS);
  const indices = Array.from({ length: tasks }, (_, index) => index);
  expect(planned.shards.tasks.map((task) => task.units)).toEqual(indices.map((index) => shares.get(index)));
}

/**
 * The array's store against the single-process run's: every AOI computed exactly once (by the run reports, plus
 * what `killedRuns`, attempts killed before they could write a report, finished: in the AOIs' histories), every
 * object under the items the same bytes, the store consistent, no lease left, and the index, written by every task
 * at its end, converged on every AOI's last run.
 */
export async function expectSameAsSingleRun(night: ArrayNight, killedRuns: readonly string[]): Promise<void> {
  const { store, reference } = night;
  const reports = await runReports(store);
  const okInReports = reports.flatMap((report) => report.aois.filter((e) => e.outcome === 'ok').map((e) => e.aoi));
  for (const { id } of ARRAY_AOIS) {
    const state = await json<AoiState>(store, `${id}/state.json`);
    const computed = state.history.filter((record) => record.outcome === 'ok');
    expect(computed, `${id}: ${JSON.stringify(state.history)}`).toHaveLength(1);
    const byKilled = killedRuns.includes(computed[0]!.runId);
    expect(
      okInReports.filter((aoi) => aoi === id),
      id,
    ).toHaveLength(byKilled ? 0 : 1);
    expect(await storeProblems(store, id), id).toEqual([]);
  }
  expect(await itemDigests(store)).toEqual(await itemDigests(reference));
  expect(Object.keys(await itemDigests(store)).length).toBeGreaterThan(ARRAY_AOIS.length * 10);
  expect((await keysOf(store)).filter((key) => key.endsWith('lease.json'))).toEqual([]);
  const index = new TextDecoder().decode((await store.get('index.html'))!);
  for (const { id } of ARRAY_AOIS) {
    const last = (await json<AoiState>(store, `${id}/state.json`)).history.at(-1)!;
    const row = new RegExp(`<tr data-aoi="${id}">.*?</tr>`).exec(index)?.[0] ?? `no row for ${id}`;
    expect(row).toContain(`<code>${last.runId}</code>`);
  }
}

/** The tasks' runs and units from their logs, and the test's own `events`, in time order, relative to `start`. */
export function timelineOf(
  start: number,
  events: ReadonlyArray<{ time: number; what: string }>,
  logs: ReadonlyArray<{ task: string; lines: readonly LogLine[] }>,
): string[] {
  const rows: Array<{ time: number; what: string }> = [...events];
  for (const { task, lines } of logs) {
    for (const line of lines) {
      const who = `${task}${line.runId ? ` run ${line.runId}` : ''}`;
      if (line.msg === 'Run:Shard:Planned')
        rows.push({ time: line.time, what: `${who}: share ${(line.mine as string[]).join(', ')}` });
      // A repair says what was missing: the timeline is what a failed test leaves to read.
      const why = line.action === 'repair' ? ` (${String(line.reason)})` : '';
      if (line.msg === 'Aoi:Plan:Done')
        rows.push({ time: line.time, what: `${who}: ${line.aoi} plan ${line.action}${why}` });
      if (line.msg === 'Aoi:Run:Done')
        rows.push({ time: line.time, what: `${who}: ${line.aoi} ${line.outcome} in ${Number(line.ms) / 1000} s` });
      if (line.msg === 'Run:Done') rows.push({ time: line.time, what: `${who}: done` });
    }
  }
  return rows
    .sort((a, b) => a.time - b.time)
    .map((row) => `${((row.time - start) / 1000).toFixed(1).padStart(6)} s  ${row.what}`);
}
