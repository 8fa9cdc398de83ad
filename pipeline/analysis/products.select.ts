import type { BandName } from '../../workers/bands.js';
import type { DisplayComposite } from '../../workers/display.js';
import type { IndexName } from '../../workers/indices.js';
import { PRODUCTS, type ProductConfigKey } from '../../workers/products/index.js';

/** A product a run computes, with its parameters (validated, defaults filled in). */
export interface SelectedProduct {
  type: string;
  params: Record<string, unknown>;
}

export interface ProductSelection {
  /** In registry order. */
  products: SelectedProduct[];
  /** Products the AOI asked for that cannot be computed from these scenes, with why. */
  notComputed: Record<string, string>;
  /** The colour composite the run makes for the map, when the scenes allow one and the config asks (workers/display.ts). */
  display?: DisplayComposite;
}

/** Parameters by the products' config keys (`analysis.forestLoss`…); a missing one takes the product's defaults. */
export type ProductParameters = Partial<Record<ProductConfigKey, unknown>>;

function lackingReason(
  product: (typeof PRODUCTS)[number],
  scenes: ReadonlyArray<{ id: string; bands: Partial<Record<BandName, unknown>> }>,
): string | undefined {
  if (scenes.length === 0) return 'no scenes';
  const lacking = scenes.filter((scene) => product.needs.bands.some((band) => !scene.bands[band]));
  if (lacking.length === 0) return undefined;
  const missing = product.needs.bands.filter((band) => lacking.some((scene) => !scene.bands[band]));
  return `${lacking.length} of ${scenes.length} scenes have no ${missing.join(' or ')} band (e.g. ${lacking[0]!.id}): ${product.type} needs ${product.needs.indices.join(' and ').toUpperCase()} composites; no ${product.type} figure here means "not analysed", not "no change"`;
}

/**
 * The products an AOI's analyses and scenes allow, in registry order: those computed for every AOI, and those
 * asked for when every scene of both periods carries the bands they need (a composite of mixed inputs would mix
 * observations); for the others, the reason.
 */
export function selectProducts(
  analyses: readonly string[],
  scenes: ReadonlyArray<{ id: string; bands: Partial<Record<BandName, unknown>> }>,
  parameters: ProductParameters = {},
): ProductSelection {
  const selection: ProductSelection = { products: [], notComputed: {} };
  for (const product of PRODUCTS) {
    const always = 'always' in product && product.always === true;
    if (!always && !analyses.includes(product.type)) continue;
    const reason = always ? undefined : lackingReason(product, scenes);
    if (reason) {
      selection.notComputed[product.type] = reason;
      continue;
    }
    const params = product.params.parse(parameters[product.configKey] ?? {}) as Record<string, unknown>;
    selection.products.push({ type: product.type, params });
  }
  return selection;
}

/** The bands the blocks must read (red and NIR always: NDVI and the clear counts) and the indices to composite. */
export function inputsOf(selection: ProductSelection): { bands: BandName[]; indices: IndexName[] } {
  const bands: BandName[] = ['red', 'nir'];
  const indices: IndexName[] = [];
  for (const { type } of selection.products) {
    const product = PRODUCTS.find((candidate) => candidate.type === type)!;
    for (const band of product.needs.bands) if (!bands.includes(band)) bands.push(band);
    for (const index of product.needs.indices) if (!indices.includes(index)) indices.push(index);
  }
  return { bands, indices };
}
