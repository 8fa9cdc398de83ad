import { fromCrs, projectGeometry, utmEpsgFor } from './aoi.project.js';
import type { AreaGeometry, BBox, Position } from './geometry.js';

/**
 * Where an AOI is, in the two figures that make a swapped or misplaced polygon obvious at a glance: its centroid in
 * lon/lat and the UTM zone its analysis grid uses (a DR Congo AOI whose lat/lon were swapped lands in the Sahara,
 * zone 30N or 31N, instead of 35S). Pure: proj4 computes, nothing is fetched.
 */
export interface AoiLocation {
  /** Area centroid, [lon, lat] in degrees on WGS84. */
  centroid: Position;
  /** The UTM zone of the AOI's grid (the zone of its bounding box's centre, as `aoiGrid`): `35S`, `36N`. */
  utmZone: string;
  /** Its EPSG code (WGS 84 / UTM: 326NN north, 327NN south). */
  epsg: number;
}

/** `32735` → `35S`, `32636` → `36N`: the zone number and hemisphere, as the EPSG names write them. */
export function utmZoneName(epsg: number): string {
  const hemisphere = Math.floor(epsg / 100) === 327 ? 'S' : 'N';
  return `${epsg % 100}${hemisphere}`;
}

/**
 * Twice the signed area of a closed ring and its first moments times 6 (shoelace), relative to `origin` so that
 * UTM's large coordinates do not eat the precision.
 */
function ringMoments(ring: readonly Position[], origin: Position): { area2: number; x: number; y: number } {
  let area2 = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    const [x0, y0] = [ring[i]![0] - origin[0], ring[i]![1] - origin[1]];
    const [x1, y1] = [ring[i + 1]![0] - origin[0], ring[i + 1]![1] - origin[1]];
    const cross = x0 * y1 - x1 * y0;
    area2 += cross;
    x += (x0 + x1) * cross;
    y += (y0 + y1) * cross;
  }
  return { area2, x, y };
}

/**
 * The AOI's centroid and grid zone. The centroid is the planar area centroid in that UTM zone (holes subtracted,
 * edges densified as the grid projects them), projected back to lon/lat: for AOIs within the 10,000 km² limit it is
 * within metres of the geodesic one.
 */
export function aoiLocation(geometry: AreaGeometry, bbox: BBox): AoiLocation {
  const epsg = utmEpsgFor((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2);
  const polygons = projectGeometry(geometry, epsg);
  const origin: Position = polygons[0]?.[0]?.[0] ?? [0, 0];
  let area = 0;
  let sumX = 0;
  let sumY = 0;
  for (const polygon of polygons) {
    polygon.forEach((ring, index) => {
      const moments = ringMoments(ring, origin);
      // Exterior rings add, holes subtract, whatever their winding.
      const sign = (index === 0 ? 1 : -1) * Math.sign(moments.area2);
      area += (sign * moments.area2) / 2;
      sumX += (sign * moments.x) / 6;
      sumY += (sign * moments.y) / 6;
    });
  }
  const centroid =
    area > 0
      ? fromCrs(epsg)([origin[0] + sumX / area, origin[1] + sumY / area])
      : ([(bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2] as Position);
  return { centroid, utmZone: utmZoneName(epsg), epsg };
}
