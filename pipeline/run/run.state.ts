import { hostname } from 'node:os';
import { ChangewatchError } from '../errors.js';
import type { ObjectStore } from '../ports.js';
import type { Summary } from '../../reports/summary.js';
import { assetKeyOf, itemKey } from '../outputs/layout.js';
import { publishedItems } from '../publish/publish.js';

/**
 * Per-AOI state in the store, next to the outputs: what each published item was computed from and the AOI's run
 * history. The published items remain the truth (an item exists only once its assets do); the state is their
 * index plus history, and when it is lost or unreadable it is rebuilt from them rather than started over.
 *
 * Also the AOI lease: one process at a time per AOI, across schedulers and manual runs, on any store.
 */

export type AoiOutcome = 'ok' | 'nothing-new' | 'no-scenes' | 'failed' | 'busy';

export interface RunRecord {
  runId: string;
  startedAt: string;
  endedAt: string;
  outcome: AoiOutcome;
  itemId?: string;
  scenes?: number;
  reason?: string;
}

/** The figures an index and a history chart show for one published period. */
export interface Headline {
  monitoring: string;
  lossHa: number;
  lossHighHa: number;
  clearMonitoring: number;
}

export interface AoiState {
  stateVersion: 1;
  aoi: string;
  items: Record<string, { digest: string; scenes: string[]; runId: string | null; headline?: Headline }>;
  /** Report pages published, oldest first. */
  reports?: Array<{ runId: string; itemId: string; digest: string; key: string; headline: Headline }>;
  /** Newest last, at most {@link HISTORY_LENGTH} entries. */
  history: RunRecord[];
}

export const HISTORY_LENGTH = 200;
export const stateKey = (aoiId: string) => `${aoiId}/state.json`;
export const leaseKey = (aoiId: string) => `${aoiId}/lease.json`;

function isState(value: unknown, aoiId: string): value is AoiState {
  const state = value as Partial<AoiState> | null;
  return (
    !!state &&
    state.stateVersion === 1 &&
    state.aoi === aoiId &&
    typeof state.items === 'object' &&
    state.items !== null &&
    Object.values(state.items).every((entry) => typeof entry?.digest === 'string' && Array.isArray(entry.scenes)) &&
    Array.isArray(state.history)
  );
}

export function headlineOf(summary: Summary): Headline | undefined {
  const product = summary.products?.['forest-loss'];
  if (!product) return undefined;
  return {
    monitoring: summary.periods.monitoring.window,
    lossHa: product.classes['forest-loss']?.hectares ?? 0,
    lossHighHa: product.confidence['high']?.hectares ?? 0,
    clearMonitoring: summary.periods.monitoring.clearFraction,
  };
}

/** The state as the published items imply it: their digests and the scenes their summaries list. */
export async function rebuildState(store: ObjectStore, aoiId: string): Promise<AoiState> {
  const state: AoiState = { stateVersion: 1, aoi: aoiId, items: {}, history: [] };
  for (const item of await publishedItems(store, aoiId)) {
    const digest = item.properties['changewatch:inputs'];
    const summaryHref = item.assets['summary']?.href;
    if (typeof digest !== 'string' || !summaryHref) continue;
    const bytes = await store.get(assetKeyOf(itemKey(aoiId, item.id), summaryHref));
    let scenes: string[] = [];
    let headline: Headline | undefined;
    if (bytes) {
      const summary = JSON.parse(new TextDecoder().decode(bytes)) as Summary;
      scenes = Object.values(summary.periods ?? {}).flatMap((period) => (period.scenes ?? []).map((s) => s.id));
      headline = headlineOf(summary);
    }
    state.items[item.id] = { digest, scenes: [...new Set(scenes)], runId: null, ...(headline ? { headline } : {}) };
  }
  return state;
}

/**
 * The AOI's state; `rebuilt` says why it had to be rebuilt from the published items (lost or corrupt), so the
 * run can report it.
 */
export async function loadState(
  store: ObjectStore,
  aoiId: string,
): Promise<{ state: AoiState; rebuilt?: 'lost' | 'corrupt' }> {
  const bytes = await store.get(stateKey(aoiId));
  if (bytes) {
    try {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
      if (isState(parsed, aoiId)) return { state: parsed };
    } catch {
      // unreadable: rebuilt below
    }
    return { state: await rebuildState(store, aoiId), rebuilt: 'corrupt' };
  }
  const state = await rebuildState(store, aoiId);
  return Object.keys(state.items).length > 0 ? { state, rebuilt: 'lost' } : { state };
}

export async function saveState(store: ObjectStore, state: AoiState): Promise<void> {
  const trimmed = { ...state, history: state.history.slice(-HISTORY_LENGTH) };
  await store.put(stateKey(state.aoi), `${JSON.stringify(trimmed, null, 2)}\n`, {
    contentType: 'application/json',
    cacheControl: 'no-cache',
  });
}

export interface LeaseRecord {
  runId: string;
  host: string;
  pid: number;
  acquiredAt: string;
  expiresAt: string;
}

/** Whether a process of this host is alive (EPERM: alive, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
 * died on this machine (its pid is gone) is taken over at once.
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
    options: { runId: string; minutes: number; now?: () => Date },
  ): Promise<AoiLease | { heldBy: LeaseRecord }> {
    const now = options.now ?? (() => new Date());
    const make = (): LeaseRecord => ({
      runId: options.runId,
      host: hostname(),
      pid: process.pid,
      acquiredAt: now().toISOString(),
      expiresAt: new Date(now().getTime() + options.minutes * 60_000).toISOString(),
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
      if (!expired && !deadHere) return { heldBy: existing };
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
