import { posix } from 'node:path';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { readFile } from 'node:fs/promises';
import { mapModel } from '../../reports/map.model.js';
import type { PageMap } from '../../reports/map.section.js';
import { itemKey, sha256Hex } from '../outputs/layout.js';
import type { ResultItem } from '../outputs/stac.js';
import { indexPage, reportPage, type IndexRow } from '../../reports/report.page.js';
import type { Summary } from '../../reports/summary.js';
import { leadProduct } from '../../workers/products/index.js';
import type { ObjectStore } from '../ports.js';
import type { SitesCollection } from '../outputs/sites.js';
import { catalogChildren, itemAccuracy, readJson } from './publish.js';
import { sitesKey } from './sites.publish.js';
import { dossierFolder, dossiersKey, type DossiersIndex } from './dossier.publish.js';
import { loadState, type AoiState } from './aoi.state.js';
import { VERSION } from '../version.js';

/**
 * The HTML pages of a run, published next to the outputs: `<aoi>/reports/<run id>.html` for each AOI with a new
 * period, and `index.html` at the store root. Links are relative, so the pages work wherever the store is copied.
 */

export const INDEX_KEY = 'index.html';
export const reportKey = (aoiId: string, runId: string) => `${aoiId}/reports/${runId}.html`;

const HTML = { contentType: 'text/html; charset=utf-8', cacheControl: 'no-cache' };

/**
 * The published dossiers' pages by site id, relative to the page at `fromKey`: the page file itself, not its folder,
 * since neither a folder store opened as files nor an S3 REST endpoint serves a folder's index.html.
 */
async function dossierHrefs(store: ObjectStore, aoiId: string, fromKey: string): Promise<Record<string, string>> {
  const index = await readJson<DossiersIndex>(store, dossiersKey(aoiId)).catch(() => null);
  const href = (site: string) =>
    posix
      .relative(posix.dirname(fromKey), `${dossierFolder(aoiId, site)}/index.html`)
      .split('/')
      .map(encodeURIComponent)
      .join('/');
  return Object.fromEntries(Object.keys(index?.dossiers ?? {}).map((site) => [site, href(site)]));
}

export async function publishAoiReport(
  store: ObjectStore,
  input: {
    aoi: Aoi;
    runId: string;
    itemId: string;
    digest: string;
    summary: Summary;
    state: AoiState;
    basemap?: { url: string; attribution: string } | undefined;
  },
): Promise<string> {
  const { aoi, runId, itemId, digest, summary, state } = input;
  const assetHrefs: Record<string, string> = { summary: `../${itemId}/${digest}/summary.json` };
  for (const [key, asset] of Object.entries(summary.assets)) {
    assetHrefs[key] = `../${itemId}/${digest}/${asset.href.replace(/^\.\//, '')}`;
  }
  const history = Object.entries(state.items)
    .filter(([, entry]) => entry.headline)
    .map(([id, entry]) => ({ itemId: id, ...entry.headline! }))
    .sort((a, b) => a.monitoring.localeCompare(b.monitoring));
  const sites = await readJson<SitesCollection>(store, sitesKey(aoi.id)).catch(() => null);
  const published = await readJson<ResultItem>(store, itemKey(aoi.id, itemId)).catch(() => null);
  const accuracy = published ? await itemAccuracy(store, aoi.id, published) : [];
  const map = await publishMap(store, { aoi, summary, assetHrefs, runId, basemap: input.basemap });
  const html = reportPage({
    summary,
    runId,
    itemHref: `../${itemId}/${itemId}.json`,
    assetHrefs,
    indexHref: `../../${INDEX_KEY}`,
    geometry: aoi.geometry,
    zones: aoi.zones.map((zone) => ({ id: zone.id, name: zone.name, geometry: zone.geometry })),
    legend: [
      ...(leadProduct(Object.keys(summary.products))?.preview?.palette ?? []).map(({ colour, label }) => ({
        colour,
        label,
      })),
      { colour: '238443', label: 'NDVI, from bare (pale) to dense canopy (dark green)' },
    ],
    history,
    sites: (sites?.features ?? []).map((feature) => feature.properties).filter((site) => site.state !== 'merged'),
    sitesHref: '../sites.geojson',
    dossierHrefs: await dossierHrefs(store, aoi.id, reportKey(aoi.id, runId)),
    accuracy,
    ...(map ? { map } : {}),
  });
  const key = reportKey(aoi.id, runId);
  await store.put(key, html, HTML);
  return key;
}

/**
 * The bundled map script, built by `npm run build` (scripts/bundle.map.mjs) into dist/reports/: found next to this
 * module in a build, or in dist/ when running from the sources (tests).
 */
async function mapBundle(): Promise<Uint8Array | undefined> {
  for (const candidate of ['../../reports/map.bundle.js', '../../dist/reports/map.bundle.js']) {
    const bytes = await readFile(new URL(candidate, import.meta.url)).catch(() => undefined);
    if (bytes) return bytes;
  }
  return undefined;
}

async function hasKey(store: ObjectStore, key: string): Promise<boolean> {
  for await (const listed of store.list(key)) if (listed === key) return true;
  return false;
}

/** The page's map: its model, and the script published once per content as `<aoi>/reports/map-<sha>.js`. */
async function publishMap(
  store: ObjectStore,
  input: {
    aoi: Aoi;
    summary: Summary;
    assetHrefs: Record<string, string>;
    runId: string;
    basemap: { url: string; attribution: string } | undefined;
  },
): Promise<PageMap | undefined> {
  const { aoi, summary, assetHrefs, runId, basemap } = input;
  const model = mapModel({
    summary,
    hrefOf: (asset) => assetHrefs[asset],
    aoi: aoi.geometry,
    zones: aoi.zones.map((zone) => ({ id: zone.id, name: zone.name, geometry: zone.geometry })),
    sitesHref: '../sites.geojson',
    runId,
    ...(basemap ? { basemap } : {}),
  });
  const bundle = await mapBundle();
  if (!model || !bundle) return undefined;
  const name = `map-${sha256Hex(bundle).slice(0, 12)}.js`;
  const key = `${aoi.id}/reports/${name}`;
  if (!(await hasKey(store, key)))
    await store.put(key, bundle, {
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: 'public, max-age=31536000, immutable',
    });
  return { model: { ...model, dossierHref: '../sites/' }, scriptHref: `./${name}` };
}

/** The index of every AOI the store knows (the root catalog's collections and the AOIs of this run). */
export async function publishIndex(store: ObjectStore, aois: readonly Aoi[]): Promise<void> {
  await store.put(INDEX_KEY, await indexHtml(store, aois), HTML);
}

/** The index page of every AOI the store knows and of `aois`, from what the store holds now; nothing is written. */
export async function indexHtml(store: ObjectStore, aois: readonly Aoi[]): Promise<string> {
  const names = new Map<string, { name: string; kind: string }>();
  for (const [id, title] of await catalogChildren(store)) names.set(id, { name: title, kind: '-' });
  for (const aoi of aois) names.set(aoi.id, { name: aoi.name, kind: aoi.kind });
  const rows: IndexRow[] = [];
  for (const [id, { name, kind }] of [...names].sort((a, b) => a[0].localeCompare(b[0]))) {
    const { state } = await loadState(store, id);
    const last = state.history[state.history.length - 1];
    const report = state.reports?.[state.reports.length - 1];
    rows.push({
      aoi: id,
      name,
      kind,
      lastRun: last?.runId ?? null,
      lastOutcome: last?.outcome ?? null,
      lastEndedAt: last?.endedAt ?? null,
      lastReason: last?.reason ?? null,
      ...(report ? { report: { href: `./${report.key}`, ...report.headline } } : {}),
    });
  }
  return indexPage(rows, VERSION);
}
