import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computingSecondUnit,
  expectSameAsSingleRun,
  expectSharesOfPlan,
  keysOf,
  logLinesOf,
  planTwice,
  runReports,
  singleRun,
  startArrayNight,
  timelineOf,
  unitBeingComputed,
  until,
  type ArrayNight,
} from '../helpers/array.night.js';
import { childEnv, ROOT } from '../helpers/paths.js';
import { slurmUnavailable, startSlurmCluster, type SlurmCluster } from '../helpers/slurm.cluster.js';

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

let cluster: SlurmCluster | undefined;
let night: ArrayNight;
const events: Array<{ time: number; what: string }> = [];
const note = (what: string) => events.push({ time: Date.now(), what });

beforeAll(async () => {
  const why = slurmUnavailable();
  if (why) throw new Error(`slurm.array.test: ${why}`);
  night = await startArrayNight('cw-array');
  cluster = await startSlurmCluster({ cpus: 2 });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await night?.site.stac.close();
});

const logLines = (index: number) => logLinesOf(join(night.site.dir, `task-${index}.err`));

/** Stops task `kill.index` once it computes its second unit, then requeues it; resolves to the stopped run's id. */
async function killAndRequeue(jobId: string, kill: (typeof KILLS)[number]): Promise<string> {
  const slurm = cluster!;
  const task = `${jobId}_${kill.index}`;
  const runId = await until(
    `task ${kill.index} to start computing its second unit`,
    () => computingSecondUnit(logLines(kill.index)),
    90_000,
  );
  await slurm.command('scancel', [...kill.scancel, task]);
  note(
    `scancel ${[...kill.scancel, task].join(' ')} (${kill.signal}; run ${runId} computing ${unitBeingComputed(logLines(kill.index))})`,
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
  const { dir, configFile } = night.site;
  const jobId = (
    await slurm.command(
      'sbatch',
      [
        '--parsable',
        `--array=0-${TASKS - 1}`,
        '--cpus-per-task=1',
        '--mem=1G',
        `--chdir=${dir}`,
        `--output=${join(dir, 'task-%a.out')}`,
        `--error=${join(dir, 'task-%a.err')}`,
        SCRIPT,
        '--config',
        configFile,
      ],
      childEnv(night.env),
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

describe('a Slurm job array runs the night', () => {
  it('computes every AOI once, as a single process does, with a task killed mid-run and requeued', async () => {
    // The plan: the same units in the same order twice, the shares the tasks will take, and nothing written.
    const planned = await planTwice(night, TASKS);
    expect(await keysOf(night.store)).toEqual([]);

    const start = Date.now();
    const [array, single] = await Promise.all([
      runArray(),
      singleRun(night).then((result) => {
        note(`single-process run (same inputs, prefix single/) done, exit ${result.status}`);
        return result;
      }),
    ]);
    const logs = Array.from({ length: TASKS }, (_, index) => ({ task: `task ${index}`, lines: logLines(index) }));
    const lines = timelineOf(start, events, logs);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'timeline.txt'), `${lines.join('\n')}\n`);
    console.log(`slurm.array.test timeline:\n${lines.join('\n')}`);
    expect(single.status, single.stdout + single.stderr.slice(-2000)).toBe(0);

    const reports = await runReports(night.store);
    const [terminated, killed] = array.killedRuns as [string, string];
    // A report per attempt that ended on its own terms: the SIGTERM'd attempt wrote one, the SIGKILLed one could not.
    expect(reports.map((report) => report.shard?.index).sort()).toEqual([0, 1, 1, 2, 3]);
    expect(reports.every((report) => report.shard?.count === TASKS && report.shard.source === 'slurm')).toBe(true);
    expect(reports.some((report) => report.runId === killed)).toBe(false);
    const stopped = reports.find((report) => report.runId === terminated)!;
    expect(stopped.aois.map((entry) => entry.outcome)).toEqual(['ok', 'failed']);
    expect(stopped.aois[1]!.reason).toMatch(/stopped/);
    expectSharesOfPlan(reports, planned, TASKS);
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
    // Computed exactly once, the same bytes as the single-process run, no lease left, the index converged.
    await expectSameAsSingleRun(night, [killed]);
    console.log(`slurm.array.test: wall time ${((Date.now() - start) / 1000).toFixed(1)} s`);
  }, 180_000);
});
