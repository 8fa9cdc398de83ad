import type { DossierPool } from '../outputs/dossier.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import type { AccuracyAsset } from '../../reports/accuracy.js';
import type { Summary } from '../../reports/summary.js';
import {
  buildDossier,
  accuracyChecksums,
  dossierFingerprint,
  type DossierFile,
  type PublishedRasters,
  type SiteFeature,
} from '../outputs/dossier.js';
import { assetKeyOf, itemKey, sha256Hex } from '../outputs/layout.js';
import type { SitesCollection } from '../outputs/sites.js';
import type { ResultItem } from '../outputs/stac.js';
import type { DossierSeries, SeriesSources } from '../outputs/dossier.series.js';
import { ChangewatchError } from '../errors.js';
import type { ObjectStore } from '../ports.js';
import { VERSION } from '../version.js';
import type { AoiState } from './aoi.state.js';
import { itemAccuracy, publishedItems, readJson, type PublishEvent } from './publish.js';
import { sitesKey } from './sites.publish.js';

/**
 * The sites' evidence dossiers in the store, after `<aoi>/sites.geojson`: `<aoi>/sites/<site>/` per site that is not
 * merged, cut from the site's latest period (the last item of its history), and `<aoi>/sites/dossiers.json`, the
 * index of every dossier with its fingerprint (outputs/dossier.ts) and the sha256 of its files.
 *
 * A dossier is (re)built when its fingerprint changed, that is when its site changed (new, grown, split, merged into
 * it: a new history entry) or its item's inputs did, or when a file of it is missing; the others are left as they
 * are, so a period leaves the dossiers of the sites it did not touch alone. Each dossier's files are written first
 * and its `index.html` last, then the index; folders of sites that no longer exist are removed last. A run killed
 * anywhere in the step leaves an index that does not match the sites, which is a publication gap: the next run
 * rebuilds what is missing. Rebuilding writes the same bytes (no clock in any file).
 */

export const dossierFolder = (aoiId: string, siteId: string): string => `${aoiId}/sites/${siteId}`;
export const dossiersKey = (aoiId: string): string => `${aoiId}/sites/dossiers.json`;

export interface DossierEntry {
  fingerprint: string;
  item: string;
  inputs: string;
  /** sha256 of each file of the dossier. */
  files: Record<string, string>;
}

export interface DossiersIndex {
  aoi: string;
  software: string;
  dossiers: Record<string, DossierEntry>;
}

/** A site whose dossier should exist, and what it is cut from. */
export interface WantedDossier {
  site: SiteFeature;
  item: ResultItem;
  fingerprint: string;
}

/** Builds at most this many dossiers at once: one's reads and writes overlap others' chips in the worker pool. */
const CONCURRENCY = 4;

const digestOf = (item: ResultItem) => String(item.properties['changewatch:inputs']);

/** The published sites document; none when it is missing or unreadable (the sites step rebuilds it). */
const publishedSites = (store: ObjectStore, aoiId: string) =>
  readJson<SitesCollection>(store, sitesKey(aoiId)).catch(() => null);

/** The dossiers the published sites call for (none when there are no sites). */
export async function wantedDossiers(
  store: ObjectStore,
  aoiId: string,
  sites?: SitesCollection | null,
): Promise<Map<string, WantedDossier>> {
  const features = (sites === undefined ? await publishedSites(store, aoiId) : sites)?.features ?? [];
  const items = new Map((await publishedItems(store, aoiId)).map((item) => [item.id, item]));
  const wanted = new Map<string, WantedDossier>();
  for (const site of features) {
    const item = items.get(site.properties.history.at(-1)?.item ?? '');
    if (site.properties.state === 'merged' || !item) continue;
    const fingerprint = dossierFingerprint(site, {
      id: item.id,
      inputs: digestOf(item),
      accuracy: accuracyChecksums(item),
    });
    wanted.set(site.id, { site, item, fingerprint });
  }
  return wanted;
}

/** The files under `<aoi>/sites/`, by site folder. */
async function presentFiles(store: ObjectStore, aoiId: string): Promise<Map<string, Set<string>>> {
  const present = new Map<string, Set<string>>();
  for await (const key of store.list(`${aoiId}/sites/`)) {
    const [site, file] = key.slice(`${aoiId}/sites/`.length).split('/');
    if (!site || !file) continue;
    present.set(site, (present.get(site) ?? new Set()).add(file));
  }
  return present;
}

export interface DossierStatus {
  /** Every site of the published sites document, merged ones included. */
  sites: SiteFeature[];
  wanted: Map<string, WantedDossier>;
  index: DossiersIndex | null;
  /** Sites whose dossier is missing, incomplete or stale. */
  stale: string[];
  /** Folders of sites with no dossier due (removed sites, merged sites' old dossiers are kept). */
  orphans: string[];
  /** The index lists other dossiers than those due. */
  indexStale: boolean;
}

export async function dossierStatus(store: ObjectStore, aoiId: string): Promise<DossierStatus> {
  const sites = await publishedSites(store, aoiId);
  const wanted = await wantedDossiers(store, aoiId, sites);
  const index = await readJson<DossiersIndex>(store, dossiersKey(aoiId)).catch(() => null);
  const present = await presentFiles(store, aoiId);
  const stale = [...wanted.values()]
    .filter(({ site, fingerprint }) => {
      const entry = index?.dossiers[site.id];
      const files = present.get(site.id);
      return entry?.fingerprint !== fingerprint || Object.keys(entry.files).some((file) => !files?.has(file));
    })
    .map(({ site }) => site.id);
  const known = new Set((sites?.features ?? []).map((feature) => feature.id));
  const orphans = [...present.keys()].filter((folder) => !known.has(folder));
  const listed = Object.keys(index?.dossiers ?? {}).sort();
  const indexStale = JSON.stringify(listed) !== JSON.stringify([...wanted.keys()].sort());
  return { sites: sites?.features ?? [], wanted, index, stale, orphans, indexStale };
}

/** Why the published dossiers do not follow the published sites, or undefined. */
export async function dossierGap(store: ObjectStore, aoiId: string): Promise<string | undefined> {
  const { stale, orphans, indexStale } = await dossierStatus(store, aoiId);
  if (stale.length > 0)
    return `${stale.length} site dossier(s) missing or stale, e.g. ${dossierFolder(aoiId, stale[0]!)}/`;
  if (orphans.length > 0)
    return `${orphans.length} dossier folder(s) of sites that no longer exist, e.g. ${dossierFolder(aoiId, orphans[0]!)}/`;
  return indexStale ? `${dossiersKey(aoiId)} does not list the sites' dossiers` : undefined;
}

/**
 * The run a dossier names: the run that first published its item at these inputs (the state's report records),
 * so publishing the same inputs again names the same run and writes the same bytes; else the current run.
 */
export function dossierRunId(state: AoiState, item: { id: string; inputs: string }, current: string): string {
  const report = state.reports?.find((entry) => entry.itemId === item.id && entry.digest === item.inputs);
  const recorded = state.items[item.id];
  return report?.runId ?? (recorded?.digest === item.inputs ? recorded.runId : null) ?? current;
}

/** The published item and summary a dossier is cut from. */
export interface DossierSource {
  item: ResultItem;
  itemKey: string;
  itemBytes: Uint8Array;
  summary: Summary;
  accuracy: AccuracyAsset[];
}

export async function dossierSource(store: ObjectStore, aoiId: string, item: ResultItem): Promise<DossierSource> {
  const key = itemKey(aoiId, item.id);
  const itemBytes = await store.get(key);
  const summary = await readJson<Summary>(store, assetKeyOf(key, item.assets['summary']!.href));
  if (!itemBytes || !summary) {
    throw new ChangewatchError(
      'E_READ',
      `${store.url}/${key}: the item or its summary is missing: re-run to publish it`,
    );
  }
  return { item, itemKey: key, itemBytes, summary, accuracy: await itemAccuracy(store, aoiId, item) };
}

/** The item a dossier is cut from, with its scenes found again (once per item) for the time series. */
export async function seriesSource(
  store: ObjectStore,
  aoiId: string,
  item: ResultItem,
  series: SeriesSources,
): Promise<DossierSource & { series: DossierSeries }> {
  const source = await dossierSource(store, aoiId, item);
  return { ...source, series: await series(source.summary) };
}

/** The dossier of one site. */
export function dossierFiles(
  source: DossierSource & { series: DossierSeries },
  input: { aoi: Aoi; site: SiteFeature; runId: string; rasters: PublishedRasters; pool?: DossierPool },
): Promise<DossierFile[]> {
  return buildDossier({ ...input, ...source });
}

export interface DossierPublication {
  aoi: Aoi;
  state: AoiState;
  runId: string;
  rasters: PublishedRasters;
  /** The run's worker pool: the chips are composed in its threads. */
  pool?: DossierPool;
  /** Finds the scenes behind an item again, for the sites' NDVI time series. */
  series: SeriesSources;
  onEvent?: (event: PublishEvent) => void;
}

/** Runs `work` over the values, at most `limit` at once; after a failure no further value is started. */
async function eachLimited<T>(values: readonly T[], limit: number, work: (value: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, values.length) }, async () => {
    while (next < values.length && !failed) {
      try {
        await work(values[next++]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  await Promise.all(lanes);
}

/** Writes one dossier, `index.html` last; returns its index entry. */
async function putDossier(store: ObjectStore, aoiId: string, siteId: string, files: DossierFile[]) {
  for (const file of files) {
    await store.put(`${dossierFolder(aoiId, siteId)}/${file.name}`, file.body, {
      contentType: file.contentType,
      cacheControl: 'no-cache',
    });
  }
  return Object.fromEntries(files.map((file) => [file.name, sha256Hex(file.body)]));
}

/** Removes the folders of sites that no longer exist, and files a dossier no longer has. */
async function removeLeftovers(store: ObjectStore, aoiId: string, keep: (site: string, file: string) => boolean) {
  for await (const key of store.list(`${aoiId}/sites/`)) {
    const [site, file] = key.slice(`${aoiId}/sites/`.length).split('/');
    if (site && file && !keep(site, file)) await store.delete(key);
  }
}

/**
 * The dossier step: every missing or stale dossier rebuilt and written, the index, then the leftovers removed.
 * Returns the sites whose dossier was written.
 */
export async function publishDossiers(store: ObjectStore, input: DossierPublication): Promise<string[]> {
  const { aoi } = input;
  const status = await dossierStatus(store, aoi.id);
  if (status.stale.length === 0 && status.orphans.length === 0 && !status.indexStale) return [];
  const entries: Record<string, DossierEntry> = {};
  for (const [id, wanted] of status.wanted) {
    const entry = status.index?.dossiers[id];
    if (entry && !status.stale.includes(id)) entries[id] = entry;
    else
      entries[id] = { fingerprint: wanted.fingerprint, item: wanted.item.id, inputs: digestOf(wanted.item), files: {} };
  }
  const sources = new Map<string, ReturnType<typeof seriesSource>>();
  await eachLimited(status.stale, CONCURRENCY, async (id) => {
    const { site, item } = status.wanted.get(id)!;
    const runId = dossierRunId(input.state, { id: item.id, inputs: digestOf(item) }, input.runId);
    if (!sources.has(item.id)) sources.set(item.id, seriesSource(store, aoi.id, item, input.series));
    const { rasters, pool } = input;
    const files = await dossierFiles(await sources.get(item.id)!, { aoi, site, runId, rasters, ...(pool && { pool }) });
    entries[id]!.files = await putDossier(store, aoi.id, id, files);
    input.onEvent?.({ step: 'dossier', key: `${dossierFolder(aoi.id, id)}/index.html` });
  });
  const sorted = Object.fromEntries(Object.entries(entries).sort(([a], [b]) => a.localeCompare(b)));
  const index: DossiersIndex = { aoi: aoi.id, software: `changewatch ${VERSION}`, dossiers: sorted };
  await store.put(dossiersKey(aoi.id), `${JSON.stringify(index, null, 2)}\n`, {
    contentType: 'application/json',
    cacheControl: 'no-cache',
  });
  input.onEvent?.({ step: 'dossier', key: dossiersKey(aoi.id) });
  // Merged sites keep the dossier they had; folders of sites that are gone, and files a dossier no longer has, go.
  const orphans = new Set(status.orphans);
  await removeLeftovers(store, aoi.id, (site, file) =>
    sorted[site] ? file in sorted[site].files : !orphans.has(site),
  );
  return status.stale;
}
