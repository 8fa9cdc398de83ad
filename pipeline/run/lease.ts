import { hostname } from 'node:os';
import { ChangewatchError } from '../errors.js';
import { processAlive } from '../host.js';
import type { ObjectStore } from '../ports.js';

/** The AOI lease: one process at a time per AOI, across schedulers and manual runs, on any store. */

export const leaseKey = (aoiId: string) => `${aoiId}/lease.json`;

export interface LeaseRecord {
  runId: string;
  host: string;
  pid: number;
  acquiredAt: string;
  expiresAt: string;
  /**
   * The array task holding it (pipeline/run/shard.ts `taskIdentity`), if any: another attempt of the same task
   * (a Slurm requeue, a replacement pod of the same index) takes it over at once, from any host.
   */
  task?: string;
}

async function readLease(store: ObjectStore, aoiId: string): Promise<LeaseRecord | null> {
  const bytes = await store.get(leaseKey(aoiId));
  if (!bytes) return null;
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as LeaseRecord;
  } catch {
    return { runId: 'unreadable', host: '', pid: 0, acquiredAt: '', expiresAt: '1970-01-01T00:00:00.000Z' };
  }
}

/**
 * A lease on one AOI: created with a conditional write, so of two processes only one gets it; it expires
 * (`leaseMinutes`) so a holder that died on another machine blocks the AOI for a bounded time, and a holder that
 * died on this machine (its pid is gone) is taken over at once, as is one left by an earlier attempt of the same
 * array task: engines run one attempt of a task at a time, so that holder is gone (a Kubernetes pod of the same
 * index even has the same hostname and, as pid 1, a pid that looks alive).
 */
export class AoiLease {
  private constructor(
    private readonly store: ObjectStore,
    readonly aoiId: string,
    private record: LeaseRecord,
    private readonly minutes: number,
  ) {}

  static async acquire(
    store: ObjectStore,
    aoiId: string,
    options: { runId: string; minutes: number; now?: () => Date; task?: string },
  ): Promise<AoiLease | { heldBy: LeaseRecord }> {
    const now = options.now ?? (() => new Date());
    const make = (): LeaseRecord => ({
      runId: options.runId,
      host: hostname(),
      pid: process.pid,
      acquiredAt: now().toISOString(),
      expiresAt: new Date(now().getTime() + options.minutes * 60_000).toISOString(),
      ...(options.task ? { task: options.task } : {}),
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      const record = make();
      if (await store.putIfAbsent(leaseKey(aoiId), JSON.stringify(record), { contentType: 'application/json' })) {
        // Read back: on stores without conditional writes two processes may both have "created" it.
        const current = await readLease(store, aoiId);
        if (current?.runId === options.runId) return new AoiLease(store, aoiId, record, options.minutes);
        return { heldBy: current ?? record };
      }
      const existing = await readLease(store, aoiId);
      if (!existing) continue;
      const expired = Date.parse(existing.expiresAt) <= now().getTime() || Number.isNaN(Date.parse(existing.expiresAt));
      const deadHere = existing.host === hostname() && existing.pid > 0 && !processAlive(existing.pid);
      const earlierAttempt = options.task !== undefined && existing.task === options.task;
      if (!expired && !deadHere && !earlierAttempt) return { heldBy: existing };
      await store.delete(leaseKey(aoiId));
    }
    const holder = await readLease(store, aoiId);
    return { heldBy: holder ?? make() };
  }

  get runId(): string {
    return this.record.runId;
  }

  /** Extends the lease; fails if another process took it over meanwhile (after expiry). */
  async renew(now: Date = new Date()): Promise<void> {
    const current = await readLease(this.store, this.aoiId);
    if (current?.runId !== this.record.runId) {
      throw new ChangewatchError(
        'E_WRITE',
        `${this.aoiId}: the lease was taken over by run ${current?.runId ?? '(none)'}: this run stops for the AOI; raise run.leaseMinutes if runs last longer`,
      );
    }
    this.record = { ...this.record, expiresAt: new Date(now.getTime() + this.minutes * 60_000).toISOString() };
    await this.store.put(leaseKey(this.aoiId), JSON.stringify(this.record), { contentType: 'application/json' });
  }

  async release(): Promise<void> {
    const current = await readLease(this.store, this.aoiId);
    if (current?.runId === this.record.runId) await this.store.delete(leaseKey(this.aoiId));
  }
}
