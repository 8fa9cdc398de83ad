import { describe, expect, it } from 'vitest';
import { aoiLocation, utmZoneName } from '../../../aoi/aoi.centroid.js';
import { bboxOf, type AreaGeometry, type Position } from '../../../aoi/geometry.js';
import { loadAoiDir } from '../../../pipeline/io/aoi.repository.js';
import { ROOT } from '../../helpers/paths.js';
import { join } from 'node:path';

const locate = (geometry: AreaGeometry) => aoiLocation(geometry, bboxOf(geometry));
const box = (west: number, south: number, east: number, north: number): Position[] => [
  [west, south],
  [east, south],
  [east, north],
  [west, north],
  [west, south],
];

describe('aoiLocation', () => {
  it("puts each seed AOI's centroid where OGR does, in the zone of its grid", async () => {
    // OGR (Debian python3-gdal): the AOI segmentized at 0.0005°, transformed to the UTM zone of its bounding box's
    // centre, Centroid(), transformed back; degrees rounded to 5 decimals.
    const ogr: Record<string, [number, number, string]> = {
      'bukavu-demo': [28.84166, -2.49979, '35S'],
      'kahuzi-biega': [28.0494, -2.13253, '35S'],
      kamituga: [28.11668, -3.10416, '35S'],
      kibali: [29.74172, 3.12083, '35N'],
      lugushwa: [27.87501, -3.32499, '35S'],
      namoya: [27.525, -4.00833, '35S'],
      twangiza: [28.60836, -2.77083, '35S'],
    };
    const { aois } = await loadAoiDir(join(ROOT, 'aoi'), { maxAreaKm2: 10_000 });
    expect(aois.map((aoi) => aoi.id).sort()).toEqual(Object.keys(ogr).sort());
    for (const aoi of aois) {
      const [lon, lat, zone] = ogr[aoi.id]!;
      const location = aoiLocation(aoi.geometry, aoi.bbox);
      expect(location.centroid[0], aoi.id).toBeCloseTo(lon, 4);
      expect(location.centroid[1], aoi.id).toBeCloseTo(lat, 4);
      expect(location.utmZone, aoi.id).toBe(zone);
    }
  });

  it('shows a swapped lat/lon polygon in the Sahara, zone 30N, instead of Bukavu in 35S', () => {
    const ring = box(28.8, -2.5, 28.9, -2.4);
    expect(locate({ type: 'Polygon', coordinates: [ring] }).utmZone).toBe('35S');
    const swapped = locate({ type: 'Polygon', coordinates: [ring.map(([lon, lat]) => [lat, lon] as Position)] });
    expect(swapped.utmZone).toBe('30N');
    expect(swapped.centroid[0]).toBeCloseTo(-2.45, 3);
    expect(swapped.centroid[1]).toBeCloseTo(28.85, 3);
  });

  it('subtracts holes and weighs the parts of a MultiPolygon by area, whatever the winding', () => {
    // A 0.2° × 0.1° box with its eastern half cut out is the western half: centroid at 28.85, not 28.9.
    const outer = box(28.8, -2.5, 29.0, -2.4);
    const hole = box(28.9, -2.5, 29.0, -2.4).reverse();
    const holed = locate({ type: 'Polygon', coordinates: [outer, hole] });
    expect(holed.centroid[0]).toBeCloseTo(28.85, 3);
    expect(holed.centroid[1]).toBeCloseTo(-2.45, 3);
    // Two boxes, the second three times the first: the centroid lies a quarter of the way from the big one's centre.
    const small = box(28.0, -2.1, 28.1, -2.0);
    const big = box(28.3, -2.1, 28.6, -2.0).reverse();
    const multi = locate({ type: 'MultiPolygon', coordinates: [[small], [big]] });
    expect(multi.centroid[0]).toBeCloseTo((28.05 + 3 * 28.45) / 4, 3);
  });

  it('names zones as the EPSG names do', () => {
    expect(utmZoneName(32735)).toBe('35S');
    expect(utmZoneName(32601)).toBe('1N');
  });
});
