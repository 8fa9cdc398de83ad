import { fromCrs } from './aoi.project.js';
import { ringAreaM2, type Ring } from './geometry.js';
import type { Grid } from './rasterize.js';

/**
 * The true area of a grid's pixels, hectares, one value per column: the geodesic area on WGS84 (GeographicLib)
 * of each pixel's four corners, taken on the grid's middle row. Transverse Mercator (UTM) is conformal with a
 * scale factor that grows with the distance from the central meridian (0.9996 on it, about 1.0004 at 3° away), so
 * a 10 m pixel covers 99.9 to 100.1 m² of ground depending on its column; along a column the change over 100 km
 * of latitude is below 1e-5, which is why one row stands for all.
 */
export function pixelAreaHaByColumn(grid: Grid): Float64Array {
  const inverse = fromCrs(grid.epsg);
  const [originX, pixelWidth, , originY, , pixelHeight] = grid.transform;
  const row = Math.floor(grid.height / 2);
  const top = originY + row * pixelHeight;
  const bottom = top + pixelHeight;
  const out = new Float64Array(grid.width);
  for (let column = 0; column < grid.width; column++) {
    const left = originX + column * pixelWidth;
    const right = left + pixelWidth;
    const ring: Ring = [
      inverse([left, top]),
      inverse([right, top]),
      inverse([right, bottom]),
      inverse([left, bottom]),
      inverse([left, top]),
    ];
    out[column] = ringAreaM2(ring) / 1e4;
  }
  return out;
}
