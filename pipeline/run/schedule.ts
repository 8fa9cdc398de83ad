import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import cron, { type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import type { Config } from '../../config/config.schema.js';
import type { Logger } from '../log.js';
import type { RunReport } from './run.js';

/**
 * The nightly scheduler: node-cron fires runs at the configured time and zone, never two at once (`noOverlap`);
 * a heartbeat file says the process is alive and what it last did, for the container health check; SIGTERM or
 * SIGINT stop taking work, abort the run in progress between blocks (published items stay whole, the AOI's
 * lease is released) and exit.
 */

export interface Heartbeat {
  pid: number;
  at: string;
  status: 'idle' | 'running' | 'stopping' | 'stopped';
  nextRun: string | null;
  lastRun: { runId: string; endedAt: string; failed: number; aois: number } | null;
  lastError: string | null;
}

export async function writeHeartbeat(file: string, heartbeat: Heartbeat): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, `${JSON.stringify(heartbeat)}\n`);
  await rename(temporary, file);
}

/** Healthy when the heartbeat is fresh and the scheduler is not stopped. */
export async function checkHeartbeat(
  file: string,
  maxAgeMs: number,
  now: Date = new Date(),
): Promise<{ healthy: boolean; reason: string }> {
  let heartbeat: Heartbeat;
  try {
    heartbeat = JSON.parse(await readFile(file, 'utf8')) as Heartbeat;
  } catch (error) {
    return {
      healthy: false,
      reason: `${file}: no heartbeat (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    };
  }
  const age = now.getTime() - Date.parse(heartbeat.at);
  if (!(age <= maxAgeMs)) return { healthy: false, reason: `heartbeat is ${Math.round(age / 1000)} s old` };
  if (heartbeat.status === 'stopped') return { healthy: false, reason: 'the scheduler has stopped' };
  return { healthy: true, reason: `${heartbeat.status}, heartbeat ${Math.round(age / 1000)} s old` };
}

export const HEARTBEAT_EVERY_MS = 60_000;

/**
 * node-cron's logger as pino, so its messages are JSON log lines (`Cron:Task:Message`), not coloured `[WARN]` text on
 * stderr. Its warnings are about overlapping and missed runs, which the scheduler logs itself (`Schedule:Run:Overlap`,
 * `Schedule:Run:Missed`), so they go to debug with its other chatter; its errors stay errors.
 */
export function cronLogger(log: Logger): CronLogger {
  const line =
    (level: 'debug' | 'error') =>
    (message: string | Error, err?: Error): void =>
      log[level](
        { cron: message instanceof Error ? message.message : message, ...(err ? { err } : {}) },
        'Cron:Task:Message',
      );
  return { info: line('debug'), warn: line('debug'), debug: line('debug'), error: line('error') };
}

export interface Scheduler {
  task: ScheduledTask;
  /** Stops taking work, aborts the run in progress and waits for it to wind down. */
  stop(): Promise<void>;
  /** The run in progress, if any. */
  readonly running: Promise<RunReport | undefined> | undefined;
}

/** Runs the schedule skipped: one still running at the next fire time (noOverlap), or a fire time missed. */
function logSkippedRuns(task: ScheduledTask, log: Logger): void {
  task.on('execution:overlap', () => log.warn('Schedule:Run:Overlap'));
  task.on('execution:missed', (context) =>
    log.warn({ scheduledAt: context.date.toISOString() }, 'Schedule:Run:Missed'),
  );
}

/** The heartbeat, and its writer: at each change and every {@link HEARTBEAT_EVERY_MS}, with the next fire time. */
function heartbeatWriter(file: string, log: Logger, nextRun: () => Date | null) {
  const heartbeat: Heartbeat = {
    pid: process.pid,
    at: new Date().toISOString(),
    status: 'idle',
    nextRun: null,
    lastRun: null,
    lastError: null,
  };
  const beat = async (changes: Partial<Heartbeat> = {}) => {
    Object.assign(heartbeat, changes, { at: new Date().toISOString(), nextRun: nextRun()?.toISOString() ?? null });
    await writeHeartbeat(file, heartbeat).catch((error: unknown) =>
      log.warn({ err: error, file }, 'Heartbeat:Write:Failed'),
    );
  };
  return { heartbeat, beat };
}

/** A run's outcome kept in the heartbeat; a failure is logged, not thrown: the schedule goes on. */
function recordedRun(run: Promise<RunReport>, heartbeat: Heartbeat, log: Logger): Promise<RunReport | undefined> {
  return run
    .then((report) => {
      heartbeat.lastRun = {
        runId: report.runId,
        endedAt: report.endedAt,
        failed: report.aois.filter((aoi) => aoi.outcome === 'failed').length,
        aois: report.aois.length,
      };
      heartbeat.lastError = null;
      return report;
    })
    .catch((error: unknown) => {
      heartbeat.lastError = (error as Error).message;
      log.error({ err: error }, 'Schedule:Run:Failed');
      return undefined;
    });
}

export function startScheduler(input: {
  config: Config;
  log: Logger;
  /** One run; `scheduledAt` is the cron time it fires for. */
  run: (signal: AbortSignal, scheduledAt: Date) => Promise<RunReport>;
}): Scheduler {
  const { config, log } = input;
  const file = config.schedule.heartbeatFile;
  const controller = new AbortController();
  let running: Promise<RunReport | undefined> | undefined;
  const { heartbeat, beat } = heartbeatWriter(file, log, () => task.getNextRun());
  const task = cron.schedule(
    config.schedule.cron,
    async (context) => {
      if (controller.signal.aborted) return;
      await beat({ status: 'running' });
      running = recordedRun(input.run(controller.signal, context.date), heartbeat, log);
      await running;
      running = undefined;
      await beat({ status: controller.signal.aborted ? 'stopping' : 'idle' });
    },
    { name: 'changewatch-run', timezone: config.schedule.timezone, noOverlap: true, logger: cronLogger(log) },
  );
  logSkippedRuns(task, log);
  const timer = setInterval(() => void beat(), HEARTBEAT_EVERY_MS);
  void beat();
  log.info(
    { cron: config.schedule.cron, timezone: config.schedule.timezone, nextRun: task.getNextRun(), heartbeat: file },
    'Schedule:Start',
  );
  return {
    task,
    get running() {
      return running;
    },
    async stop() {
      await task.stop();
      controller.abort(new Error('the scheduler is stopping'));
      await running;
      clearInterval(timer);
      await task.destroy();
      await beat({ status: 'stopped' });
      log.info('Schedule:Stop');
    },
  };
}
