import type { Aoi } from '../../aoi/aoi.schema.js';
import { alertAoi, ChannelGate } from '../alerts/alert.deliver.js';
import type { Adapters } from '../compose.js';
import type { Logger } from '../log.js';
import type { AoiRunReport } from './aoi.run.js';
import { AoiLease } from './lease.js';

/**
 * The run's alerts (README "Alerts"), after everything the run publishes: for each AOI that ran, its pending digests
 * and, when its sites were published or confirmed (`ok`, `repaired`, `nothing-new`: a run killed after publishing
 * and before alerting is followed by a `nothing-new` run, which must still alert), a digest of its new alerts.
 * Nothing here fails the run or touches its outputs: every fault is logged and what was not sent stays pending.
 * One process alerts for an AOI at a time (`<aoi>/alerts/lease.json`, the leases' conditional write), so two
 * schedulers finishing together never both send a pending digest; the one that finds it held leaves the AOI to the
 * holder (its new alerts, if any, go out with the next run).
 */

const EVALUATE: ReadonlySet<AoiRunReport['outcome']> = new Set(['ok', 'repaired', 'nothing-new']);

/** Where a reader finds a store key: under `alerts.publicUrl` when set, else the store URL. */
export function storeLink(adapters: Adapters): (key: string) => string {
  const base = (adapters.config.alerts.publicUrl ?? adapters.store.url).replace(/\/+$/, '');
  return (key) => `${base}/${key}`;
}

async function alertOneAoi(
  adapters: Adapters,
  input: { aoi: Aoi; entry: AoiRunReport; runId: string; now: () => Date; gate: ChannelGate; log: Logger },
  signal?: AbortSignal,
): Promise<void> {
  const { aoi, entry, log } = input;
  const lease = await AoiLease.acquire(adapters.store, `${aoi.id}/alerts`, {
    runId: input.runId,
    minutes: adapters.config.run.leaseMinutes,
    now: input.now,
  });
  if (!(lease instanceof AoiLease)) {
    log.info({ heldBy: lease.heldBy.runId }, 'Alerts:Lease:Busy');
    return;
  }
  try {
    const result = await alertAoi({
      store: adapters.store,
      aoi: { id: aoi.id, name: aoi.name },
      runId: input.runId,
      now: input.now,
      alerts: adapters.config.alerts,
      evaluate: EVALUATE.has(entry.outcome),
      ...(entry.report ? { runReport: entry.report } : {}),
      link: storeLink(adapters),
      gate: input.gate,
      log,
      ...(signal ? { signal } : {}),
    });
    log.debug(result, 'Alerts:Aoi:Done');
  } finally {
    await lease.release().catch((error: unknown) => log.warn({ err: error }, 'Alerts:Lease:NotReleased'));
  }
}

/** Alerts for the AOIs of a finished run; never throws. */
export async function sendRunAlerts(
  adapters: Adapters,
  run: { runId: string; now: () => Date; log: Logger; signal?: AbortSignal },
  aois: readonly Aoi[],
  entries: readonly AoiRunReport[],
): Promise<void> {
  let channels: ReturnType<Adapters['alertChannels']> = [];
  try {
    channels = adapters.alertChannels();
    if (channels.length === 0) return;
    const gate = new ChannelGate(channels, run.log);
    for (const entry of entries) {
      const aoi = aois.find((candidate) => candidate.id === entry.aoi);
      if (!aoi || entry.outcome === 'busy' || run.signal?.aborted) continue;
      const log = run.log.child({ aoi: aoi.id });
      const input = { aoi, entry, runId: run.runId, now: run.now, gate, log };
      await alertOneAoi(adapters, input, run.signal).catch((error: unknown) =>
        log.error({ err: error }, 'Alerts:Aoi:Failed'),
      );
    }
  } catch (error) {
    run.log.error({ err: error }, 'Alerts:Run:Failed');
  } finally {
    await Promise.all(channels.map((channel) => channel.close?.().catch(() => undefined)));
  }
}
