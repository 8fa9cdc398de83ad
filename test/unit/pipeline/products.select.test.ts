import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inputsOf, selectProducts } from '../../../pipeline/analysis/products.select.js';
import { analysisResolution, gridOffset } from '../../../pipeline/run/period.plan.js';
import { isScene, readItem, type Scene, type StacItem } from '../../../pipeline/scenes/stac.profiles.js';
import { SHARED_DATA } from '../../helpers/paths.js';

/**
 * Scene sets per product, on real STAC JSON: the Planetary Computer's Sentinel-1 RTC VV+VH items (radar) and Earth
 * Search Sentinel-2 L2A items (optical). Each product reads the scenes of its own sensor.
 */
const json = (path: string) => JSON.parse(readFileSync(join(SHARED_DATA, path), 'utf8')) as Record<string, unknown>;
const RTC = 'stac/sentinel-1/rtc-items';
const radar: Scene[] = readdirSync(join(SHARED_DATA, RTC))
  .sort()
  .map((name) => readItem(json(`${RTC}/${name}`) as unknown as StacItem))
  .filter(isScene);
const optical: Scene[] = (json('stac/pystac-client-cassettes/es1_multi_00.json').features as StacItem[])
  .map(readItem)
  .filter(isScene);

describe('products per scene set', () => {
  it('has real scenes of both sensors', () => {
    expect(radar).toHaveLength(4);
    expect(optical.length).toBeGreaterThan(0);
    expect(optical.every((scene) => scene.sar === undefined && scene.bands.red)).toBe(true);
  });

  it('a radar-only AOI computes radar forest loss, and is not refused for the optical forest loss', () => {
    const selection = selectProducts(['radar-forest-loss'], radar);
    expect(selection.products.map((product) => product.type)).toEqual(['radar-forest-loss']);
    expect(selection.notComputed).toEqual({});
    expect(inputsOf(selection)).toMatchObject({ radarBands: ['vv'], bands: ['red', 'nir'] });
  });

  it('a radar-only AOI asking for both says why the optical one is not computed', () => {
    const selection = selectProducts(['forest-loss', 'radar-forest-loss'], radar);
    expect(selection.products.map((product) => product.type)).toEqual(['radar-forest-loss']);
    expect(selection.notComputed['forest-loss']).toMatch(/^no optical scenes: all 4 scenes are of another sensor/);
  });

  it('an AOI with both sensors computes both, each from its own scenes', () => {
    const selection = selectProducts(['forest-loss', 'settlement-change', 'radar-forest-loss'], [...optical, ...radar]);
    expect(selection.products.map((product) => product.type)).toEqual([
      'forest-loss',
      'settlement-change',
      'radar-forest-loss',
    ]);
    expect(inputsOf(selection)).toEqual({ bands: ['red', 'nir', 'swir16'], indices: ['ndbi'], radarBands: ['vv'] });
  });

  it('an optical-only AOI asking for radar forest loss is told there are no radar scenes', () => {
    const selection = selectProducts(['radar-forest-loss'], optical);
    expect(selection.products.map((product) => product.type)).toEqual(['forest-loss']);
    expect(selection.notComputed['radar-forest-loss']).toMatch(/^no radar scenes/);
  });

  it("radar scenes sharing one grid are analysed on it: the RTC items' 10 m grid (proj:transform in affine order)", () => {
    expect(radar[0]!.transform).toEqual([602260, 10, 0, 1570350, 0, -10]);
    expect(analysisResolution('auto', radar)).toBe(10);
    expect(gridOffset(10, radar)).toEqual([0, 0]);
    const bolivia = { collection: 'vv', sar: { unit: 'db' }, transform: [594555, 30, 0, 8003065, 0, -30] as const };
    expect(analysisResolution('auto', [bolivia])).toBe(30);
    expect(gridOffset(30, [bolivia])).toEqual([15, 25]);
    // Optical scenes state no transform on the scene: the rules of before.
    expect(gridOffset(10, optical)).toBe(0);
  });
});
