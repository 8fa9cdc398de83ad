import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { leaseKey, type LeaseRecord } from '../../pipeline/run/lease.js';
import {
  computingSecondUnit,
  expectSameAsSingleRun,
  expectSharesOfPlan,
  json,
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
import { childEnv, CLI, ROOT } from '../helpers/paths.js';

/**
 * The Kubernetes Indexed Job contract, simulated (issue 16; no Kubernetes cluster runs here): the Job of
 * deploy/kubernetes/cronjob.yaml as its controller runs it, with 4 completions instead of 8. Each pod is a
 * `changewatch` process with the container's arguments and variables from the manifest, `JOB_COMPLETION_INDEX`, the
 * count in `CHANGEWATCH_RUN_SHARD_COUNT`, its own scratch folder (the pod's emptyDir), and, as in a pod, its own UTS
 * and PID namespaces: hostname `<job>-<index>` and changewatch as pid 1. They run the 8 AOIs of the Slurm test
 * (test/helpers/array.night.ts) against the real S3 server. Index 2's pod is SIGKILLed while it computes its
 * second unit (as the kubelet kills an OOM container or a node dies) and the controller replaces it, as
 * `backoffLimitPerIndex` and the pod failure policy of the manifest say. The replacement has the same hostname
 * and pid as the holder of the lease it finds, so only the task identity lets it take the lease over at once.
 * Then the store equals a single-process run of the same inputs, as in the Slurm test.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const COMPLETIONS = 4;
const KILLED_INDEX = 2;
const ARTIFACTS = join(ROOT, 'test-artifacts', 'kubernetes');

/** The Job template of the manifest's CronJob and its changewatch container. */
function manifestJob(): { spec: Json; container: Json } {
  const text = readFileSync(join(ROOT, 'deploy', 'kubernetes', 'cronjob.yaml'), 'utf8');
  const cronJob = parseAllDocuments(text)
    .map((doc) => doc.toJS() as Json)
    .find((doc) => doc.kind === 'CronJob')!;
  const spec = cronJob.spec.jobTemplate.spec;
  const container = spec.template.spec.containers.find((c: Json) => c.name === 'changewatch');
  return { spec, container };
}

/** What the controller needs of the Job, from the manifest, with `completions` pods at once as it has. */
interface IndexedJob {
  name: string;
  completions: number;
  parallelism: number;
  backoffLimitPerIndex: number;
  /** Exit codes the pod failure policy answers with FailJob. */
  failJobExitCodes: number[];
}

interface Pod {
  index: number;
  attempt: number;
  name: string;
  hostname: string;
  log: string;
  /** Sends `signal` to the pod's changewatch (its pid 1), as the kubelet or a dying node does. */
  kill(signal: NodeJS.Signals): void;
  /** The container's exit code: 128 + the signal's number when killed, as the container runtime reports it. */
  exited: Promise<number>;
}

/**
 * A pod of `job` for `index`: changewatch with the container's args and its plain variables (the Secret's keys
 * given as the S3 credentials), in new UTS and PID namespaces (util-linux `unshare`) with hostname `<job>-<index>`.
 */
function startPod(night: ArrayNight, job: IndexedJob, container: Json, index: number, attempt: number): Pod {
  const hostname = `${job.name}-${index}`;
  const name = `${hostname}-${randomBytes(3).toString('hex').slice(0, 5)}`;
  const podDir = join(night.site.dir, 'pods', name);
  mkdirSync(join(podDir, 'tmp'), { recursive: true });
  const plain = Object.fromEntries(
    (container.env as Json[]).filter((e) => e.value !== undefined).map((e) => [e.name, String(e.value)]),
  );
  const env = childEnv({
    ...night.env,
    ...plain,
    CHANGEWATCH_CONFIG: night.site.configFile,
    CHANGEWATCH_RUN_SHARD_COUNT: String(job.completions),
    // Four pods on two cores: one worker thread each, and the info log the timeline is read from.
    CHANGEWATCH_ANALYSIS_MAX_THREADS: '1',
    CHANGEWATCH_LOG_LEVEL: 'info',
    TMPDIR: join(podDir, 'tmp'),
    JOB_COMPLETION_INDEX: String(index),
    HOSTNAME: hostname,
  });
  const log = join(night.site.dir, 'pods', `${name}.log`);
  const out = openSync(log, 'a');
  const child = spawn(
    'unshare',
    ['--uts', '--pid', '--fork', '--mount-proc', '--kill-child', 'sh', '-c', 'hostname "$0" && exec "$@"'].concat(
      hostname,
      process.execPath,
      CLI,
      ...(container.args as string[]),
    ),
    { env, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  // unshare exits 1 when its child dies of a signal: the signal is kept here to report it as a runtime does.
  let killedBy: NodeJS.Signals | undefined;
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => {
      const by = killedBy ?? signal;
      resolve(by ? 128 + constants.signals[by] : code!);
    }),
  );
  const kill = (signal: NodeJS.Signals) => {
    // The pod's pid 1 is unshare's one child.
    const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ');
    process.kill(Number(children[0]), signal);
    killedBy = signal;
  };
  return { index, attempt, name, hostname, log, kill, exited };
}

interface JobOutcome {
  pods: Array<Pod & { exit: number }>;
  succeeded: number[];
  failedIndexes: number[];
  failed?: string;
}

/**
 * The Job controller for an Indexed Job: up to `parallelism` pods at once, lowest pending index first; an index
 * succeeds with its pod's exit 0; a pod's exit code in the pod failure policy's FailJob rule fails the Job; any
 * other failure counts against the index's `backoffLimitPerIndex` and, within it, a replacement pod is created once
 * the failed one has terminated (`podReplacementPolicy: Failed`), after `onEnded` has looked at what it left.
 */
async function runIndexedJob(
  job: IndexedJob,
  start: (index: number, attempt: number) => Pod,
  onEnded: (pod: Pod, exit: number) => Promise<void>,
): Promise<JobOutcome> {
  const outcome: JobOutcome = { pods: [], succeeded: [], failedIndexes: [] };
  const pending = Array.from({ length: job.completions }, (_, index) => index);
  const failures = new Map<number, number>();
  let active = 0;
  await new Promise<void>((resolve) => {
    const launch = () => {
      while (active < job.parallelism && pending.length > 0 && !outcome.failed) {
        const index = pending.shift()!;
        const pod = start(index, failures.get(index) ?? 0);
        active++;
        void pod.exited.then(async (exit) => {
          outcome.pods.push({ ...pod, exit });
          await onEnded(pod, exit);
          active--;
          if (exit === 0) outcome.succeeded.push(index);
          else if (job.failJobExitCodes.includes(exit)) outcome.failed = `pod ${pod.name} exited ${exit}`;
          else if ((failures.get(index) ?? 0) < job.backoffLimitPerIndex) {
            failures.set(index, (failures.get(index) ?? 0) + 1);
            pending.push(index);
          } else outcome.failedIndexes.push(index);
          launch();
          if (active === 0) resolve();
        });
      }
    };
    launch();
  });
  return outcome;
}

let night: ArrayNight;
const events: Array<{ time: number; what: string }> = [];
const note = (what: string) => events.push({ time: Date.now(), what });

beforeAll(async () => {
  const unshare = spawn('unshare', ['--uts', '--pid', '--fork', 'true']);
  const status = await new Promise<number | null>((resolve) =>
    unshare.on('exit', resolve).on('error', () => resolve(-1)),
  );
  if (status !== 0) throw new Error('kubernetes.indexed.test: util-linux unshare cannot make namespaces (needs root)');
  night = await startArrayNight('cw-indexed');
}, 120_000);

afterAll(async () => {
  await night?.site.stac.close();
});

describe('a Kubernetes Indexed Job runs the night (simulated controller, real processes and S3)', () => {
  it('computes every AOI once, as a single process does, with a pod killed mid-run and its index retried', async () => {
    const { spec, container } = manifestJob();
    // The manifest's contract the simulation relies on.
    expect(spec.completionMode).toBe('Indexed');
    expect(spec.podReplacementPolicy).toBe('Failed');
    expect(spec.parallelism).toBe(spec.completions);
    expect(container.env.find((e: Json) => e.name === 'CHANGEWATCH_RUN_SHARD_COUNT').value).toBe(
      String(spec.completions),
    );
    const failJob = (spec.podFailurePolicy.rules as Json[]).find((rule) => rule.action === 'FailJob')!;
    const job: IndexedJob = {
      // A CronJob names its Jobs <cronjob>-<scheduled time in minutes>.
      name: `changewatch-nightly-${Math.floor(Date.now() / 60_000)}`,
      completions: COMPLETIONS,
      parallelism: COMPLETIONS,
      backoffLimitPerIndex: spec.backoffLimitPerIndex,
      failJobExitCodes: failJob.onExitCodes.values,
    };
    expect(job.backoffLimitPerIndex).toBeGreaterThanOrEqual(1);
    const planned = await planTwice(night, COMPLETIONS);
    expect(await keysOf(night.store)).toEqual([]);

    const start = Date.now();
    let killedRun: string | undefined;
    let leftLease: LeaseRecord | undefined;
    let killing: Promise<void> | undefined;
    const startAndWatch = (index: number, attempt: number) => {
      const pod = startPod(night, job, container, index, attempt);
      note(`pod ${pod.name} (index ${index}, attempt ${attempt}) started`);
      if (index === KILLED_INDEX && attempt === 0) killing = killMidRun(pod);
      return pod;
    };
    const killMidRun = async (pod: Pod) => {
      killedRun = await until(
        'the pod to compute its second unit',
        () => computingSecondUnit(logLinesOf(pod.log)),
        90_000,
      );
      pod.kill('SIGKILL');
      note(
        `SIGKILL to pod ${pod.name}'s changewatch (run ${killedRun} computing ${unitBeingComputed(logLinesOf(pod.log))})`,
      );
    };
    const onEnded = async (pod: Pod, exit: number) => {
      note(`pod ${pod.name} ended, exit ${exit}`);
      if (exit === 0) return;
      const aoi = unitBeingComputed(logLinesOf(pod.log));
      leftLease = await json<LeaseRecord>(night.store, leaseKey(aoi));
    };
    const [outcome, single] = await Promise.all([
      runIndexedJob(job, startAndWatch, onEnded),
      singleRun(night).then((result) => {
        note(`single-process run (same inputs, prefix single/) done, exit ${result.status}`);
        return result;
      }),
    ]);
    await killing;
    const logs = outcome.pods.map((pod) => ({ task: `pod ${pod.name}`, lines: logLinesOf(pod.log) }));
    const lines = timelineOf(start, events, logs);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'timeline.txt'), `${lines.join('\n')}\n`);
    console.log(`kubernetes.indexed.test timeline:\n${lines.join('\n')}`);
    expect(single.status, single.stdout + single.stderr.slice(-2000)).toBe(0);

    // The Job: every index complete, index 2 after one failed pod (SIGKILL: 137).
    expect(outcome.failed).toBeUndefined();
    expect(outcome.failedIndexes).toEqual([]);
    expect(outcome.succeeded.sort()).toEqual([0, 1, 2, 3]);
    const attempts = outcome.pods.map((pod) => `${pod.index}/${pod.attempt}:${pod.exit}`).sort();
    expect(attempts).toEqual(['0/0:0', '1/0:0', '2/0:137', '2/1:0', '3/0:0']);
    // The lease the killed pod left looked alive (same hostname as its replacement, pid 1): only the task identity
    // lets the replacement take it over without waiting for it to expire.
    expect(leftLease).toMatchObject({ runId: killedRun, host: `${job.name}-${KILLED_INDEX}`, pid: 1 });
    expect(leftLease!.task).toBe(`kubernetes:${job.name}-${KILLED_INDEX}`);

    const reports = await runReports(night.store);
    // A report per pod that ended on its own terms; the SIGKILLed one could not write one.
    expect(reports.map((report) => report.shard?.index).sort()).toEqual([0, 1, 2, 3]);
    expect(reports.some((report) => report.runId === killedRun)).toBe(false);
    for (const report of reports) {
      expect(report.shard).toMatchObject({
        count: COMPLETIONS,
        source: 'kubernetes',
        task: `kubernetes:${job.name}-${report.shard!.index}`,
      });
    }
    expectSharesOfPlan(reports, planned, COMPLETIONS);
    // The replacement redid only its unfinished unit.
    const replacement = reports.find((report) => report.shard!.index === KILLED_INDEX)!;
    const [finished, unfinished] = replacement.aois;
    expect(unfinished!.outcome).toBe('ok');
    // The finished unit is not recomputed. Its link in the root catalog, which every pod reads, merges and writes
    // back (checked once after writing), can be lost to another pod writing at the same moment: then, and only
    // then, the replacement completes that link (seen once in CI, three pods publishing within 0.2 s).
    if (finished!.outcome !== 'nothing-new') {
      expect(finished!.outcome).toBe('repaired');
      expect(finished!.reason).toMatch(
        /publication is incomplete \(catalog\.json has no link to array-\w+\): completing it$/,
      );
    }
    await expectSameAsSingleRun(night, [killedRun!]);
    console.log(`kubernetes.indexed.test: wall time ${((Date.now() - start) / 1000).toFixed(1)} s`);
  }, 180_000);
});
