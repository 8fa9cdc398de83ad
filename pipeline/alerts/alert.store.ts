import type { ObjectStore } from '../ports.js';
import { readJson } from '../publish/publish.js';
import type { AlertDigest, DigestLastClear } from './alert.digest.js';
import type { SiteAlert } from './alert.select.js';
import type { UnseenAlert } from './alert.unseen.js';

/**
 * Alerts in the store, beside the AOI's outputs, so every scheduler and every rerun sees the same record:
 *
 * - `<aoi>/alerts/pending/<run>.json`: a digest some configured channel has not accepted yet. Written first, before
 *   any alert is recorded as its own, so a crash at any later point leaves a digest the next run finishes.
 * - `<aoi>/alerts/sent/<key>.json`: the alert `key` (alert.select.ts) belongs to the digest it names. Created with
 *   the store's conditional write (`putIfAbsent`, as leases are), so of two digests racing for one alert exactly
 *   one gets it, and an alert recorded is never put in another digest: a rerun, a resumed crash or a second
 *   scheduler finds it and leaves it out.
 * - `<aoi>/alerts/digests/<run>.json`: a digest every configured channel accepted (what `alerts list` shows, with
 *   the pending ones). Each acceptance is written to the pending digest as soon as the channel answers, so a
 *   channel that accepted is never sent the digest again.
 */

export const sentKey = (aoiId: string, key: string) => `${aoiId}/alerts/sent/${key}.json`;
export const pendingKey = (aoiId: string, runId: string) => `${aoiId}/alerts/pending/${runId}.json`;
export const deliveredKey = (aoiId: string, runId: string) => `${aoiId}/alerts/digests/${runId}.json`;

/** What `alerts/sent/<key>.json` holds: the alert and the digest it went into. */
export interface SentRecord {
  key: string;
  /** The site, or for an unseen area the zone's or the AOI's id. */
  site: string;
  /** The site's state, or `unseen`. */
  state: string;
  item: string;
  digest: string;
  claimedAt: string;
}

const JSON_TYPE = { contentType: 'application/json', cacheControl: 'no-cache' };
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** The `<name>` of every `<prefix><name>.json` under a prefix. */
async function namesUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const key of store.list(prefix)) {
    const name = key.slice(prefix.length);
    if (name.endsWith('.json') && !name.includes('/')) names.push(name.slice(0, -'.json'.length));
  }
  return names.sort();
}

/** The keys of every alert recorded for the AOI. */
export async function sentKeys(store: ObjectStore, aoiId: string): Promise<Set<string>> {
  return new Set(await namesUnder(store, `${aoiId}/alerts/sent/`));
}

async function digestsUnder(store: ObjectStore, prefix: string): Promise<AlertDigest[]> {
  const digests: AlertDigest[] = [];
  for (const name of await namesUnder(store, prefix)) {
    const digest = await readJson<AlertDigest>(store, `${prefix}${name}.json`);
    if (digest) digests.push(digest);
  }
  return digests;
}

/** The AOI's pending digests, oldest run first. */
export const pendingDigests = (store: ObjectStore, aoiId: string) => digestsUnder(store, `${aoiId}/alerts/pending/`);
/** The AOI's digests every channel accepted, oldest run first. */
export const deliveredDigests = (store: ObjectStore, aoiId: string) => digestsUnder(store, `${aoiId}/alerts/digests/`);

export async function savePending(store: ObjectStore, digest: AlertDigest): Promise<void> {
  await store.put(pendingKey(digest.aoi.id, digest.runId), json(digest), JSON_TYPE);
}

/**
 * Records each alert of a pending digest as the digest's own (conditional writes); alerts another digest recorded
 * first are dropped from it. Idempotent: a digest resumed after a crash finds its own records and keeps them.
 * Returns the digest, or undefined when no alert was left (its pending record is then removed).
 */
export async function claimAlerts(
  store: ObjectStore,
  digest: AlertDigest,
  now: Date,
): Promise<AlertDigest | undefined> {
  const claim = async (alert: { key: string; site: string; state: string; item: string }): Promise<boolean> => {
    const record: SentRecord = { ...alert, digest: digest.id, claimedAt: now.toISOString() };
    const key = sentKey(digest.aoi.id, alert.key);
    if (await store.putIfAbsent(key, json(record), JSON_TYPE)) return true;
    return (await readJson<SentRecord>(store, key))?.digest === digest.id;
  };
  const kept: SiteAlert[] = [];
  for (const alert of digest.alerts) {
    if (await claim({ key: alert.key, site: alert.site, state: alert.state, item: alert.item })) kept.push(alert);
  }
  const unseen: UnseenAlert[] = [];
  for (const alert of digest.unseen ?? []) {
    if (await claim({ key: alert.key, site: alert.area, state: 'unseen', item: alert.item })) unseen.push(alert);
  }
  if (kept.length === 0 && unseen.length === 0) {
    await store.delete(pendingKey(digest.aoi.id, digest.runId));
    return undefined;
  }
  const claimed: AlertDigest = {
    ...digest,
    alerts: kept,
    ...(digest.unseen ? { unseen } : {}),
    claimed: true,
  };
  await savePending(store, claimed);
  return claimed;
}

/**
 * A new digest for the alerts not recorded yet: written as pending, then its alerts claimed. Undefined when every
 * alert was recorded already (or another digest claimed them meanwhile).
 */
export async function queueDigest(
  store: ObjectStore,
  input: {
    aoi: { id: string; name: string };
    runId: string;
    now: Date;
    report: string | null;
    alerts: SiteAlert[];
    unseen?: UnseenAlert[];
    lastClear?: DigestLastClear;
  },
): Promise<AlertDigest | undefined> {
  const recorded = await sentKeys(store, input.aoi.id);
  const alerts = input.alerts.filter((alert) => !recorded.has(alert.key));
  const unseen = (input.unseen ?? []).filter((alert) => !recorded.has(alert.key));
  if (alerts.length === 0 && unseen.length === 0) return undefined;
  const digest: AlertDigest = {
    version: 1,
    id: `${input.aoi.id}.${input.runId}`,
    aoi: input.aoi,
    runId: input.runId,
    createdAt: input.now.toISOString(),
    report: input.report,
    claimed: false,
    alerts,
    ...(unseen.length > 0 ? { unseen } : {}),
    ...(input.lastClear ? { lastClear: input.lastClear } : {}),
    deliveries: {},
  };
  await savePending(store, digest);
  return claimAlerts(store, digest, input.now);
}

/** A digest every channel accepted: kept under `digests/`, no longer pending. */
export async function completeDigest(store: ObjectStore, digest: AlertDigest): Promise<void> {
  await store.put(deliveredKey(digest.aoi.id, digest.runId), json(digest), JSON_TYPE);
  await store.delete(pendingKey(digest.aoi.id, digest.runId));
}
