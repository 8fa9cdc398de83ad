import type { Aoi } from '../../aoi/aoi.schema.js';
import { AccuracyAssetSchema, type AccuracyAsset } from '../../reports/accuracy.js';
import { ChangewatchError } from '../errors.js';
import type { OutputFile } from '../outputs/output.file.js';
import {
  ACCURACY_ASSET_PREFIX,
  ACCURACY_FOLDER,
  CATALOG_KEY,
  assetFolder,
  assetKeyOf,
  collectionKey,
  itemKey,
  sha256Hex,
} from '../outputs/layout.js';
import { aoiCollection, rootCatalog, type ResultItem } from '../outputs/stac.js';
import type { ObjectStore } from '../ports.js';

/**
 * Publication in the order that keeps every reader safe: the assets (in a folder named after their inputs), then
 * the item that points at them, then the AOI's collection, then the root catalog; only then are the assets of
 * earlier inputs of the same period removed (then the report page and the state: publish/period.publish.ts). A run
 * interrupted at any step leaves the previous item pointing at its complete previous assets (or no item at all);
 * every step after the item is idempotent, and the next run finds what is missing and does it.
 */

/** Assets under an inputs digest never change, so caches may keep them; the STAC documents always revalidate. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** The publication steps, in order; each is reported as it completes. */
export const PUBLISH_STEPS = [
  'asset',
  'item',
  'collection',
  'catalog',
  'prune',
  'sites',
  'dossier',
  'report',
  'state',
] as const;
export type PublishStep = (typeof PUBLISH_STEPS)[number];

export interface PublishEvent {
  step: PublishStep;
  key: string;
  bytes?: number;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export async function readJson<T>(store: ObjectStore, key: string): Promise<T | null> {
  const bytes = await store.get(key);
  if (!bytes) return null;
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (error) {
    throw new ChangewatchError('E_READ', `${store.url}/${key}: not valid JSON: delete it and re-run to rebuild it`, {
      cause: error,
    });
  }
}

/** The items published for an AOI, one per monitoring period (keys `<aoi>/<item>/<item>.json`). */
export async function publishedItems(store: ObjectStore, aoiId: string): Promise<ResultItem[]> {
  const items: ResultItem[] = [];
  for await (const key of store.list(`${aoiId}/`)) {
    const match = /^[^/]+\/([^/]+)\/([^/]+)\.json$/.exec(key);
    if (!match || match[1] !== match[2]) continue;
    const item = await readJson<ResultItem>(store, key);
    if (item) items.push(item);
  }
  return items;
}

/** The AOI collections the root catalog lists, id → title (none when there is no catalog yet). */
export async function catalogChildren(store: ObjectStore): Promise<Map<string, string>> {
  const catalog = await readJson<{ links?: Array<{ rel: string; href: string; title?: string }> }>(store, CATALOG_KEY);
  const children = new Map<string, string>();
  for (const link of catalog?.links ?? []) {
    const id = /^\.\/([^/]+)\/collection\.json$/.exec(link.href)?.[1];
    if (link.rel === 'child' && id) children.set(id, link.title ?? id);
  }
  return children;
}

async function updateCatalog(store: ObjectStore, aoi: Aoi): Promise<void> {
  // Read, merge and write back; another process publishing another AOI at the same moment may write in between,
  // so the write is checked and retried until this AOI's child is in the catalog.
  for (let attempt = 0; attempt < 5; attempt++) {
    const children = await catalogChildren(store);
    children.set(aoi.id, aoi.name);
    await store.put(CATALOG_KEY, json(rootCatalog([...children].map(([id, title]) => ({ id, title })))), {
      contentType: 'application/json',
      cacheControl: REVALIDATE,
    });
    if ((await catalogChildren(store)).has(aoi.id)) return;
  }
  throw new ChangewatchError(
    'E_WRITE',
    `${store.url}/${CATALOG_KEY}: could not add ${aoi.id} after 5 attempts (other runs writing at once): re-run`,
  );
}

/**
 * Writes a period's assets, then the item that points at them. Should the writing fail before the item, the assets
 * already written under the new digest are removed (unless the published item is of that same digest), so a failed
 * run leaves nothing half-published; a killed one leaves them to the next run's prune.
 */
export async function publishItem(
  store: ObjectStore,
  input: {
    aoi: Aoi;
    item: ResultItem;
    digest: string;
    files: readonly OutputFile[];
    onEvent?: (event: PublishEvent) => void;
    signal?: AbortSignal;
  },
): Promise<{ bytes: number; objects: number }> {
  const { aoi, item, digest, files } = input;
  const folder = assetFolder(aoi.id, item.id, digest);
  const written: string[] = [];
  let bytes = 0;
  try {
    for (const file of files) {
      input.signal?.throwIfAborted();
      const key = `${folder}/${file.file}`;
      await store.put(key, file.body, { contentType: file.type, cacheControl: IMMUTABLE });
      written.push(key);
      bytes += file.size;
      input.onEvent?.({ step: 'asset', key, bytes: file.size });
    }
    input.signal?.throwIfAborted();
  } catch (error) {
    await removeUnpublished(store, aoi.id, item.id, digest, written);
    throw error;
  }
  const key = itemKey(aoi.id, item.id);
  const assessed = { ...item, assets: { ...item.assets, ...(await accuracyAssets(store, key)) } };
  await store.put(key, json(assessed), { contentType: 'application/geo+json', cacheControl: REVALIDATE });
  input.onEvent?.({ step: 'item', key });
  return { bytes, objects: files.length + 1 };
}

/**
 * The accuracy assessments the published item links (`assess publish`): a recomputed item keeps them, and each says
 * the inputs it was made on, so the report can say that an assessment refers to earlier inputs.
 */
export async function accuracyAssets(store: ObjectStore, key: string): Promise<ResultItem['assets']> {
  const published = await readJson<ResultItem>(store, key).catch(() => null);
  return Object.fromEntries(
    Object.entries(published?.assets ?? {}).filter(([name]) => name.startsWith(ACCURACY_ASSET_PREFIX)),
  );
}

/** The accuracy assessments a published item links, read and checked; an unreadable one is left out. */
export async function itemAccuracy(store: ObjectStore, aoiId: string, item: ResultItem): Promise<AccuracyAsset[]> {
  const assessments: AccuracyAsset[] = [];
  for (const [name, asset] of Object.entries(item.assets)) {
    if (!name.startsWith(ACCURACY_ASSET_PREFIX)) continue;
    const parsed = AccuracyAssetSchema.safeParse(
      await readJson(store, assetKeyOf(itemKey(aoiId, item.id), asset.href)),
    );
    if (parsed.success) assessments.push(parsed.data);
  }
  return assessments;
}

/** The assets a failed publication wrote, removed unless the item already published points at them (best effort). */
async function removeUnpublished(store: ObjectStore, aoiId: string, itemId: string, digest: string, keys: string[]) {
  const published = await readJson<ResultItem>(store, itemKey(aoiId, itemId)).catch(() => null);
  if (published?.properties['changewatch:inputs'] === digest) return;
  await Promise.allSettled(keys.map((key) => store.delete(key)));
}

/** The AOI's collection, rebuilt from its published items, and its child link in the root catalog. */
export async function publishCollection(
  store: ObjectStore,
  aoi: Aoi,
  onEvent?: (event: PublishEvent) => void,
): Promise<void> {
  await store.put(collectionKey(aoi.id), json(aoiCollection(aoi, await publishedItems(store, aoi.id))), {
    contentType: 'application/json',
    cacheControl: REVALIDATE,
  });
  onEvent?.({ step: 'collection', key: collectionKey(aoi.id) });
  await updateCatalog(store, aoi);
  onEvent?.({ step: 'catalog', key: CATALOG_KEY });
}

/** The keys under the period's folder that its item does not point at: earlier inputs, half-written runs. */
export async function staleKeys(store: ObjectStore, aoiId: string, itemId: string, digest: string): Promise<string[]> {
  const stale: string[] = [];
  const folder = `${assetFolder(aoiId, itemId, digest)}/`;
  const accuracy = `${aoiId}/${itemId}/${ACCURACY_FOLDER}/`;
  for await (const key of store.list(`${aoiId}/${itemId}/`)) {
    if (key !== itemKey(aoiId, itemId) && !key.startsWith(folder) && !key.startsWith(accuracy)) stale.push(key);
  }
  return stale;
}

/** Removes the assets of earlier inputs of the period: no item points at them any more. */
export async function pruneStale(
  store: ObjectStore,
  aoi: Aoi,
  item: { id: string; digest: string },
  onEvent?: (event: PublishEvent) => void,
): Promise<void> {
  for (const stale of await staleKeys(store, aoi.id, item.id, item.digest)) {
    await store.delete(stale);
    onEvent?.({ step: 'prune', key: stale });
  }
}

/**
 * Checks a published item against its assets: each one present, of the recorded size and sha256. Returns the
 * problems found (none for a sound item); used after interrupted runs and to rebuild state from the store.
 */
export async function verifyItem(store: ObjectStore, key: string): Promise<string[]> {
  const item = await readJson<ResultItem>(store, key);
  if (!item) return [`${key}: missing`];
  const problems: string[] = [];
  for (const [name, asset] of Object.entries(item.assets)) {
    const assetKey = assetKeyOf(key, asset.href);
    const bytes = await store.get(assetKey);
    if (!bytes) {
      problems.push(`${name}: ${assetKey} is missing`);
      continue;
    }
    if (bytes.length !== asset['file:size']) {
      problems.push(`${name}: ${assetKey} has ${bytes.length} bytes, the item says ${String(asset['file:size'])}`);
    } else if (`1220${sha256Hex(bytes)}` !== asset['file:checksum']) {
      problems.push(`${name}: ${assetKey} does not match its checksum`);
    }
  }
  return problems;
}
