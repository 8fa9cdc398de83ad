import type { Config } from '../../config/config.schema.js';
import type { Logger } from '../log.js';
import type { AlertChannel, AlertDelivery, AlertMessage, ObjectStore } from '../ports.js';
import { itemAccuracy, publishedItems, readJson } from '../publish/publish.js';
import { stateKey, type AoiState } from '../publish/aoi.state.js';
import { sitesKey } from '../publish/sites.publish.js';
import type { SitesCollection } from '../outputs/sites.js';
import type { AccuracyAsset } from '../../reports/accuracy.js';
import type { Summary } from '../../reports/summary.js';
import { assetFolder } from '../outputs/layout.js';
import type { AlertDigest, ChannelName, DeliveryRecord, DigestLastClear, Language } from './alert.digest.js';
import { digestMessage } from './alert.digest.js';
import { siteAccuracy, siteAlerts, type SiteAlert } from './alert.select.js';
import { unseenAlerts } from './alert.unseen.js';
import { claimAlerts, completeDigest, pendingDigests, queueDigest, savePending } from './alert.store.js';

/**
 * After a run's publication, for one AOI: finish the claims of pending digests a crash interrupted, queue a digest
 * of the sites that call for an alert and have none recorded, and send every pending digest to each configured
 * channel that has not accepted it. A channel that fails in this run (unreachable after its retries, or refusing)
 * is not tried again for the other digests and AOIs of the run: the run never waits twice on a channel that is
 * down, and a refusal is logged once per run with the channel and status.
 */

/** The run's view of its channels: which failed in this run, and the one log line each failure gets. */
export class ChannelGate {
  private readonly failed = new Map<ChannelName, DeliveryRecord>();

  constructor(
    readonly channels: readonly AlertChannel[],
    private readonly log: Logger,
  ) {}

  /** Whether the channel failed earlier in this run (then it is not tried again until the next run). */
  isDown(name: ChannelName): boolean {
    return this.failed.has(name);
  }

  /** What a channel did, as recorded in the digest; a first failure in the run is logged. */
  record(channel: AlertChannel, delivery: AlertDelivery, now: Date): DeliveryRecord {
    const record: DeliveryRecord = {
      outcome: delivery.outcome,
      at: now.toISOString(),
      attempts: delivery.attempts,
      target: channel.target,
      ...(delivery.outcome === 'rejected' ? { status: delivery.status } : {}),
      detail: delivery.detail,
    };
    if (delivery.outcome !== 'accepted' && !this.failed.has(channel.name)) {
      this.failed.set(channel.name, record);
      const fields = { channel: channel.name, target: channel.target, attempts: delivery.attempts };
      if (delivery.outcome === 'rejected') {
        this.log.error({ ...fields, status: delivery.status, detail: delivery.detail }, 'Alerts:Channel:Rejected');
      } else this.log.warn({ ...fields, detail: delivery.detail }, 'Alerts:Channel:Unreachable');
    }
    return record;
  }

  /** The failures of this run, per channel. */
  failures(): ReadonlyMap<ChannelName, DeliveryRecord> {
    return this.failed;
  }
}

/** Sends one pending digest to each channel that has not accepted it; completes it once all have. */
export async function deliverDigest(
  store: ObjectStore,
  digest: AlertDigest,
  gate: ChannelGate,
  options: { render: (digest: AlertDigest) => AlertMessage; now: () => Date; log: Logger; signal?: AbortSignal },
): Promise<'delivered' | 'pending'> {
  let message: AlertMessage | undefined;
  for (const channel of gate.channels) {
    if (digest.deliveries[channel.name]?.outcome === 'accepted' || gate.isDown(channel.name)) continue;
    if (options.signal?.aborted) break;
    message ??= options.render(digest);
    const delivery = await channel.send(message, options.signal ? { signal: options.signal } : {});
    digest.deliveries[channel.name] = gate.record(channel, delivery, options.now());
    // Recorded at once: a channel that accepted is never sent this digest again, whatever happens next.
    await savePending(store, digest);
    if (delivery.outcome === 'accepted') {
      options.log.info(
        { digest: digest.id, channel: channel.name, alerts: digest.alerts.length, attempts: delivery.attempts },
        'Alerts:Digest:Sent',
      );
    }
  }
  if (gate.channels.every((channel) => digest.deliveries[channel.name]?.outcome === 'accepted')) {
    await completeDigest(store, digest);
    return 'delivered';
  }
  return 'pending';
}

export interface AoiAlertsInput {
  store: ObjectStore;
  aoi: { id: string; name: string };
  runId: string;
  now: () => Date;
  alerts: Config['alerts'];
  /** Look at the AOI's published sites for new alerts (else only finish what is pending). */
  evaluate: boolean;
  /** The report page this run published for the AOI, if any. */
  runReport?: string;
  /** A store key as a link for readers: the public URL, else the store URL. */
  link: (key: string) => string;
  gate: ChannelGate;
  log: Logger;
  signal?: AbortSignal;
}

export interface AoiAlertsResult {
  queued: number;
  delivered: number;
  pending: number;
}

/** What was not seen, from the summary of a published report's item (undefined: none, or an older summary without it). */
export async function reportLastClear(
  store: ObjectStore,
  aoiId: string,
  report: { itemId: string; digest: string } | undefined,
): Promise<DigestLastClear | undefined> {
  if (!report) return undefined;
  const key = `${assetFolder(aoiId, report.itemId, report.digest)}/summary.json`;
  const summary = await readJson<Summary>(store, key).catch(() => null);
  if (!summary?.lastClear) return undefined;
  return { item: report.itemId, windowStart: summary.periods.monitoring.start.slice(0, 10), ...summary.lastClear };
}

/** The alerts with what their item's accuracy assessment of their product says, where there is one. */
async function withAccuracy(store: ObjectStore, aoiId: string, alerts: SiteAlert[]): Promise<SiteAlert[]> {
  const items = new Map((await publishedItems(store, aoiId)).map((item) => [item.id, item]));
  const assessments = new Map<string, AccuracyAsset[]>();
  const out: SiteAlert[] = [];
  for (const alert of alerts) {
    const item = items.get(alert.item);
    if (item && !assessments.has(item.id)) assessments.set(item.id, await itemAccuracy(store, aoiId, item));
    const asset = assessments.get(alert.item)?.find((candidate) => candidate.product === alert.product);
    const accuracy = asset && item ? siteAccuracy(asset, String(item.properties['changewatch:inputs'])) : undefined;
    out.push(accuracy ? { ...alert, accuracy } : alert);
  }
  return out;
}

/**
 * The new digest of the AOI: its sites that call for an alert, and its areas unseen for too long (`alerts.unseen`,
 * from the summary of its latest report), if any of them is not recorded yet.
 */
async function queueNew(input: AoiAlertsInput): Promise<AlertDigest | undefined> {
  const { store, aoi } = input;
  const sites = await readJson<SitesCollection>(store, sitesKey(aoi.id));
  const reports = (await readJson<AoiState>(store, stateKey(aoi.id)).catch(() => null))?.reports ?? [];
  const reportOf = (item: string) => reports.filter((report) => report.itemId === item).at(-1)?.key;
  const alerts = await withAccuracy(store, aoi.id, sites ? siteAlerts(sites, input.alerts.rules, reportOf) : []);
  const latest = reports.at(-1);
  const lastClear = await reportLastClear(store, aoi.id, latest);
  const rule = input.alerts.unseen;
  const unseen = rule && lastClear ? unseenAlerts(aoi, lastClear, rule, latest?.key ?? null) : [];
  if (alerts.length === 0 && unseen.length === 0) return undefined;
  const report = input.runReport ?? latest?.key ?? null;
  return queueDigest(store, {
    aoi,
    runId: input.runId,
    now: input.now(),
    report,
    alerts,
    unseen,
    ...(lastClear ? { lastClear } : {}),
  });
}

/** Alerts for one AOI after its run: claims finished, new digest queued, every pending digest sent where it can be. */
export async function alertAoi(input: AoiAlertsInput): Promise<AoiAlertsResult> {
  const { store, log } = input;
  const pending: AlertDigest[] = [];
  for (const digest of await pendingDigests(store, input.aoi.id)) {
    const resumed = digest.claimed ? digest : await claimAlerts(store, digest, input.now());
    if (resumed) pending.push(resumed);
  }
  const queued = input.evaluate ? await queueNew(input) : undefined;
  if (queued) {
    const unseen = queued.unseen?.length ?? 0;
    log.info({ digest: queued.id, alerts: queued.alerts.length, unseen }, 'Alerts:Digest:Queued');
    pending.push(queued);
  }
  const language: Language = input.alerts.language;
  const render = (digest: AlertDigest) => digestMessage(digest, language, input.link);
  let delivered = 0;
  for (const digest of pending) {
    const options = { render, now: input.now, log, ...(input.signal ? { signal: input.signal } : {}) };
    if ((await deliverDigest(store, digest, input.gate, options)) === 'delivered') delivered++;
  }
  const left = pending.length - delivered;
  if (left > 0) log.warn({ pending: left }, 'Alerts:Digest:Pending');
  return { queued: queued ? queued.alerts.length + (queued.unseen?.length ?? 0) : 0, delivered, pending: left };
}
