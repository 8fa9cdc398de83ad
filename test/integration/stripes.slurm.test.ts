import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeaseRecord } from '../../pipeline/run/lease.js';
import {
  ARRAY_AOIS,
  json,
  expectComputedOnce,
  itemDigests,
  keysOf,
  runReports,
  singleRun,
  startArrayNight,
  until,
  type ArrayNight,
} from '../helpers/array.night.js';
import { childEnv, ROOT } from '../helpers/paths.js';
import { slurmUnavailable, startSlurmCluster, type SlurmCluster } from '../helpers/slurm.cluster.js';

/**
 * Stripes on a real Slurm (issue 16): the night of test/integration/stripes.bukavu.test.ts (array-a as 4 stripes
 * and a reduce, array-e whole, real Bukavu tile, real S3 server) submitted with deploy/slurm/changewatch-array.sbatch
 * as `--array=0-2`, and deploy/slurm/changewatch-reduce.sbatch as the dependent job (`--dependency=afterok`). The
 * task computing a stripe is killed (SIGKILL, as a dying node kills it) and requeued; its requeue redoes the stripe.
 * The array's last task to finish a stripe reduces the AOI. The requeue makes Slurm's afterok unsatisfiable, so the
 * dependent job is cancelled (the script's --kill-on-invalid-dep=yes) instead of pending for ever: the AOI is
 * computed once, by the array. The store equals a single-process run's, the work prefix is gone, no lease is left.
 */

const TASKS = 3;
const ARRAY_SCRIPT = join(ROOT, 'deploy', 'slurm', 'changewatch-array.sbatch');
const REDUCE_SCRIPT = join(ROOT, 'deploy', 'slurm', 'changewatch-reduce.sbatch');
const STRIPED = ARRAY_AOIS.find((aoi) => aoi.id === 'array-a')!;
const WHOLE = ARRAY_AOIS.find((aoi) => aoi.id === 'array-e')!;

let cluster: SlurmCluster | undefined;
let night: ArrayNight;

beforeAll(async () => {
  const why = slurmUnavailable();
  if (why) throw new Error(`stripes.slurm.test: ${why}`);
  night = await startArrayNight('cw-stripes-slurm', {
    aois: [STRIPED, WHOLE],
    analysis: { blockSize: 64 },
    run: { stripeMinPixels: 40_000 },
  });
  cluster = await startSlurmCluster({ cpus: 2 });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await night?.site.stac.close();
});

/** sbatch with the night's config, logs in the site folder; resolves to the job id. */
async function submit(script: string, options: string[], log: string): Promise<string> {
  const { dir, configFile } = night.site;
  const args = [
    '--parsable',
    ...options,
    '--cpus-per-task=1',
    '--mem=1G',
    `--chdir=${dir}`,
    `--output=${join(dir, `${log}.out`)}`,
    `--error=${join(dir, `${log}.err`)}`,
    script,
    '--config',
    configFile,
  ];
  return (await cluster!.command('sbatch', args, childEnv(night.env))).trim();
}

/**
 * Once a stripe is being computed (its lease is in the store), the array task holding it is killed as a dying node
 * kills it (`scancel --batch --signal=KILL`) and requeued; resolves to its task identity.
 */
async function killAndRequeue(): Promise<string> {
  const slurm = cluster!;
  const holder = await until(
    'a stripe being computed',
    async () => {
      const lease = (await keysOf(night.store, `${STRIPED.id}/work/`)).find((key) => key.endsWith('/lease.json'));
      return lease ? (await json<LeaseRecord>(night.store, lease).catch(() => undefined))?.task : undefined;
    },
    120_000,
  );
  const task = holder.replace(/^slurm:/, '');
  await slurm.command('scancel', ['--batch', '--signal=KILL', task]);
  await until(
    `task ${task} to end`,
    async () => /JobState=(CANCELLED|FAILED)/.exec(await slurm.command('scontrol', ['show', 'job', task]))?.[1],
    30_000,
  );
  await slurm.command('scontrol', ['requeue', task]);
  await slurm.command('scontrol', ['update', `jobid=${task}`, 'StartTime=now']);
  return holder;
}

/** The tasks' logs (their last lines) and Slurm's record of each, for a failure's message. */
async function taskLogs(arrayJob: string): Promise<string> {
  const { dir } = night.site;
  const tail = (file: string) =>
    existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '(no file)';
  const logs = Array.from({ length: TASKS }, (_, k) =>
    ['out', 'err'].map((kind) => `task-${k}.${kind}:\n${tail(join(dir, `task-${k}.${kind}`))}`).join('\n'),
  );
  const jobs = await cluster!.command('scontrol', ['show', 'job', arrayJob]).catch((error: Error) => error.message);
  return [...logs, jobs].join('\n');
}

describe('stripes on a Slurm job array with a task killed and requeued', () => {
  it('publish what a single process publishes, the AOI reduced once', async () => {
    const arrayJob = await submit(ARRAY_SCRIPT, [`--array=0-${TASKS - 1}`], 'task-%a');
    const reduceJob = await submit(REDUCE_SCRIPT, [`--dependency=afterok:${arrayJob}`], 'reduce');
    const [killed, single] = await Promise.all([killAndRequeue(), singleRun(night)]);
    expect(single.status, single.stderr).toBe(0);
    const queued = async () => (await cluster!.command('squeue', ['-h', '-j', `${arrayJob},${reduceJob}`])).trim();
    await until(
      'the array and the reduce job to finish',
      async () => ((await queued()) === '' ? true : undefined),
      150_000,
    ).catch(async (error: Error) => {
      const jobs = await cluster!.command('squeue', ['-h', '-o', '%i %T %r', '-j', `${arrayJob},${reduceJob}`]);
      throw new Error(`${error.message}\n${jobs}`);
    });

    const reports = await runReports(night.store);
    const arrayReports = reports.filter((report) => report.shard);
    // Once in several CI runs a task's report was missing (shards 1 and 2 only): say what each task and Slurm said.
    const shards = arrayReports.map((report) => report.shard!.index).sort();
    expect(shards, `shards ${shards.join(', ')}; killed ${killed}\n${await taskLogs(arrayJob)}`).toEqual([0, 1, 2]);
    const stripes = arrayReports.flatMap((report) => report.stripes ?? []);
    // No stripe computed twice; the killed attempt wrote no report, its requeue found its finished stripes done.
    const computed = stripes.filter((stripe) => stripe.outcome === 'computed').map((stripe) => stripe.unit);
    expect(new Set(computed).size).toBe(computed.length);
    const finished = stripes.filter((stripe) => ['computed', 'done'].includes(stripe.outcome)).map((s) => s.unit);
    expect(new Set(finished).size).toBe(4);
    // The killed attempt wrote no report; its requeue (same task identity) did.
    expect(reports.filter((report) => report.shard?.task === killed)).toHaveLength(1);
    const reduced = arrayReports.flatMap((r) => r.aois.filter((e) => e.aoi === STRIPED.id && e.outcome === 'ok'));
    expect(reduced.map((entry) => entry.bytesRead)).toEqual([0]);
    // The requeue made afterok unsatisfiable: the dependent job was cancelled (--kill-on-invalid-dep=yes in the
    // script) and wrote no report; the array reduced the AOI itself.
    const dependent = await cluster!.command('scontrol', ['show', 'job', reduceJob]);
    expect(/JobState=(\S+)/.exec(dependent)?.[1]).toBe('CANCELLED');
    console.log(`stripes.slurm.test: killed ${killed}; reduce job: ${/JobState=.*/.exec(dependent)?.[0]}`);
    expect(dependent).toMatch(/Reason=DependencyNeverSatisfied/);
    expect(reports.filter((report) => !report.shard)).toEqual([]);

    expect(await itemDigests(night.store, [STRIPED, WHOLE])).toEqual(
      await itemDigests(night.reference, [STRIPED, WHOLE]),
    );
    expect(Object.keys(await itemDigests(night.store, [STRIPED, WHOLE])).length).toBeGreaterThan(20);
    expect(await keysOf(night.store, `${STRIPED.id}/work/`)).toEqual([]);
    expect((await keysOf(night.store)).filter((key) => key.endsWith('lease.json'))).toEqual([]);
    await expectComputedOnce(night.store, [STRIPED, WHOLE]);
  }, 240_000);
});
