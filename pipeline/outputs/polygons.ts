import { fromCrs } from '../../aoi/aoi.project.js';
import type { Grid } from '../../aoi/rasterize.js';
import { patchRaster } from '../../workers/patches.js';
import { tracePatches, type PixelRing } from '../../workers/vectorize.js';
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

type LonLat = [number, number];
export interface PatchFeature {
  type: 'Feature';
  id: number;
  geometry: { type: 'Polygon'; coordinates: LonLat[][] } | { type: 'MultiPolygon'; coordinates: LonLat[][][] };
  properties: PatchProperties;
}

export interface PatchCollection {
  type: 'FeatureCollection';
  features: PatchFeature[];
}

const DAY_MS = 86_400_000;
/** 1e-7 degrees is about 1 cm: finer than any pixel edge, coarse enough to keep files small. */
const round = (value: number) => Math.round(value * 1e7) / 1e7;

function signedArea(ring: LonLat[]): number {
  let sum = 0;
  for (let i = 0; i < ring.length - 1; i++) sum += ring[i]![0] * ring[i + 1]![1] - ring[i + 1]![0] * ring[i]![1];
  return sum / 2;
}

/** RFC 7946 §3.1.6: outer rings counter-clockwise, holes clockwise. */
function oriented(ring: LonLat[], outer: boolean): LonLat[] {
  return signedArea(ring) > 0 === outer ? ring : ring.reverse();
}

export function patchPolygons(input: { grid: Grid; sets: readonly KeptPatches[] }): PatchCollection {
  const { grid } = input;
  const [originX, pixelWidth, , originY, , pixelHeight] = grid.transform;
  const toLonLat = fromCrs(grid.epsg);
  const features: PatchFeature[] = [];
  for (const set of input.sets) {
    const { table, patches, runs } = set;
    for (const patch of patches) {
      // Traced on the patch's own bounding box: memory follows the patch, not the AOI.
      const width = patch.right - patch.left;
      const traced = tracePatches(patchRaster(table, patch, runs[patch.id - 1]!), 1, width, patch.bottom - patch.top);
      const ringToLonLat = (ring: PixelRing): LonLat[] =>
        ring.map(([x, y]) => {
          const [lon, lat] = toLonLat([
            originX + (x + patch.left) * pixelWidth,
            originY + (y + patch.top) * pixelHeight,
          ]);
          return [round(lon!), round(lat!)];
        });
      const coordinates = traced[0]!.polygons.map((rings) =>
        rings.map((ring, k) => oriented(ringToLonLat(ring), k === 0)),
      );
      const graded = productOf(set.product).confidence !== undefined;
      features.push({
        type: 'Feature',
        id: features.length + 1,
        geometry:
          coordinates.length === 1
            ? { type: 'Polygon', coordinates: coordinates[0]! }
            : { type: 'MultiPolygon', coordinates },
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
