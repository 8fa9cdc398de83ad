import type { DossierPool } from '../outputs/dossier.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import type { Config } from '../../config/config.schema.js';
import type { Summary } from '../../reports/summary.js';
import { CATALOG_KEY, assetKeyOf, collectionKey, itemKey } from '../outputs/layout.js';
import { aoiCollection, type ResultItem } from '../outputs/stac.js';
import { ChangewatchError } from '../errors.js';
import type { ObjectStore } from '../ports.js';
import { headlineOf, saveState, type AoiState } from './aoi.state.js';
import {
  catalogChildren,
  publishCollection,
  publishedItems,
  pruneStale,
  readJson,
  staleKeys,
  type PublishEvent,
} from './publish.js';
import { publishAoiReport } from './report.publish.js';
import { publishSites, sitesGap } from './sites.publish.js';
import { dossierGap, publishDossiers } from './dossier.publish.js';
import type { PublishedRasters } from '../outputs/dossier.js';
import type { SeriesSources } from '../outputs/dossier.series.js';

/**
 * What comes after a period's item: its collection and catalog entries, the removal of earlier assets, its report
 * page and its record in the AOI's state, and the AOI's sites. Each step is idempotent, so a run killed anywhere after the item is
 * completed by the next one, which finds the gaps from the whole published state: the item (and its assets), the
 * collection, the catalog, the period's folder, the state and the report.
 */

/** A step still to do for a published item, and why. */
export interface PublicationGap {
  step: 'assets' | 'collection' | 'catalog' | 'prune' | 'sites' | 'dossier' | 'report' | 'state';
  why: string;
}

const text = (bytes: Uint8Array | null) => (bytes ? new TextDecoder().decode(bytes) : null);

/** The item's assets that are not in the store (an item is written after them, so only deletion loses them). */
async function missingAssets(store: ObjectStore, aoiId: string, item: ResultItem): Promise<string[]> {
  const key = itemKey(aoiId, item.id);
  const present = new Set<string>();
  for await (const found of store.list(`${aoiId}/${item.id}/`)) present.add(found);
  return Object.values(item.assets)
    .map((asset) => assetKeyOf(key, asset.href))
    .filter((assetKey) => !present.has(assetKey));
}

/** The documents derived from the item that do not agree with it. */
async function documentGaps(store: ObjectStore, aoi: Aoi): Promise<PublicationGap[]> {
  const gaps: PublicationGap[] = [];
  const expected = `${JSON.stringify(aoiCollection(aoi, await publishedItems(store, aoi.id)), null, 2)}\n`;
  if (text(await store.get(collectionKey(aoi.id))) !== expected) {
    gaps.push({ step: 'collection', why: `${collectionKey(aoi.id)} does not list the published items` });
  }
  if (!(await catalogChildren(store)).has(aoi.id)) {
    gaps.push({ step: 'catalog', why: `${CATALOG_KEY} has no link to ${aoi.id}` });
  }
  return gaps;
}

/** The state's record and report page of the item. */
function recordGaps(state: AoiState, item: { id: string; digest: string }): PublicationGap[] {
  const gaps: PublicationGap[] = [];
  if (state.items[item.id]?.digest !== item.digest) {
    gaps.push({ step: 'state', why: `the AOI's state does not record inputs ${item.digest} for ${item.id}` });
  }
  const recorded = state.items[item.id];
  // A product set with no lead (no headline) has no report entry to expect.
  const reportless = recorded?.digest === item.digest && !recorded.headline;
  const report = state.reports?.findLast((entry) => entry.itemId === item.id);
  if (!reportless && report?.digest !== item.digest) {
    gaps.push({ step: 'report', why: `no report page shows inputs ${item.digest} of ${item.id}` });
  }
  return gaps;
}

/**
 * What is missing or stale for an item published with `digest`: nothing for a complete publication. Assets missing
 * from the store are reported (as step `assets`) so the caller recomputes rather than completes.
 */
export async function publicationGaps(
  store: ObjectStore,
  aoi: Aoi,
  state: AoiState,
  item: ResultItem,
): Promise<PublicationGap[]> {
  const digest = String(item.properties['changewatch:inputs']);
  const missing = await missingAssets(store, aoi.id, item);
  if (missing.length > 0) return [{ step: 'assets', why: `${missing.length} asset(s) missing, e.g. ${missing[0]}` }];
  const gaps = await documentGaps(store, aoi);
  const stale = await staleKeys(store, aoi.id, item.id, digest);
  if (stale.length > 0)
    gaps.push({ step: 'prune', why: `${stale.length} object(s) of other inputs, e.g. ${stale[0]}` });
  const sites = await sitesGap(store, aoi.id);
  if (sites) gaps.push({ step: 'sites', why: sites });
  const dossiers = await dossierGap(store, aoi.id);
  if (dossiers) gaps.push({ step: 'dossier', why: dossiers });
  const report = state.reports?.findLast((entry) => entry.itemId === item.id);
  const recorded = recordGaps(state, { id: item.id, digest });
  if (report && !recorded.some((gap) => gap.step === 'report') && !(await store.get(report.key))) {
    recorded.push({ step: 'report', why: `${report.key} is missing` });
  }
  return [...gaps, ...recorded];
}

/** The summary of a published item, read back from the store (a repair has no run in memory). */
export async function publishedSummary(store: ObjectStore, aoiId: string, item: ResultItem): Promise<Summary> {
  const key = assetKeyOf(itemKey(aoiId, item.id), item.assets['summary']!.href);
  const summary = await readJson<Summary>(store, key);
  if (!summary) throw new ChangewatchError('E_READ', `${store.url}/${key}: missing: re-run with --force to recompute`);
  return summary;
}

export interface Completion {
  aoi: Aoi;
  itemId: string;
  digest: string;
  runId: string;
  summary: Summary;
  /** The scenes the item was computed from. */
  scenes: string[];
  state: AoiState;
  /** How sites are matched and aged (`sites` in the config). */
  siteRules: Config['sites'];
  /** Reads the items' published rasters: revegetation rules on the sites, the sites' dossier chips. */
  rasters: PublishedRasters;
  /** The report map's optional online basemap (config `reports.basemap`). */
  basemap?: { url: string; attribution: string } | undefined;
  /** Finds an item's scenes again, for the sites' NDVI time series. */
  series: SeriesSources;
  /** The run's worker pool: the dossiers' chips are composed in its threads. */
  pool?: DossierPool;
  onEvent?: (event: PublishEvent) => void;
}

/**
 * Every step after the item, in order: collection and catalog, prune, sites, the sites' dossiers, report page, state.
 * Returns the report's key.
 * Steps whose result is already there are simply done again: they write the same bytes.
 */
export async function completePublication(store: ObjectStore, input: Completion): Promise<string> {
  const { aoi, itemId, digest, runId, summary, state, onEvent } = input;
  await publishCollection(store, aoi, onEvent);
  await pruneStale(store, aoi, { id: itemId, digest }, onEvent);
  await publishSites(store, aoi, input.siteRules, input.rasters, onEvent);
  const { rasters, series, pool } = input;
  await publishDossiers(store, {
    aoi,
    state,
    runId,
    rasters,
    series,
    ...(pool && { pool }),
    ...(onEvent && { onEvent }),
  });
  const headline = headlineOf(summary);
  state.items[itemId] = { digest, scenes: [...new Set(input.scenes)], runId, ...(headline ? { headline } : {}) };
  const reportKey = await publishAoiReport(store, {
    aoi,
    runId,
    itemId,
    digest,
    summary,
    state,
    basemap: input.basemap,
  });
  if (headline) state.reports = [...(state.reports ?? []), { runId, itemId, digest, key: reportKey, headline }];
  onEvent?.({ step: 'report', key: reportKey });
  await saveState(store, state);
  onEvent?.({ step: 'state', key: `${aoi.id}/state.json` });
  return reportKey;
}
