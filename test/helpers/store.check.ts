import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG_KEY, assetKeyOf, collectionKey, itemKey } from '../../pipeline/outputs/layout.js';
import type { ResultItem } from '../../pipeline/outputs/stac.js';
import type { ObjectStore } from '../../pipeline/ports.js';
import type { AoiState } from '../../pipeline/publish/aoi.state.js';
import { publishedItems, staleKeys, verifyItem } from '../../pipeline/publish/publish.js';
import type { Summary } from '../../reports/summary.js';
import type { SitesCollection } from '../../pipeline/outputs/sites.js';
import { dossierGap } from '../../pipeline/publish/dossier.publish.js';

/**
 * Everything a reader of the store relies on, checked from the outside after a run: every published item verifies
 * (assets present, sizes and sha256 as the item says), nothing else lies in its period's folder, and every derived
 * document agrees with the items (collection, catalog, state, report page, index, sites and their dossiers).
 * Returns the problems found.
 */
export async function storeProblems(store: ObjectStore, aoiId: string): Promise<string[]> {
  const problems: string[] = [];
  const text = async (key: string) => {
    const bytes = await store.get(key);
    return bytes ? new TextDecoder().decode(bytes) : null;
  };
  const json = async <T>(key: string) => {
    const body = await text(key);
    return body === null ? null : (JSON.parse(body) as T);
  };
  const items = await publishedItems(store, aoiId);
  if (items.length === 0) problems.push(`${aoiId}: no published item`);
  const collection = await json<{ links: Array<{ rel: string; href: string }> }>(collectionKey(aoiId));
  const listed = new Set(collection?.links.filter((link) => link.rel === 'item').map((link) => link.href) ?? []);
  const catalog = await json<{ links: Array<{ rel: string; href: string }> }>(CATALOG_KEY);
  if (!catalog?.links.some((link) => link.rel === 'child' && link.href === `./${aoiId}/collection.json`))
    problems.push(`${CATALOG_KEY}: no child link to ${aoiId}`);
  const state = await json<AoiState>(`${aoiId}/state.json`);
  const index = (await text('index.html')) ?? '';
  for (const item of items) problems.push(...(await itemProblems(store, aoiId, item, { listed, state, index })));
  problems.push(...(await sitesProblems(store, aoiId, items)));
  // Every site's dossier is there and current, and no folder of a site that is gone is left.
  const dossiers = await dossierGap(store, aoiId);
  if (dossiers) problems.push(dossiers);
  return problems;
}

/** The sites document folds every published item at its digest, and each item's patches add up in its sites. */
async function sitesProblems(store: ObjectStore, aoiId: string, items: ResultItem[]): Promise<string[]> {
  const bytes = await store.get(`${aoiId}/sites.geojson`);
  if (!bytes) return items.length > 0 ? [`${aoiId}/sites.geojson: missing`] : [];
  const sites = JSON.parse(new TextDecoder().decode(bytes)) as SitesCollection;
  const folded = sites.changewatch.periods.map((period) => `${period.item}@${period.digest}`).sort();
  const published = items.map((item) => `${item.id}@${String(item.properties['changewatch:inputs'])}`).sort();
  const problems =
    JSON.stringify(folded) === JSON.stringify(published) ? [] : [`sites fold ${folded}, items are ${published}`];
  for (const item of items) {
    const polygons = await store.get(assetKeyOf(itemKey(aoiId, item.id), item.assets['polygons']!.href));
    const patches = polygons
      ? (JSON.parse(new TextDecoder().decode(polygons)) as { features: Array<{ properties: { hectares: number } }> })
      : null;
    const patchHa = (patches?.features ?? []).reduce((total, feature) => total + feature.properties.hectares, 0);
    const siteHa = sites.features
      .flatMap((feature) => feature.properties.history.filter((period) => period.item === item.id))
      .reduce((total, period) => total + period.hectares, 0);
    if (Math.abs(patchHa - siteHa) > 0.01)
      problems.push(`${item.id}: sites hold ${siteHa} ha, its patches ${patchHa} ha`);
  }
  return problems;
}

async function itemProblems(
  store: ObjectStore,
  aoiId: string,
  item: ResultItem,
  derived: { listed: Set<string>; state: AoiState | null; index: string },
): Promise<string[]> {
  const key = itemKey(aoiId, item.id);
  const digest = String(item.properties['changewatch:inputs']);
  const problems = (await verifyItem(store, key)).map((problem) => `${item.id}: ${problem}`);
  const stale = await staleKeys(store, aoiId, item.id, digest);
  if (stale.length > 0) problems.push(`${item.id}: objects of other inputs left: ${stale.join(', ')}`);
  if (!derived.listed.has(`./${item.id}/${item.id}.json`)) problems.push(`${item.id}: not in the collection`);
  const recorded = derived.state?.items[item.id];
  if (recorded?.digest !== digest) problems.push(`${item.id}: the state records ${recorded?.digest}, not ${digest}`);
  const summaryBytes = await store.get(assetKeyOf(key, item.assets['summary']!.href));
  const summary = summaryBytes ? (JSON.parse(new TextDecoder().decode(summaryBytes)) as Summary) : null;
  const loss = summary?.products['forest-loss']?.classes['forest-loss']?.hectares;
  if (recorded?.headline?.lossHa !== loss)
    problems.push(`${item.id}: state headline ${recorded?.headline?.lossHa} ha ≠ summary ${loss} ha`);
  const report = derived.state?.reports?.findLast((entry) => entry.itemId === item.id);
  if (report?.digest !== digest) problems.push(`${item.id}: no report of inputs ${digest} in the state`);
  else if (!(await store.get(report.key))) problems.push(`${item.id}: report ${report.key} missing`);
  // The index shows each AOI's latest report.
  const latest = derived.state?.reports?.at(-1);
  if (latest && !derived.index.includes(`href="./${latest.key}"`))
    problems.push(`index.html: no link to ${latest.key}`);
  return problems;
}

/** What a killed writer could leave in a folder store: temporary files and empty folders. */
export function folderLeftovers(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.length === 0 && dir !== root) found.push(`${dir}/ (empty)`);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.tmp-\d+-[0-9a-f]{8}$/.test(entry.name)) found.push(path);
    }
  };
  walk(root);
  return found;
}
