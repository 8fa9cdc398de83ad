import { CONFIDENCE } from '../../workers/products/product.js';
import { leadProduct, PRODUCT_TYPES, productOf } from '../../workers/products/index.js';
import type { Rgb } from '../../workers/render.js';
import { ChangewatchError } from '../errors.js';
import type { ResultItem } from './stac.js';

/**
 * The layers a figure can draw: the item's COG assets, described by their own STAC fields (raster `bands` with
 * `nodata` and `unit`, `classification:classes` with `color_hint`), so a new raster asset is drawable without a
 * change here: class rasters in their classes' colours; NDVI on its ramp; day numbers ("days since 1970-01-01") and
 * counts on a sequential ramp; colour composites (three bands, role `visual`) as they are.
 */

export interface FigureLayer {
  asset: string;
  title: string;
  kind: 'classes' | 'ndvi' | 'days' | 'count' | 'rgb';
  /** The band's nodata (NaN for "nan"). */
  nodata: number;
  /** The band's unit as STAC gives it, if any. */
  unit?: string;
  /** Class rasters: every code but nodata, with its name and colour. */
  classes: Array<{ value: number; name: string; colour: Rgb }>;
  /** The codes an overlay draws: a product's change classes, a confidence raster's grades; else every class. */
  overlay: number[];
}

interface StacBand {
  nodata?: number | string;
  unit?: string;
  data_type?: string;
}
interface StacClass {
  value: number;
  name: string;
  color_hint?: string;
}

const rgbOf = (hex = 'bdbdbd'): Rgb => [
  parseInt(hex.slice(0, 2), 16),
  parseInt(hex.slice(2, 4), 16),
  parseInt(hex.slice(4, 6), 16),
];

function overlayCodes(asset: string, classes: FigureLayer['classes']): number[] {
  if ((PRODUCT_TYPES as string[]).includes(asset)) return productOf(asset).patches.flatMap((rule) => rule.codes);
  if (PRODUCT_TYPES.some((type) => asset === `${type}-confidence`)) return [CONFIDENCE.low, CONFIDENCE.high];
  return classes.map((entry) => entry.value);
}

function layerOf(asset: string, entry: ResultItem['assets'][string]): FigureLayer | undefined {
  if (!String(entry['type'] ?? '').includes('geotiff')) return undefined;
  const band = ((entry['bands'] as StacBand[] | undefined) ?? [])[0] ?? {};
  const nodata = band.nodata === 'nan' || band.nodata === undefined ? NaN : Number(band.nodata);
  const stacClasses = entry['classification:classes'] as StacClass[] | undefined;
  const title = String(entry['title'] ?? asset);
  const unit = band.unit;
  const base = { asset, title, nodata, ...(unit ? { unit } : {}), classes: [], overlay: [] };
  if (stacClasses) {
    const classes = stacClasses
      .filter((entry) => entry.value !== nodata)
      .map((entry) => ({ value: entry.value, name: entry.name, colour: rgbOf(entry.color_hint?.toLowerCase()) }));
    return { ...base, kind: 'classes', classes, overlay: overlayCodes(asset, classes) };
  }
  const bands = (entry['bands'] as StacBand[] | undefined) ?? [];
  const roles = (entry['roles'] as string[] | undefined) ?? [];
  // A colour composite: three bands of display bytes, drawn as they are.
  if (bands.length === 3 && roles.includes('visual')) return { ...base, kind: 'rgb' };
  if (unit === 'NDVI') return { ...base, kind: 'ndvi' };
  if (unit?.startsWith('days since 1970-01-01')) return { ...base, kind: 'days' };
  if (/^u?int/.test(band.data_type ?? '')) return { ...base, kind: 'count' };
  return undefined;
}

/** Every drawable layer of the item, in its assets' order. */
export function itemLayers(item: ResultItem): FigureLayer[] {
  return Object.entries(item.assets).flatMap(([asset, entry]) => layerOf(asset, entry) ?? []);
}

/**
 * The layers asked for, bottom first; by default the monitoring NDVI with the lead product's change over it. Only the
 * first may be a continuous layer (the later ones are drawn over it where they mark something, so a second ramp
 * would hide the first).
 */
export function chooseLayers(item: ResultItem, products: readonly string[], names?: readonly string[]): FigureLayer[] {
  const layers = itemLayers(item);
  const byName = new Map(layers.map((layer) => [layer.asset, layer]));
  const valid = layers.map((layer) => layer.asset).join(', ');
  const lead = leadProduct(products)?.type;
  const wanted = names ?? ['ndvi-monitoring', ...(lead ? [lead] : [])].filter((name) => byName.has(name));
  if (wanted.length === 0) throw new ChangewatchError('E_USAGE', `--layers: give one or more of ${valid}`);
  return wanted.map((name, k) => {
    const layer = byName.get(name);
    if (!layer)
      throw new ChangewatchError('E_USAGE', `--layers ${name}: item ${item.id} has no such layer: use ${valid}`);
    if (k > 0 && layer.kind !== 'classes')
      throw new ChangewatchError(
        'E_USAGE',
        `--layers ${names!.join(',')}: ${name} is continuous and would hide ${wanted[0]}: put it first, or alone`,
      );
    return layer;
  });
}
