import { projectedBounds, utmEpsgFor } from './aoi.project.js';
import type { AreaGeometry, BBox } from './geometry.js';
import type { Grid } from './rasterize.js';

/**
 * The one output grid of an AOI: the UTM zone of its centre, square pixels of `resolution` metres, pixel corners
 * at `offset` plus whole multiples of the resolution, covering the AOI's projected bounds. Sentinel-2 grids have
 * their corners on multiples of 10 m (offset 0); Landsat's on multiples of 30 m plus 15 (pixel centres on the
 * multiples), so a 30 m Landsat analysis uses offset 15 and reads its scenes of that zone without resampling. An
 * `[x, y]` offset follows a grid whose corners are off by different amounts along each axis (radar exports). Pure.
 */
export function aoiGrid(
  geometry: AreaGeometry,
  bbox: BBox,
  resolution: number,
  offset: number | readonly [number, number] = 0,
): Grid {
  if (!(resolution > 0)) throw new RangeError(`aoiGrid: resolution must be positive, got ${resolution}`);
  const epsg = utmEpsgFor((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2);
  const [minX, minY, maxX, maxY] = projectedBounds(geometry, epsg);
  const [offsetX, offsetY] = typeof offset === 'number' ? [offset, offset] : offset;
  const snapDown = (value: number, at: number) => Math.floor((value - at) / resolution) * resolution + at;
  const snapUp = (value: number, at: number) => Math.ceil((value - at) / resolution) * resolution + at;
  const left = snapDown(minX, offsetX);
  const right = snapUp(maxX, offsetX);
  const bottom = snapDown(minY, offsetY);
  const top = snapUp(maxY, offsetY);
  return {
    epsg,
    width: Math.round((right - left) / resolution),
    height: Math.round((top - bottom) / resolution),
    transform: [left, resolution, 0, top, 0, -resolution],
  };
}
