import { describe, expect, it } from 'vitest';
import { crsDefinition, fromCrs, projectedBounds, toCrs, utmEpsgFor } from '../../../aoi/aoi.project.js';

describe('projection', () => {
  it('matches gdaltransform for a Bukavu pixel corner (EPSG:32735)', () => {
    // gdaltransform -t_srs EPSG:4326 on pixel (20, 20) of T35MPT: UTM (701610, 9730310).
    const [x, y] = toCrs(32735)([28.8131460012174, -2.4387268706234]);
    expect(x).toBeCloseTo(701_610, 2);
    expect(y).toBeCloseTo(9_730_310, 2);
    const [lon, lat] = fromCrs(32735)([701_610, 9_730_310]);
    expect(lon).toBeCloseTo(28.8131460012174, 8);
    expect(lat).toBeCloseTo(-2.4387268706234, 8);
  });

  it('projects into a neighbouring zone (Bukavu in zone 36S: west of its central meridian, x below 500 km)', () => {
    const [x] = toCrs(32736)([28.85, -2.5]);
    expect(x).toBeLessThan(500_000);
    expect(x).toBeGreaterThan(0);
  });

  it('chooses the UTM zone of a position', () => {
    expect(utmEpsgFor(28.85, -2.5)).toBe(32735);
    expect(utmEpsgFor(29.6, 3.1)).toBe(32635);
    expect(utmEpsgFor(-105.1, 40.2)).toBe(32613);
    expect(utmEpsgFor(180, 10)).toBe(32660);
  });

  it('refuses CRSs it does not know', () => {
    expect(crsDefinition(2154)).toBeUndefined();
    expect(() => toCrs(2154)).toThrow(/EPSG:2154 is not supported/);
  });

  it('bounds a lon/lat box in UTM, including its bent edges', () => {
    const bounds = projectedBounds(
      {
        type: 'Polygon',
        coordinates: [
          [
            [28.8, -2.6],
            [29.0, -2.6],
            [29.0, -2.4],
            [28.8, -2.4],
            [28.8, -2.6],
          ],
        ],
      },
      32735,
    );
    expect(bounds[2] - bounds[0]).toBeGreaterThan(22_000);
    expect(bounds[3] - bounds[1]).toBeCloseTo(22_115, -2);
  });
});
