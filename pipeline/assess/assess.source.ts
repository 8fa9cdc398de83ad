import type { Summary } from '../../reports/summary.js';
import { productOf } from '../../workers/products/index.js';
import { ChangewatchError } from '../errors.js';
import { assetKeyOf } from '../outputs/layout.js';
import type { ObjectStore } from '../ports.js';
import { dossierSource } from '../publish/dossier.publish.js';
import type { ResultItem } from '../outputs/stac.js';
import { publishedItems } from '../publish/publish.js';

/** A published item an assessment refers to: the item, its summary and the store key of each asset. */
export interface AssessedItem {
  item: ResultItem;
  itemKey: string;
  summary: Summary;
  inputs: string;
  assetKey(asset: string): string;
}

const endOf = (item: ResultItem) =>
  String(item.properties['end_datetime'] ?? item.properties['datetime'] ?? '') + item.id;

/** The item `itemId` of the AOI, or its latest (by the end of its monitoring window) when none is named. */
export async function assessedItem(store: ObjectStore, aoiId: string, itemId?: string): Promise<AssessedItem> {
  const items = await publishedItems(store, aoiId);
  const item = itemId
    ? items.find((candidate) => candidate.id === itemId)
    : [...items].sort((a, b) => endOf(a).localeCompare(endOf(b))).at(-1);
  if (!item) {
    const known = items.map((candidate) => candidate.id).join(', ') || 'none';
    throw new ChangewatchError(
      'E_USAGE',
      `${itemId ?? aoiId}: no such published item in ${store.url} (items of ${aoiId}: ${known}); run first or give --item`,
    );
  }
  const source = await dossierSource(store, aoiId, item);
  return {
    item,
    itemKey: source.itemKey,
    summary: source.summary,
    inputs: String(item.properties['changewatch:inputs']),
    assetKey(asset) {
      const href = item.assets[asset]?.href;
      if (!href) throw new ChangewatchError('E_USAGE', `item ${item.id} has no asset ${asset}`);
      return assetKeyOf(source.itemKey, href);
    },
  };
}

/** The product's registry entry, refused with the products the item has when it has not this one. */
export function assessedProduct(source: AssessedItem, product: string) {
  const products = Object.keys(source.summary.products);
  if (!products.includes(product) || !source.item.assets[product]) {
    throw new ChangewatchError(
      'E_USAGE',
      `item ${source.item.id} has no ${product} raster: --product must be one of ${products.join(', ')}`,
    );
  }
  return productOf(product);
}
