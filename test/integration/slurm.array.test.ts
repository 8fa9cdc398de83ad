import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { S3ObjectStore } from '../../pipeline/io/object.store.s3.js';
import { sha256Hex } from '../../pipeline/outputs/layout.js';
import type { ObjectStore } from '../../pipeline/ports.js';
import type { AoiState } from '../../pipeline/publish/aoi.state.js';
import type { RunReport } from '../../pipeline/run/run.js';
import { childEnv, CLI, ROOT } from '../helpers/paths.js';
import { bukavuItems, startRunSite, type RunSite } from '../helpers/run.site.js';
import { s3ClientWithBucket } from '../helpers/s3.js';
import { slurmUnavailable, startSlurmCluster, type SlurmCluster } from '../helpers/slurm.cluster.js';
import { storeProblems } from '../helpers/store.check.js';

/**
 * The nightly run as a real Slurm job array (issue 16, first step): a one-node cluster on loopback (Debian's
 * slurmctld, slurmd and munge; two cores, so two tasks run at once) runs deploy/slurm/changewatch-array.sbatch with
 * `--array=0-3` over 8 AOIs drawn inside the real Bukavu Sentinel-2 tile, served by a loopback STAC API, publishing
 * to the real S3 server. Two tasks are killed (scancel: SIGTERM, and SIGKILL) while they compute their second unit
 * and are requeued. Then:
 * every AOI was computed exactly once (run reports and the AOIs' histories), the store's items and assets equal
 * those of a single-process run of the same inputs into another prefix (sha256 of every object under each item),
 * every item verifies, the index lists every AOI and no lease is left. The timeline is printed and written to
 * test-artifacts/slurm/timeline.txt.
 */

/** Rectangles inside the tile ([28.80, -2.55, 28.90, -2.40]), of different sizes so the balancing has work. */
const AOIS = [
  { id: 'array-a', bbox: [28.8, -2.55, 28.835, -2.52] },
  { id: 'array-b', bbox: [28.85, -2.55, 28.89, -2.535] },
  { id: 'array-c', bbox: [28.8, -2.5, 28.83, -2.48] },
  { id: 'array-d', bbox: [28.84, -2.5, 28.88, -2.48] },
  { id: 'array-e', bbox: [28.8, -2.47, 28.815, -2.45] },
  { id: 'array-f', bbox: [28.83, -2.47, 28.88, -2.455] },
  { id: 'array-g', bbox: [28.8, -2.44, 28.84, -2.41] },
  { id: 'array-h', bbox: [28.86, -2.44, 28.89, -2.425] },
];
const TASKS = 4;
/**
 * Two tasks are stopped while they compute their second unit, each as Slurm stops tasks: plain `scancel` (SIGTERM,
 * as a time limit or a user does: changewatch stops between blocks, releases its lease and writes its run report)
 * and `scancel --batch --signal=KILL` (SIGKILL to the job script's process, which is changewatch: nothing is cleaned
 * up, as when a node dies). Both are requeued.
 */
const KILLS = [
  { index: 1, signal: 'SIGTERM', scancel: [] as string[] },
  { index: 2, signal: 'SIGKILL', scancel: ['--batch', '--signal=KILL'] },
] as const;
const SCRIPT = join(ROOT, 'deploy', 'slurm', 'changewatch-array.sbatch');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'slurm');

interface LogLine {
  time: number;
  msg: string;
  runId?: string;
  aoi?: string;
  outcome?: string;
  action?: string;
  [key: string]: unknown;
}

let cluster: SlurmCluster | undefined;
let site: RunSite;
let client: S3Client;
let bucket: string;
let env: Record<string, string>;
const events: Array<{ time: number; what: string }> = [];
const note = (what: string) => events.push({ time: Date.now(), what });

beforeAll(async () => {
  const why = slurmUnavailable();
  if (why) throw new Error(`slurm.array.test: ${why}`);
  const s3 = inject('s3');
  bucket = `cw-array-${Date.now()}`;
  client = await s3ClientWithBucket(bucket);
  const { collection, items } = await bukavuItems();
  const storeUrl = `s3://${bucket}/array`;
  site = await startRunSite({
    aois: AOIS,
    items,
    collections: [collection],
    storeUrl,
    extraConfig: {
      store: { url: storeUrl, s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true } },
      analysis: { maxThreads: 1 },
    },
  });
  // The same inputs into another prefix, for the single-process run.
  const config = JSON.parse(readFileSync(site.configFile, 'utf8')) as { store: { url: string } };
  config.store.url = `s3://${bucket}/single`;
  writeFileSync(join(site.dir, 'single.config.json'), JSON.stringify(config));
  // `changewatch` on the compute node's PATH, as the job script expects: the build, run by this test's node.
  const bin = join(site.dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'changewatch'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, 'changewatch'), 0o755);
  env = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    CHANGEWATCH_LOG_LEVEL: 'info',
  };
  cluster = await startSlurmCluster({ cpus: 2 });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await site?.stac.close();
});

const logPath = (index: number) => join(site.dir, `task-${index}.err`);

function logLines(index: number): LogLine[] {
  if (!existsSync(logPath(index))) return [];
  return readFileSync(logPath(index), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The built CLI with `args`, as a child process. */
function cli(
  args: string[],
  extra: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: childEnv({ ...env, CHANGEWATCH_LOG_LEVEL: 'warn', ...extra }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The single-process run of the same inputs into the other prefix. */
async function singleRun() {
  const result = await cli(['--config', join(site.dir, 'single.config.json'), 'run']);
  note(`single-process run (same inputs, prefix single/) done, exit ${result.status}`);
  return result;
}

async function keysOf(store: ObjectStore, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list(prefix)) keys.push(key);
  return keys;
}

async function json<T>(store: ObjectStore, key: string): Promise<T> {
  return JSON.parse(new TextDecoder().decode((await store.get(key))!)) as T;
}

/** sha256 of every object under each AOI's items (the item documents and all their assets), by key. */
async function itemDigests(store: ObjectStore): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const { id } of AOIS) {
    for (const key of await keysOf(store, `${id}/${id}-`)) digests[key] = sha256Hex((await store.get(key))!);
  }
  return digests;
}

/** Stops task `kill.index` once it computes its second unit, then requeues it; resolves to the stopped run's id. */
async function killAndRequeue(jobId: string, kill: (typeof KILLS)[number]): Promise<string> {
  const slurm = cluster!;
  const task = `${jobId}_${kill.index}`;
  // Mid-run: the task has finished one unit and planned the next one as a computation.
  const runId = await until(
    `task ${kill.index} to start computing its second unit`,
    () => {
      const lines = logLines(kill.index);
      const firstDone = lines.findIndex((line) => line.msg === 'Aoi:Run:Done');
      const computing = lines.findIndex(
        (line, at) => at > firstDone && line.msg === 'Aoi:Plan:Done' && line.action === 'compute',
      );
      return firstDone >= 0 && computing >= 0 ? lines[computing]!.runId : undefined;
    },
    90_000,
  );
  await slurm.command('scancel', [...kill.scancel, task]);
  note(
    `scancel ${[...kill.scancel, task].join(' ')} (${kill.signal}; run ${runId} computing ${unitBeingComputed(kill.index)})`,
  );
  const state = await until(
    `task ${kill.index} to end`,
    async () => /JobState=(CANCELLED|FAILED)/.exec(await slurm.command('scontrol', ['show', 'job', task]))?.[1],
    30_000,
  );
  // A requeued task waits for a begin time Slurm sets (about two minutes); it may start as soon as a core is free.
  await slurm.command('scontrol', ['requeue', task]);
  await slurm.command('scontrol', ['update', `jobid=${task}`, 'StartTime=now']);
  note(`task ${kill.index} ${state}; scontrol requeue ${task}`);
  return runId;
}

/** Submits the array, stops and requeues the tasks of KILLS, and waits for the whole array. */
async function runArray(): Promise<{ jobId: string; killedRuns: string[] }> {
  const slurm = cluster!;
  const jobId = (
    await slurm.command(
      'sbatch',
      [
        '--parsable',
        `--array=0-${TASKS - 1}`,
        '--cpus-per-task=1',
        '--mem=1G',
        `--chdir=${site.dir}`,
        `--output=${join(site.dir, 'task-%a.out')}`,
        `--error=${join(site.dir, 'task-%a.err')}`,
        SCRIPT,
        '--config',
        site.configFile,
      ],
      childEnv(env),
    )
  ).trim();
  note(`sbatch --array=0-${TASKS - 1} → job ${jobId}`);
  const killedRuns = await Promise.all(KILLS.map((kill) => killAndRequeue(jobId, kill)));
  await until(
    'the array to finish',
    async () => ((await slurm.command('squeue', ['-h', '-j', jobId])).trim() === '' ? true : undefined),
    110_000,
  );
  note(`job ${jobId}: every task done`);
  return { jobId, killedRuns };
}

function unitBeingComputed(index: number): string {
  return logLines(index).findLast((line) => line.msg === 'Aoi:Plan:Done')?.aoi ?? '?';
}

/** Each task's runs and AOIs from its log, and the test's own steps, in time order. */
function timeline(start: number): string[] {
  const rows: Array<{ time: number; what: string }> = [...events];
  for (let index = 0; index < TASKS; index++) {
    for (const line of logLines(index)) {
      const run = line.runId ? ` run ${line.runId}` : '';
      if (line.msg === 'Run:Shard:Planned')
        rows.push({ time: line.time, what: `task ${index}${run}: share ${(line.mine as string[]).join(', ')}` });
      if (line.msg === 'Aoi:Plan:Done')
        rows.push({ time: line.time, what: `task ${index}${run}: ${line.aoi} plan ${line.action}` });
      if (line.msg === 'Aoi:Run:Done')
        rows.push({
          time: line.time,
          what: `task ${index}${run}: ${line.aoi} ${line.outcome} in ${Number(line.ms) / 1000} s`,
        });
      if (line.msg === 'Run:Done') rows.push({ time: line.time, what: `task ${index}${run}: done` });
    }
  }
  return rows
    .sort((a, b) => a.time - b.time)
    .map((row) => `${((row.time - start) / 1000).toFixed(1).padStart(6)} s  ${row.what}`);
}

describe('a Slurm job array runs the night', () => {
  it('computes every AOI once, as a single process does, with a task killed mid-run and requeued', async () => {
    const store = new S3ObjectStore(client, `s3://${bucket}/array`);
    const reference = new S3ObjectStore(client, `s3://${bucket}/single`);
    // The plan: the same units in the same order twice, the shares the tasks will take, and nothing written.
    const plans = await Promise.all(
      [0, 1].map(() => cli(['--config', site.configFile, 'plan', '--json', '--shards', '4'])),
    );
    expect(plans[0]!.status, plans[0]!.stderr).toBe(0);
    expect(plans[1]!.stdout).toBe(plans[0]!.stdout);
    const planned = JSON.parse(plans[0]!.stdout) as {
      units: Array<{ id: string }>;
      shards: { tasks: Array<{ units: string[] }> };
    };
    expect(planned.units.map((unit) => unit.id)).toEqual(AOIS.map(({ id }) => `${id}-2021-08-15-2021-09-30`).sort());
    expect(await keysOf(store)).toEqual([]);

    const start = Date.now();
    const [array, single] = await Promise.all([runArray(), singleRun()]);
    const lines = timeline(start);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'timeline.txt'), `${lines.join('\n')}\n`);
    console.log(`slurm.array.test timeline:\n${lines.join('\n')}`);
    expect(single.status, single.stdout + single.stderr.slice(-2000)).toBe(0);

    const reports = await Promise.all((await keysOf(store, 'runs/')).map((key) => json<RunReport>(store, key)));
    const [terminated, killed] = array.killedRuns as [string, string];
    // A report per attempt that ended on its own terms: the SIGTERM'd attempt wrote one, the SIGKILLed one could not.
    expect(reports.map((report) => report.shard?.index).sort()).toEqual([0, 1, 1, 2, 3]);
    expect(reports.every((report) => report.shard?.count === TASKS && report.shard.source === 'slurm')).toBe(true);
    expect(reports.some((report) => report.runId === killed)).toBe(false);
    const stopped = reports.find((report) => report.runId === terminated)!;
    expect(stopped.aois.map((entry) => entry.outcome)).toEqual(['ok', 'failed']);
    expect(stopped.aois[1]!.reason).toMatch(/stopped/);
    // The shares partition the night's units, and every attempt of a task had the same share.
    const shares = new Map(reports.map((report) => [report.shard!.index, report.shard!.mine]));
    for (const report of reports) expect(report.shard!.mine).toEqual(shares.get(report.shard!.index));
    expect([...shares.values()].flat().sort()).toEqual(AOIS.map(({ id }) => `${id}-2021-08-15-2021-09-30`).sort());
    expect(planned.shards.tasks.map((task) => task.units)).toEqual([0, 1, 2, 3].map((index) => shares.get(index)));

    // Computed exactly once: by the run reports, plus what the SIGKILLed attempt finished (in the AOIs' histories).
    const okInReports = reports.flatMap((report) => report.aois.filter((e) => e.outcome === 'ok').map((e) => e.aoi));
    for (const { id } of AOIS) {
      const state = await json<AoiState>(store, `${id}/state.json`);
      const computed = state.history.filter((record) => record.outcome === 'ok');
      expect(computed, `${id}: ${JSON.stringify(state.history)}`).toHaveLength(1);
      const byKilled = computed[0]!.runId === killed;
      expect(
        okInReports.filter((aoi) => aoi === id),
        id,
      ).toHaveLength(byKilled ? 0 : 1);
      expect(await storeProblems(store, id), id).toEqual([]);
    }
    // Each requeued attempt redid only its unfinished unit.
    for (const kill of KILLS) {
      const requeued = reports.find(
        (report) => report.shard?.index === kill.index && !array.killedRuns.includes(report.runId),
      )!;
      expect(
        requeued.aois.map((entry) => entry.outcome),
        `task ${kill.index}`,
      ).toEqual(['nothing-new', 'ok']);
    }

    // The same bytes as the single-process run, object by object.
    expect(await itemDigests(store)).toEqual(await itemDigests(reference));
    expect(Object.keys(await itemDigests(store)).length).toBeGreaterThan(AOIS.length * 10);
    // No lease left; the index lists every AOI with its last outcome.
    expect((await keysOf(store)).filter((key) => key.endsWith('lease.json'))).toEqual([]);
    // The index, written by every task at its end, converged on every AOI's last run.
    const index = new TextDecoder().decode((await store.get('index.html'))!);
    for (const { id } of AOIS) {
      const last = (await json<AoiState>(store, `${id}/state.json`)).history.at(-1)!;
      const row = new RegExp(`<tr data-aoi="${id}">.*?</tr>`).exec(index)?.[0] ?? `no row for ${id}`;
      expect(row).toContain(`<code>${last.runId}</code>`);
    }
    console.log(`slurm.array.test: wall time ${((Date.now() - start) / 1000).toFixed(1)} s`);
  }, 180_000);
});
