import { describe, expect, it } from 'vitest';
import { aoiGrid } from '../../../aoi/aoi.grid.js';
import type { AreaGeometry } from '../../../aoi/geometry.js';
import { analysisResolution, gridOffset } from '../../../pipeline/run/period.plan.js';

describe('analysisResolution', () => {
  const s2 = { platform: 'sentinel-2a', collection: 'sentinel-2-l2a' };
  const landsat = { platform: 'landsat-8', collection: 'landsat-c2-l2' };
  const export_ = { collection: 't35mpt_bukavu_drc' };

  it('auto: 30 m when every scene is Landsat, 10 m with any Sentinel-2 or unknown sensor, or none', () => {
    expect(analysisResolution('auto', [landsat, { collection: 'landsat-colorado-sr', platform: 'landsat-7' }])).toBe(
      30,
    );
    expect(analysisResolution('auto', [landsat, s2])).toBe(10);
    expect(analysisResolution('auto', [export_])).toBe(10);
    expect(analysisResolution('auto', [])).toBe(10);
  });

  it('a configured size wins', () => {
    expect(analysisResolution(20, [landsat])).toBe(20);
  });

  it('a 30 m grid of Landsat-only scenes puts its pixel corners 15 m off the multiples of 30 m, as Landsat does', () => {
    expect(gridOffset(30, [landsat])).toBe(15);
    expect(gridOffset(10, [landsat])).toBe(0);
    expect(gridOffset(30, [s2])).toBe(0);
    const geometry: AreaGeometry = {
      type: 'Polygon',
      coordinates: [
        [
          [28.8, -2.5],
          [28.81, -2.5],
          [28.81, -2.49],
          [28.8, -2.49],
          [28.8, -2.5],
        ],
      ],
    };
    const grid = aoiGrid(geometry, [28.8, -2.5, 28.81, -2.49], 30, 15);
    expect(((grid.transform[0] % 30) + 30) % 30).toBe(15);
    expect(((grid.transform[3] % 30) + 30) % 30).toBe(15);
    const plain = aoiGrid(geometry, [28.8, -2.5, 28.81, -2.49], 30);
    expect(plain.transform[0] % 30).toBe(0);
  });
});
