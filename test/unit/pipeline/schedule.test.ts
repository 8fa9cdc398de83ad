import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigSchema } from '../../../config/config.schema.js';
import { createLogger } from '../../../pipeline/log.js';
import type { RunReport } from '../../../pipeline/run/run.js';
import { checkHeartbeat, startScheduler, type Heartbeat } from '../../../pipeline/run/schedule.js';

const realSetTimeout = globalThis.setTimeout;

/** Real time for real file I/O to finish: up to 5 s (a loaded CI machine), usually a few milliseconds. */
async function settle(until: () => boolean): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!until() && performance.now() < deadline) await new Promise((resolve) => realSetTimeout(resolve, 2));
}

const pause = (ms: number) => new Promise((resolve) => realSetTimeout(resolve, ms));

const report = (runId: string): RunReport => ({
  runId,
  software: { name: 'changewatch', version: '0.0.0' },
  startedAt: '',
  endedAt: `${runId}-end`,
  dryRun: false,
  force: false,
  store: 'file:///x',
  stac: 'http://x',
  aois: [],
  plans: [],
});

afterEach(() => {
  vi.useRealTimers();
});

describe('startScheduler (node-cron on a fake clock)', () => {
  it('runs nightly at 02:00 Africa/Lubumbashi, records a failed run, then the next successful one, and stops', async () => {
    vi.useFakeTimers({
      now: new Date('2026-11-24T23:58:00Z'),
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    const file = join(mkdtempSync(join(tmpdir(), 'cw-heartbeat-')), 'heartbeat.json');
    const config = ConfigSchema.parse({ schedule: { heartbeatFile: file } });
    const calls: string[] = [];
    const scheduler = startScheduler({
      config,
      log: createLogger('silent'),
      run: async (_signal, scheduledAt) => {
        calls.push(scheduledAt.toISOString());
        if (calls.length === 1) throw new Error('the STAC API is down');
        return report(`run-${calls.length}`);
      },
    });
    const heartbeat = () => JSON.parse(readFileSync(file, 'utf8')) as Heartbeat;
    expect(scheduler.task.getNextRun()?.toISOString()).toBe('2026-11-25T00:00:00.000Z');

    // Up to a minute before the firing, then past it; real file I/O settles between the steps.
    await vi.advanceTimersByTimeAsync(60_000);
    await pause(100);
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    await settle(() => calls.length === 1 && heartbeat().lastError !== null);
    expect(calls).toEqual(['2026-11-25T00:00:00.000Z']);
    expect(heartbeat()).toMatchObject({ status: 'idle', lastError: 'the STAC API is down', lastRun: null });

    await vi.advanceTimersByTimeAsync(24 * 3_600_000 - 4 * 60_000);
    await pause(100);
    await vi.advanceTimersByTimeAsync(3 * 60_000);
    await settle(() => heartbeat().lastRun !== null);
    expect(calls).toEqual(['2026-11-25T00:00:00.000Z', '2026-11-26T00:00:00.000Z']);
    expect(heartbeat()).toMatchObject({ status: 'idle', lastError: null, lastRun: { runId: 'run-2', failed: 0 } });
    expect(heartbeat().nextRun).toBe('2026-11-27T00:00:00.000Z');

    await scheduler.stop();
    expect(heartbeat().status).toBe('stopped');
    expect((await checkHeartbeat(file, 180_000)).healthy).toBe(false);
  });

  it('never overlaps: a run still going when the next one is due is skipped', async () => {
    vi.useFakeTimers({
      now: new Date('2026-11-24T23:59:30Z'),
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    const file = join(mkdtempSync(join(tmpdir(), 'cw-heartbeat-')), 'heartbeat.json');
    const config = ConfigSchema.parse({ schedule: { heartbeatFile: file, cron: '* * * * *' } });
    let started = 0;
    let finish: (() => void) | undefined;
    const scheduler = startScheduler({
      config,
      log: createLogger('silent'),
      run: (signal) =>
        new Promise<RunReport>((resolve) => {
          started++;
          finish = () => resolve(report('long'));
          signal.addEventListener('abort', () => resolve(report('aborted')));
        }),
    });
    await vi.advanceTimersByTimeAsync(60_000);
    await settle(() => started === 1);
    expect(started).toBe(1);
    for (let minute = 0; minute < 3; minute++) {
      await vi.advanceTimersByTimeAsync(60_000);
      await pause(100);
    }
    expect(started).toBe(1);
    finish!();
    await scheduler.stop();
  });
});

describe('checkHeartbeat', () => {
  it('is healthy only with a fresh heartbeat of a running scheduler', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-health-'));
    expect(await checkHeartbeat(join(dir, 'none.json'), 60_000)).toMatchObject({
      healthy: false,
      reason: /no heartbeat \(ENOENT\)/,
    });
  });
});
