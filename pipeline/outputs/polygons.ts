import type { Grid } from '../../aoi/rasterize.js';
import { patchRaster } from '../../workers/patches.js';
import { outlineOf, type OutlineGeometry } from '../../workers/outline.js';
import { productOf } from '../../workers/products/index.js';
import type { KeptPatches } from '../analysis/analysis.js';

/**
 * Change patches as RFC 7946 GeoJSON: each 8-connected patch of a change class one feature, its outline traced
 * along pixel edges in the grid's CRS and then converted to lon/lat, with the figures a reader filters on.
 */

export interface PatchProperties {
  /** The product the patch belongs to. */
  product: string;
  /** What the patch is: forest-loss, built-lost, built-gained, mining-expansion. */
  class: string;
  /** Products that grade their change: `high` when at least half of the patch's area has high confidence; else null. */
  confidence: 'high' | 'low' | null;
  hectares: number;
  hectares_high_confidence: number;
  pixels: number;
  /** The fewest clear monitoring observations of any pixel of the patch. */
  clear_observations_min: number;
  /**
   * Products that date their change (forest loss): the first date a clear observation showed it in any pixel of the
   * patch (YYYY-MM-DD); else null.
   */
  first_seen: string | null;
}

export interface PatchFeature {
  type: 'Feature';
  id: number;
  geometry: OutlineGeometry;
  properties: PatchProperties;
}

export interface PatchCollection {
  type: 'FeatureCollection';
  features: PatchFeature[];
}

const DAY_MS = 86_400_000;

export function patchPolygons(input: { grid: Grid; sets: readonly KeptPatches[] }): PatchCollection {
  const { grid } = input;
  const features: PatchFeature[] = [];
  for (const set of input.sets) {
    const { table, patches, runs } = set;
    for (const patch of patches) {
      // Traced on the patch's own bounding box: memory follows the patch, not the AOI.
      const geometry = outlineOf(grid, {
        raster: patchRaster(table, patch, runs[patch.id - 1]!),
        left: patch.left,
        top: patch.top,
        width: patch.right - patch.left,
        height: patch.bottom - patch.top,
      });
      const product = productOf(set.product);
      const graded =
        product.confidence !== undefined ||
        product.patches.some((rule) => rule.name === set.className && rule.highCodes);
      features.push({
        type: 'Feature',
        id: features.length + 1,
        geometry,
        properties: {
          product: set.product,
          class: set.className,
          confidence: graded ? (patch.highHectares * 2 >= patch.hectares ? 'high' : 'low') : null,
          hectares: Number(patch.hectares.toFixed(4)),
          hectares_high_confidence: Number(patch.highHectares.toFixed(4)),
          pixels: patch.pixels,
          clear_observations_min: patch.clearMin,
          first_seen: patch.firstDay >= 0 ? new Date(patch.firstDay * DAY_MS).toISOString().slice(0, 10) : null,
        },
      });
    }
  }
  return { type: 'FeatureCollection', features };
}
