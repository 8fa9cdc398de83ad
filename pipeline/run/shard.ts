import { hostname } from 'node:os';
import { ChangewatchError } from '../errors.js';

/**
 * Array tasks (README "Scaling out"): which share of the night's work units this process does. Pure, the
 * environment passed in: the index and count come from `--shard I/N` or from the engine's own variables (Slurm job
 * arrays, Kubernetes Indexed Jobs, AWS Batch array jobs), and the units are dealt out by a deterministic
 * largest-first balancing of their estimated costs, so every task of one array, planning the same inputs, agrees on
 * who does what without talking to the others.
 */

export interface Shard {
  /** 0-based index of this task. */
  index: number;
  /** How many tasks share the units. */
  count: number;
  /** Where the index and count came from: `--shard`, `slurm`, `kubernetes` or `aws-batch`. */
  source: 'flag' | 'slurm' | 'kubernetes' | 'aws-batch';
}

type Env = Readonly<Record<string, string | undefined>>;

const usage = (message: string) => new ChangewatchError('E_USAGE', message);

/** A whole number written in decimal digits, else undefined (an empty variable is unset). */
function whole(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
}

function checked(shard: Shard, what: string): Shard {
  const { index, count } = shard;
  if (!Number.isSafeInteger(count) || count < 1)
    throw usage(`${what}: the task count ${count} is not a whole number ≥ 1: give --shard I/N with N ≥ 1`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count)
    throw usage(`${what}: index ${index} is not one of 0…${count - 1}: the index is 0-based, below the count`);
  return shard;
}

/** `--shard I/N`: task I (0-based) of N. */
export function parseShardFlag(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw usage(`--shard ${text}: not I/N (this task's 0-based index and the task count, e.g. 2/8)`);
  return checked({ index: Number(match[1]), count: Number(match[2]), source: 'flag' }, `--shard ${text}`);
}

/**
 * Slurm job arrays: `SLURM_ARRAY_TASK_ID` among `SLURM_ARRAY_TASK_COUNT` tasks, offset by `SLURM_ARRAY_TASK_MIN`
 * and divided by `SLURM_ARRAY_TASK_STEP` (`--array=1-8` and `--array=0-14:2` work; a list with gaps does not).
 */
function slurmShard(env: Env): Shard | undefined {
  const id = whole(env['SLURM_ARRAY_TASK_ID']);
  if (id === undefined) return undefined;
  const min = whole(env['SLURM_ARRAY_TASK_MIN']) ?? 0;
  const max = whole(env['SLURM_ARRAY_TASK_MAX']);
  const step = whole(env['SLURM_ARRAY_TASK_STEP']) ?? 1;
  const count = whole(env['SLURM_ARRAY_TASK_COUNT']) ?? (max === undefined ? undefined : (max - min) / step + 1);
  const what = `SLURM_ARRAY_TASK_ID=${env['SLURM_ARRAY_TASK_ID']}`;
  if (count === undefined) throw usage(`${what}: no SLURM_ARRAY_TASK_COUNT nor MIN/MAX: give --shard I/N`);
  const contiguous = max === undefined || (max - min) / step + 1 === count;
  if (!contiguous || (id - min) % step !== 0) {
    throw usage(
      `${what}: the array's indices (${min}-${max}:${step}, ${count} tasks) are not one evenly spaced range: submit with --array=0-${count - 1}, or give --shard I/N`,
    );
  }
  return checked({ index: (id - min) / step, count, source: 'slurm' }, what);
}

/** Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX`, the count from `run.shardCount` (the Job's `completions`). */
function kubernetesShard(env: Env, shardCount: number | undefined): Shard | undefined {
  const index = whole(env['JOB_COMPLETION_INDEX']);
  if (index === undefined) return undefined;
  const what = `JOB_COMPLETION_INDEX=${env['JOB_COMPLETION_INDEX']}`;
  if (shardCount === undefined) {
    throw new ChangewatchError(
      'E_CONFIG',
      `${what}: no task count: set run.shardCount (CHANGEWATCH_RUN_SHARD_COUNT) to the Indexed Job's completions`,
    );
  }
  return checked({ index, count: shardCount, source: 'kubernetes' }, what);
}

/** AWS Batch array jobs: `AWS_BATCH_JOB_ARRAY_INDEX` of `AWS_BATCH_JOB_ARRAY_SIZE`. */
function awsBatchShard(env: Env): Shard | undefined {
  const index = whole(env['AWS_BATCH_JOB_ARRAY_INDEX']);
  if (index === undefined) return undefined;
  const what = `AWS_BATCH_JOB_ARRAY_INDEX=${env['AWS_BATCH_JOB_ARRAY_INDEX']}`;
  const count = whole(env['AWS_BATCH_JOB_ARRAY_SIZE']);
  if (count === undefined) throw usage(`${what}: no AWS_BATCH_JOB_ARRAY_SIZE: give --shard I/N`);
  return checked({ index, count, source: 'aws-batch' }, what);
}

/**
 * This process's shard: `--shard I/N` when given, else the engine's variables (Slurm, then Kubernetes, then AWS
 * Batch); undefined when none is set (a plain run does every unit).
 */
export function shardOf(flag: string | undefined, env: Env, shardCount: number | undefined): Shard | undefined {
  if (flag !== undefined) return parseShardFlag(flag);
  return slurmShard(env) ?? kubernetesShard(env, shardCount) ?? awsBatchShard(env);
}

/**
 * Who this process is to the engine, the same for every attempt of one array task (a Slurm requeue, a Kubernetes
 * pod replacing a failed one of the same index, an AWS Batch retry) and different between tasks. Engines run one
 * attempt of a task at a time, so a lease an earlier attempt left is this task's to take over at once
 * (pipeline/run/lease.ts), wherever that attempt ran. Undefined outside an array task.
 */
export function taskIdentity(env: Env): string | undefined {
  const slurmArray = env['SLURM_ARRAY_JOB_ID'] && env['SLURM_ARRAY_TASK_ID'];
  if (slurmArray) return `slurm:${env['SLURM_ARRAY_JOB_ID']}_${env['SLURM_ARRAY_TASK_ID']}`;
  // An Indexed Job's pods are named after the Job and index: <job>-<index>-<suffix>, and their hostname is
  // <job>-<index> (Kubernetes "Indexed Job"), so the hostname tells the Job and index apart from other Jobs'.
  if (env['JOB_COMPLETION_INDEX']) return `kubernetes:${env['HOSTNAME'] ?? hostname()}`;
  if (env['AWS_BATCH_JOB_ID']) return `aws-batch:${env['AWS_BATCH_JOB_ID']}`;
  if (env['SLURM_JOB_ID']) return `slurm:${env['SLURM_JOB_ID']}`;
  return undefined;
}

/** A unit of work as the balancing sees it: an id (unique, the tie-breaker) and an estimated cost. */
export interface CostedUnit {
  id: string;
  cost: number;
}

/**
 * Longest-processing-time-first (Graham 1969): units in descending cost (ties by id), each to the task with the
 * least cost so far (ties to the lower index). Deterministic: the same units give the same tasks whatever order they
 * come in. The slowest task carries at most 4/3 of the optimum (Graham's bound). Returns the units of each task, in
 * the order dealt (largest first).
 */
export function assignUnits<T extends CostedUnit>(units: readonly T[], count: number): T[][] {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`assignUnits: count ${count} is not ≥ 1`);
  const ids = new Set(units.map((unit) => unit.id));
  if (ids.size !== units.length) throw new RangeError('assignUnits: unit ids are not unique');
  const order = [...units].sort((a, b) => b.cost - a.cost || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const tasks: T[][] = Array.from({ length: count }, () => []);
  const loads = new Array<number>(count).fill(0);
  for (const unit of order) {
    let least = 0;
    for (let task = 1; task < count; task++) if (loads[task]! < loads[least]!) least = task;
    tasks[least]!.push(unit);
    loads[least]! += unit.cost;
  }
  return tasks;
}
