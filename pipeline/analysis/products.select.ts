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
  /** The optical scenes are NDVI exports: the composites are of their `ndvi` band, not of red and NIR. */
  ndviExports?: true;
}

/** Parameters by the products' config keys (`analysis.forestLoss`…); a missing one takes the product's defaults. */
export type ProductParameters = Partial<Record<ProductConfigKey, unknown>>;

/** What selection needs of a scene: its id, its bands, and whether it is radar (`sar`). */
export type SceneBands = { id: string; bands: Partial<Record<BandName, unknown>>; sar?: unknown };

/** Which sensor's scenes a product reads: radar products the radar scenes, the others the optical ones. */
export const sensorOf = (product: { sensor?: 'radar' }): 'optical' | 'radar' => product.sensor ?? 'optical';

/**
 * A product's scene set: the scenes of its sensor. An AOI's catalog may hold optical and radar scenes together;
 * each product reads only its own, so an optical product is not refused for the radar scenes' lack of red, nor the
 * radar product for the optical scenes' lack of VV.
 */
export function scenesFor<S extends SceneBands>(product: { sensor?: 'radar' }, scenes: readonly S[]): S[] {
  const radar = sensorOf(product) === 'radar';
  return scenes.filter((scene) => (scene.sar !== undefined) === radar);
}

/** Optical scenes that are all NDVI exports (an `ndvi` band, no red): their composites are of that NDVI. */
export const ndviExports = (scenes: readonly SceneBands[]): boolean =>
  scenes.length > 0 && scenes.every((scene) => scene.sar === undefined && scene.bands.ndvi && !scene.bands.red);

function lackingReason(product: (typeof PRODUCTS)[number], scenes: readonly SceneBands[]): string | undefined {
  if (scenes.length === 0) return `no ${sensorOf(product)} scenes`;
  // An NDVI export stands in for red and NIR when all the scenes are: one composite never mixes the two.
  const exports = 'ndviStandsIn' in product && product.ndviStandsIn && ndviExports(scenes);
  const lacking = exports ? [] : scenes.filter((scene) => product.needs.bands.some((band) => !scene.bands[band]));
  if (lacking.length === 0) return undefined;
  const missing = product.needs.bands.filter((band) => lacking.some((scene) => !scene.bands[band]));
  const needs =
    sensorOf(product) === 'radar'
      ? `its ${product.needs.bands.join(' and ').toUpperCase()} series`
      : `${(product.needs.indices.length > 0 ? product.needs.indices : ['ndvi']).join(' and ').toUpperCase()} composites`;
  return `${lacking.length} of ${scenes.length} scenes have no ${missing.join(' or ')} band (e.g. ${lacking[0]!.id}): ${product.type} needs ${needs}; no ${product.type} figure here means "not analysed", not "no change"`;
}

/**
 * The products an AOI's analyses and scenes allow, in registry order: those computed for every AOI and those asked
 * for, when every scene of their sensor in both periods carries the bands they need (a composite of mixed inputs
 * would mix observations); for the others asked for, the reason. A radar-only AOI (or one of NDVI exports) is not
 * refused for the optical product computed for every AOI: that product is left out, with the reason when the AOI
 * asked for it.
 */
export function selectProducts(
  analyses: readonly string[],
  scenes: readonly SceneBands[],
  parameters: ProductParameters = {},
): ProductSelection {
  const selection: ProductSelection = { products: [], notComputed: {} };
  for (const product of PRODUCTS) {
    const always = 'always' in product && product.always === true;
    const asked = analyses.includes(product.type);
    if (!always && !asked) continue;
    const own = scenesFor(product, scenes);
    // Without any scene the plan publishes nothing; the products computed for every AOI are kept for its outputs.
    const reason = always && scenes.length === 0 ? undefined : lackingReason(product, own);
    if (reason) {
      const other = own.length === 0 && scenes.length > 0 ? `: all ${scenes.length} scenes are of another sensor` : '';
      if (asked) selection.notComputed[product.type] = `${reason}${other}`;
      continue;
    }
    const params = product.params.parse(parameters[product.configKey] ?? {}) as Record<string, unknown>;
    selection.products.push({ type: product.type, params });
  }
  if (ndviExports(scenesFor({}, scenes))) selection.ndviExports = true;
  return selection;
}

/**
 * The bands the blocks must read from the optical scenes (red and NIR always: NDVI and the clear counts; an NDVI
 * export's NDVI instead), the
 * indices to composite, and the bands read from the radar scenes (none unless a radar product is computed).
 */
export function inputsOf(selection: ProductSelection): {
  bands: BandName[];
  indices: IndexName[];
  radarBands: BandName[];
} {
  const bands: BandName[] = selection.ndviExports ? ['ndvi'] : ['red', 'nir'];
  const indices: IndexName[] = [];
  const radarBands: BandName[] = [];
  for (const { type } of selection.products) {
    const product = PRODUCTS.find((candidate) => candidate.type === type)!;
    if (selection.ndviExports && 'ndviStandsIn' in product) continue;
    const into = sensorOf(product) === 'radar' ? radarBands : bands;
    for (const band of product.needs.bands) if (!into.includes(band)) into.push(band);
    for (const index of product.needs.indices) if (!indices.includes(index)) indices.push(index);
  }
  return { bands, indices, radarBands };
}
