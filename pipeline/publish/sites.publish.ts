import type { Aoi } from '../../aoi/aoi.schema.js';
import type { AreaGeometry } from '../../aoi/geometry.js';
import type { Grid } from '../../aoi/rasterize.js';
import type { Config } from '../../config/config.schema.js';
import type { SiteCounts, Summary } from '../../reports/summary.js';
import { productOf } from '../../workers/products/index.js';
import {
  foldSites,
  markRevegetating,
  revegetationWindow,
  type Site,
  type SitePeriodInput,
} from '../../workers/sites.js';
import { assetKeyOf, itemKey } from '../outputs/layout.js';
import type { PendingPeriod } from '../outputs/period.outputs.js';
import { sitesCollection, type SitesCollection } from '../outputs/sites.js';
import type { ResultItem } from '../outputs/stac.js';
import type { PublishedRasters } from '../outputs/dossier.js';
import type { ObjectStore } from '../ports.js';
import { publishedItems, readJson, type PublishEvent } from './publish.js';

/**
 * `<aoi>/sites.geojson`, folded again from every published item of the AOI (their polygons and summaries) in
 * chronological order: the same items give the same sites and ids, a repair rebuilds it from the store alone, and a
 * put replaces it whole, so a kill while it is written leaves the previous one. Products with a revegetation rule
 * have it applied to the latest item's monitoring NDVI composite, read as one window around the sites it may mark.
 */

export const sitesKey = (aoiId: string): string => `${aoiId}/sites.geojson`;

interface PatchFeature {
  geometry: AreaGeometry;
  properties: {
    product: string;
    class: string;
    hectares: number;
    hectares_high_confidence: number;
    first_seen: string | null;
  };
}

interface PublishedPeriod {
  input: SitePeriodInput;
  summary: Summary;
  start: string;
  /** Opens the item's monitoring NDVI composite (`ndvi-monitoring`), when it has one. */
  monitoringNdvi?: () => ReturnType<PublishedRasters>;
}

/** A period as the fold reads it, from an item's summary and the features of its polygons. */
function periodFrom(
  item: { id: string; digest: string },
  summary: Summary,
  polygons: { features: PatchFeature[] },
  monitoringNdvi: PublishedPeriod['monitoringNdvi'],
): PublishedPeriod {
  const monitoring = summary.periods.monitoring;
  const patches = polygons.features.map(({ geometry, properties: p }) => ({
    product: p.product,
    class: p.class,
    hectares: p.hectares,
    hectaresHigh: p.hectares_high_confidence,
    firstSeen: p.first_seen,
    geometry,
  }));
  const input: SitePeriodInput = {
    item: item.id,
    digest: item.digest,
    monitoring: monitoring.window,
    lastObservation: monitoring.observationDates.at(-1) ?? null,
    patches,
  };
  return { input, summary, start: monitoring.start, ...(monitoringNdvi ? { monitoringNdvi } : {}) };
}

async function periodOf(
  store: ObjectStore,
  aoiId: string,
  item: ResultItem,
  rasters: PublishedRasters,
): Promise<PublishedPeriod | undefined> {
  const key = itemKey(aoiId, item.id);
  const asset = (name: string) => item.assets[name] && assetKeyOf(key, item.assets[name].href);
  const summary = await readJson<Summary>(store, asset('summary') ?? '');
  const polygons = await readJson<{ features: PatchFeature[] }>(store, asset('polygons') ?? '');
  if (!summary || !polygons) return undefined;
  const ndvi = asset('ndvi-monitoring');
  const digest = String(item.properties['changewatch:inputs']);
  return periodFrom({ id: item.id, digest }, summary, polygons, ndvi ? () => rasters(ndvi) : undefined);
}

/** The period being published (its summary without sites, and its files in the work folder) as the fold reads it. */
function pendingPeriodOf(pending: PendingSitePeriod): PublishedPeriod {
  const { summary, files } = pending.period;
  const polygons = files.find((file) => file.asset === 'polygons')?.body;
  if (!(polygons instanceof Uint8Array)) throw new TypeError('pendingPeriodOf: the polygons are not in memory');
  const features = JSON.parse(new TextDecoder().decode(polygons)) as { features: PatchFeature[] };
  const ndvi = files.find((file) => file.asset === 'ndvi-monitoring')?.body;
  const open = ndvi && 'path' in ndvi ? () => pending.workRasters(ndvi.path) : undefined;
  return periodFrom({ id: summary.item, digest: summary.inputs }, summary, features, open);
}

/**
 * Applies each product's revegetation rule (workers/products) to the latest period's monitoring NDVI composite
 * under the sites it may mark; returns the rules as said in the sites document, per product.
 */
async function applyRevegetation(sites: Site[], grid: Grid, latest: PublishedPeriod): Promise<Record<string, string>> {
  const said: Record<string, string> = {};
  for (const [type, { parameters }] of Object.entries(latest.summary.products)) {
    const rule = productOf(type).revegetating;
    if (!rule || !latest.monitoringNdvi) continue;
    const params = productOf(type).params.parse(parameters);
    said[type] = rule.describe(params);
    const window = revegetationWindow(sites, grid, type);
    if (!window) continue;
    const raster = await latest.monitoringNdvi();
    const { bands } = await raster.readWindow(window, { bands: [0], level: 0, fill: NaN });
    const ndvi = Float32Array.from(bands[0]!);
    markRevegetating(sites, grid, { product: type, window, codes: rule.classify({ ndvi }, params) });
  }
  return said;
}

/** The AOI's sites from its published items (none: no document). */
export async function buildSites(
  store: ObjectStore,
  aoi: Aoi,
  rules: Config['sites'],
  rasters: PublishedRasters,
  pending?: PendingSitePeriod,
): Promise<SitesCollection | undefined> {
  const periods: PublishedPeriod[] = pending ? [pendingPeriodOf(pending)] : [];
  for (const item of await publishedItems(store, aoi.id)) {
    // The pending period replaces the published item of its id: publishing it prunes that item's earlier inputs.
    if (item.id === pending?.period.summary.item) continue;
    const period = await periodOf(store, aoi.id, item, rasters);
    if (period) periods.push(period);
  }
  if (periods.length === 0) return undefined;
  periods.sort((a, b) => a.start.localeCompare(b.start) || a.input.item.localeCompare(b.input.item));
  const latest = periods.at(-1)!.summary;
  const grid: Grid = { ...latest.grid, transform: latest.grid.transform as unknown as Grid['transform'] };
  const mmu = (product: string) => Number(latest.products[product]?.parameters['minimumMappingUnitHa'] ?? 0);
  const matchDistancePx = Math.ceil(rules.matchDistanceM / latest.grid.resolution);
  const inputs = periods.map((period) => period.input);
  const sites = foldSites(aoi.id, grid, inputs, {
    matchDistancePx,
    inactiveAfter: rules.inactiveAfterPeriods,
    mmuHa: mmu,
  });
  const revegetating = await applyRevegetation(sites, grid, periods.at(-1)!);
  return sitesCollection({ aoi, grid, sites, periods: inputs, rules: { ...rules, revegetating } });
}

/** A period not yet published: its summary and files as periodOutputs made them, and how to open its rasters. */
export interface PendingSitePeriod {
  period: PendingPeriod;
  /** Opens a raster of the work folder by its path. */
  workRasters: (path: string) => ReturnType<PublishedRasters>;
}

/**
 * The AOI's sites counted by state and zone with a period about to be published folded in, for its summary: the
 * counts `sites.geojson` will hold once that period is published, since the publish step folds the same items.
 */
export async function countSitesWith(
  store: ObjectStore,
  aoi: Aoi,
  rules: Config['sites'],
  rasters: PublishedRasters,
  pending: PendingSitePeriod,
): Promise<SiteCounts> {
  const sites = await buildSites(store, aoi, rules, rasters, pending);
  return sites?.changewatch.counts ?? { byState: {}, byZone: {} };
}

export async function publishSites(
  store: ObjectStore,
  aoi: Aoi,
  rules: Config['sites'],
  rasters: PublishedRasters,
  onEvent?: (event: PublishEvent) => void,
): Promise<void> {
  const sites = await buildSites(store, aoi, rules, rasters);
  if (!sites) return;
  await store.put(sitesKey(aoi.id), `${JSON.stringify(sites)}\n`, {
    contentType: 'application/geo+json',
    cacheControl: 'no-cache',
  });
  onEvent?.({ step: 'sites', key: sitesKey(aoi.id) });
}

/** Why the published sites do not follow the published items (each item, at its digest), or undefined. */
export async function sitesGap(store: ObjectStore, aoiId: string): Promise<string | undefined> {
  const published = await readJson<SitesCollection>(store, sitesKey(aoiId)).catch(() => null);
  const folded = new Set((published?.changewatch?.periods ?? []).map((period) => `${period.item}@${period.digest}`));
  const items = await publishedItems(store, aoiId);
  const missing = items.filter((item) => !folded.has(`${item.id}@${String(item.properties['changewatch:inputs'])}`));
  if (missing.length > 0) return `${sitesKey(aoiId)} does not include ${missing.map((item) => item.id).join(', ')}`;
  return folded.size === items.length ? undefined : `${sitesKey(aoiId)} includes items no longer published`;
}
