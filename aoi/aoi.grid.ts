import { projectedBounds, utmEpsgFor } from './aoi.project.js';
import type { AreaGeometry, BBox } from './geometry.js';
import type { Grid } from './rasterize.js';

/**
 * The one output grid of an AOI: the UTM zone of its centre, square pixels of `resolution` metres, the origin
 * snapped to whole multiples of the resolution (so Sentinel-2 and Landsat scenes of that zone, whose grids are
 * snapped the same way, are read without resampling), covering the AOI's projected bounds. Pure.
 */
export function aoiGrid(geometry: AreaGeometry, bbox: BBox, resolution: number): Grid {
  if (!(resolution > 0)) throw new RangeError(`aoiGrid: resolution must be positive, got ${resolution}`);
  const epsg = utmEpsgFor((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2);
  const [minX, minY, maxX, maxY] = projectedBounds(geometry, epsg);
  const left = Math.floor(minX / resolution) * resolution;
  const right = Math.ceil(maxX / resolution) * resolution;
  const bottom = Math.floor(minY / resolution) * resolution;
  const top = Math.ceil(maxY / resolution) * resolution;
  return {
    epsg,
    width: Math.round((right - left) / resolution),
    height: Math.round((top - bottom) / resolution),
    transform: [left, resolution, 0, top, 0, -resolution],
  };
}
