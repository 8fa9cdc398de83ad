import { burnScar } from './burn.scar.js';
import { forestLoss } from './forest.loss.js';
import { miningExpansion } from './mining.expansion.js';
import type { AnyProduct } from './product.js';
import { radarForestLoss } from './radar.forest.loss.js';
import { settlementChange } from './settlement.change.js';

/**
 * The registry: every change product, once. Its order is the order products are computed, written and
 * summarised in (forest loss first: it leads the report). A new product is one file in this folder and one line
 * here.
 */
export const PRODUCTS = [forestLoss, settlementChange, miningExpansion, burnScar, radarForestLoss] as const;

export type ProductType = (typeof PRODUCTS)[number]['type'];
export type ProductConfigKey = (typeof PRODUCTS)[number]['configKey'];

/** The AOI `analyses` values, in registry order. */
export const PRODUCT_TYPES = PRODUCTS.map((product) => product.type) as ProductType[];

const BY_TYPE = new Map<string, AnyProduct>(PRODUCTS.map((product) => [product.type, product as AnyProduct]));

/** The product of a type; a TypeError for a type the registry does not hold (a caller's bug, not user input). */
export function productOf(type: string): AnyProduct {
  const product = BY_TYPE.get(type);
  if (!product) throw new TypeError(`productOf: no product ${JSON.stringify(type)} (${PRODUCT_TYPES.join(', ')})`);
  return product;
}

/** The product that leads a run's report and previews: the first computed that has a preview overlay. */
export function leadProduct(types: readonly string[]): AnyProduct | undefined {
  return types.map(productOf).find((product) => product.preview);
}
