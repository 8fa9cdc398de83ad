import type { Aoi } from '../../aoi/aoi.schema.js';
import { ChangewatchError } from '../errors.js';
import { CATALOG_KEY, collectionKey } from '../outputs/layout.js';
import { rootCatalog } from '../outputs/stac.js';
import type { ObjectStore } from '../ports.js';
import { catalogChildren } from './publish.js';
import { INDEX_KEY, indexHtml } from './report.publish.js';

/**
 * The store-wide documents at the end of a run, written so that runs ending at once converge (array tasks of one
 * night, a manual run beside the scheduler): the root catalog links every AOI of the night that has a collection,
 * and `index.html` lists every AOI the catalog or the night knows, each as its state says now. Both are
 * read-merge-write documents, so a task may write over another's newer version; each task therefore rewrites them
 * from the store until a round finds nothing to change. A task that writes reads the store again after its write,
 * and every change to an AOI's state comes before its task's own rounds, so whoever writes last has read, or reads
 * again, every change made before: a later task never drops an AOI another task published.
 */

/** Rounds of write-and-check before giving up (each round reads every AOI's state once). */
const ROUNDS = 5;

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** The night's AOIs that have a collection in the store but no link in the root catalog. */
async function unlinked(store: ObjectStore, aois: readonly Aoi[]): Promise<Aoi[]> {
  const children = await catalogChildren(store);
  const missing: Aoi[] = [];
  for (const aoi of aois) {
    if (!children.has(aoi.id) && (await store.get(collectionKey(aoi.id)))) missing.push(aoi);
  }
  return missing;
}

async function linkCollections(store: ObjectStore, missing: readonly Aoi[]): Promise<void> {
  const children = await catalogChildren(store);
  for (const aoi of missing) children.set(aoi.id, aoi.name);
  await store.put(CATALOG_KEY, json(rootCatalog([...children].map(([id, title]) => ({ id, title })))), {
    contentType: 'application/json',
    cacheControl: 'no-cache',
  });
}

/**
 * Brings the root catalog and the index page up to date with the store for `aois` (the whole night's, not one
 * task's share). Returns the rounds it took; fails (E_WRITE) when the store kept changing for {@link ROUNDS} rounds.
 */
export async function convergeIndex(store: ObjectStore, aois: readonly Aoi[]): Promise<number> {
  for (let round = 1; round <= ROUNDS; round++) {
    const missing = await unlinked(store, aois);
    if (missing.length > 0) await linkCollections(store, missing);
    const html = await indexHtml(store, aois);
    const current = await store.get(INDEX_KEY);
    // A round that found nothing to write is the check that ends it; a round that wrote is checked by the next.
    if (missing.length === 0 && current && new TextDecoder().decode(current) === html) return round;
    if (!current || new TextDecoder().decode(current) !== html) {
      await store.put(INDEX_KEY, html, { contentType: 'text/html; charset=utf-8', cacheControl: 'no-cache' });
    }
  }
  throw new ChangewatchError(
    'E_WRITE',
    `${store.url}/${INDEX_KEY}: still changing after ${ROUNDS} rounds (other runs writing at once): the next run rewrites it`,
  );
}
