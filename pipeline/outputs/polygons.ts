import { fromCrs } from '../../aoi/aoi.project.js';
import type { Grid } from '../../aoi/rasterize.js';
import { label8 } from '../../workers/components.js';
import { tracePatches, type PixelRing } from '../../workers/vectorize.js';

/**
 * Change patches as RFC 7946 GeoJSON: each 8-connected patch of a change class one feature, its outline traced
 * along pixel edges in the grid's CRS and then converted to lon/lat, with the figures a reader filters on.
 */

export interface PatchEvidence {
  /** Confidence code per pixel and the code that counts as high. */
  confidence: Uint8Array;
  highCode: number;
  /** Clear monitoring observations per pixel. */
  clearCount: Uint16Array;
  /** Day number (since 1970-01-01) of the first observation showing the change, -1 for none. */
  firstDay: Int32Array;
}

export interface PatchProperties {
  class: string;
  /** `high` when at least half of the patch's area has high confidence. */
  confidence: 'high' | 'low';
  hectares: number;
  hectares_high_confidence: number;
  pixels: number;
  /** The fewest clear monitoring observations of any pixel of the patch. */
  clear_observations_min: number;
  /** The first date a clear observation showed the change in any pixel of the patch (YYYY-MM-DD). */
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

export function patchPolygons(input: {
  grid: Grid;
  classes: Uint8Array;
  code: number;
  className: string;
  pixelAreaHa: Float64Array;
  evidence: PatchEvidence;
}): PatchCollection {
  const { grid, classes, code, pixelAreaHa, evidence } = input;
  const mask = new Uint8Array(classes.length);
  for (let i = 0; i < classes.length; i++) mask[i] = classes[i] === code ? 1 : 0;
  const { labels, count } = label8(mask, grid.width, grid.height);
  const pixels = new Float64Array(count + 1);
  const hectares = new Float64Array(count + 1);
  const high = new Float64Array(count + 1);
  const clearMin = new Float64Array(count + 1).fill(Infinity);
  const firstDay = new Float64Array(count + 1).fill(Infinity);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label === 0) continue;
    const area = pixelAreaHa[i % grid.width]!;
    pixels[label]!++;
    hectares[label]! += area;
    if (evidence.confidence[i] === evidence.highCode) high[label]! += area;
    clearMin[label] = Math.min(clearMin[label]!, evidence.clearCount[i]!);
    if (evidence.firstDay[i]! >= 0) firstDay[label] = Math.min(firstDay[label]!, evidence.firstDay[i]!);
  }
  const [originX, pixelWidth, , originY, , pixelHeight] = grid.transform;
  const toLonLat = fromCrs(grid.epsg);
  const ringToLonLat = (ring: PixelRing): LonLat[] =>
    ring.map(([x, y]) => {
      const [lon, lat] = toLonLat([originX + x * pixelWidth, originY + y * pixelHeight]);
      return [round(lon!), round(lat!)];
    });
  const features = tracePatches(labels, count, grid.width, grid.height).map(({ label, polygons }): PatchFeature => {
    const coordinates = polygons.map((rings) => rings.map((ring, k) => oriented(ringToLonLat(ring), k === 0)));
    return {
      type: 'Feature',
      id: label,
      geometry:
        coordinates.length === 1
          ? { type: 'Polygon', coordinates: coordinates[0]! }
          : { type: 'MultiPolygon', coordinates },
      properties: {
        class: input.className,
        confidence: high[label]! * 2 >= hectares[label]! ? 'high' : 'low',
        hectares: Number(hectares[label]!.toFixed(4)),
        hectares_high_confidence: Number(high[label]!.toFixed(4)),
        pixels: pixels[label]!,
        clear_observations_min: clearMin[label]!,
        first_seen: Number.isFinite(firstDay[label]!)
          ? new Date(firstDay[label]! * DAY_MS).toISOString().slice(0, 10)
          : null,
      },
    };
  });
  return { type: 'FeatureCollection', features };
}
