import { fromCrs } from '../aoi/aoi.project.js';
import type { Grid } from '../aoi/rasterize.js';
import { tracePatches, type PixelRing } from './vectorize.js';

/**
 * The outline of a set of grid pixels as RFC 7946 geometry: traced along pixel edges on the set's bounding box (a
 * label raster of 1s), in the grid's CRS, then converted to lon/lat rounded to 1e-7° (about 1 cm: finer than any
 * pixel edge, coarse enough to keep files small). Outer rings counter-clockwise, holes clockwise (RFC 7946 §3.1.6).
 * Pure.
 */

type LonLat = [number, number];
export type OutlineGeometry =
  { type: 'Polygon'; coordinates: LonLat[][] } | { type: 'MultiPolygon'; coordinates: LonLat[][][] };

const round = (value: number) => Math.round(value * 1e7) / 1e7;

function signedArea(ring: LonLat[]): number {
  let sum = 0;
  for (let i = 0; i < ring.length - 1; i++) sum += ring[i]![0] * ring[i + 1]![1] - ring[i + 1]![0] * ring[i]![1];
  return sum / 2;
}

function oriented(ring: LonLat[], outer: boolean): LonLat[] {
  return signedArea(ring) > 0 === outer ? ring : ring.reverse();
}

/** `raster` holds 1 on the set's pixels over the box whose top-left grid pixel is (left, top). */
export function outlineOf(
  grid: Grid,
  box: { raster: Int32Array; left: number; top: number; width: number; height: number },
): OutlineGeometry {
  const [originX, pixelWidth, , originY, , pixelHeight] = grid.transform;
  const toLonLat = fromCrs(grid.epsg);
  const traced = tracePatches(box.raster, 1, box.width, box.height);
  const ringToLonLat = (ring: PixelRing): LonLat[] =>
    ring.map(([x, y]) => {
      const [lon, lat] = toLonLat([originX + (x + box.left) * pixelWidth, originY + (y + box.top) * pixelHeight]);
      return [round(lon!), round(lat!)];
    });
  const coordinates = traced[0]!.polygons.map((rings) => rings.map((ring, k) => oriented(ringToLonLat(ring), k === 0)));
  return coordinates.length === 1
    ? { type: 'Polygon', coordinates: coordinates[0]! }
    : { type: 'MultiPolygon', coordinates };
}
