import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isScene, readItem, type Scene, type StacItem } from '../../../pipeline/scenes/stac.profiles.js';
import { SHARED_DATA } from '../../helpers/paths.js';

const json = (path: string) => JSON.parse(readFileSync(join(SHARED_DATA, path), 'utf8')) as Record<string, unknown>;
const features = (path: string) => json(path).features as StacItem[];

describe('provider profiles on real STAC JSON', () => {
  it('Earth Search v1 sentinel-2-l2a: common-name keys, SCL, scale/offset from raster:bands (baseline 05.09)', () => {
    const scene = readItem(features('stac/pystac-client-cassettes/es1_multi_00.json')[0]!) as Scene;
    expect(scene).toMatchObject({
      id: 'S2A_13TDE_20231008_0_L2A',
      profile: 'earth-search-sentinel-2',
      platform: 'sentinel-2a',
      tile: '13TDE',
      epsg: 32613,
      processingBaseline: '05.09',
      datetime: '2023-10-08T18:02:55.276Z',
      mask: { kind: 'scl', asset: { key: 'scl' } },
    });
    expect(scene.bands.red).toMatchObject({ key: 'red', scale: 0.0001, offset: -0.1, nodata: 0 });
    expect(Object.keys(scene.bands).sort()).toEqual(['blue', 'green', 'nir', 'red', 'swir16', 'swir22']);
    expect(scene.href).toContain('/collections/sentinel-2-l2a/items/');
  });

  it("keeps each asset's file:checksum as the item states it (for the dossiers' record), and none where it states none", () => {
    const item = features('stac/pystac-client-cassettes/es1_filter_01.json').find(
      (feature) => feature.id === 'S2B_T20EPT_20250731T131905_L2A',
    )!;
    const scene = readItem(item) as Scene;
    const stated = (item.assets['red'] as Record<string, unknown>)['file:checksum'];
    expect(stated).toMatch(/^1220[0-9a-f]{64}$/);
    expect(scene.bands.red!.checksum).toBe(stated);
    const plain = readItem(features('stac/pystac-client-cassettes/es1_multi_00.json')[0]!) as Scene;
    expect(plain.bands.red!.checksum).toBeUndefined();
  });

  it('Earth Search landsat-c2-l2 is refused with the requester-pays explanation', () => {
    const unusable = readItem(features('stac/pystac-client-cassettes/es1_multi_00.json')[1]!);
    expect(isScene(unusable)).toBe(false);
    expect(unusable).toMatchObject({ id: 'LC08_L2SP_033032_20231008_02_T1' });
    expect((unusable as { reason: string }).reason).toMatch(/requester-pays bucket s3:\/\/usgs-landsat/);
  });

  it('Planetary Computer sentinel-2-l2a: SAFE keys, baseline 02.12 means no offset, hrefs need signing', () => {
    const scene = readItem(features('stac/odc-stac/site2-2020_jun_jul-35MNM.geojson')[0]!) as Scene;
    expect(scene).toMatchObject({
      profile: 'planetary-computer-sentinel-2',
      tile: '35MNM',
      signing: 'planetary-computer',
      epsg: 32735,
    });
    expect(scene.bands.red).toMatchObject({ key: 'B04', scale: 0.0001, offset: 0 });
    expect(scene.bands.nir?.key).toBe('B08');
    expect(scene.mask).toMatchObject({ kind: 'scl', asset: { key: 'SCL' } });
  });

  it('applies the baseline 04.00 offset (-1000 DN) where the provider states none', () => {
    const item = structuredClone(features('stac/odc-stac/site2-2020_jun_jul-35MNM.geojson')[0]!);
    item.properties['s2:processing_baseline'] = '04.00';
    expect((readItem(item) as Scene).bands.red).toMatchObject({ scale: 0.0001, offset: -0.1 });
  });

  it('Planetary Computer landsat-c2-l2: nir08 as NIR, QA_PIXEL, C2 scale and offset', () => {
    const scene = readItem(features('stac/pystac-client-cassettes/pc_landsat_c2_l2_02.json')[0]!) as Scene;
    expect(scene).toMatchObject({
      profile: 'landsat-c2-l2',
      signing: 'planetary-computer',
      mask: { kind: 'qa_pixel' },
    });
    expect(scene.bands.nir).toMatchObject({ key: 'nir08', scale: 0.0000275, offset: -0.2 });
  });

  it('Earth Search v0 sentinel-s2-l2a-cogs: B04/B08/SCL, tile from sentinel:* properties', () => {
    const scene = readItem(json('stac/odc-stac/S2A_28QCH_20200714_0_L2A.json') as StacItem) as Scene;
    expect(scene).toMatchObject({ profile: 'earth-search-v0-sentinel-2', tile: '28QCH' });
    expect(scene.bands.red?.key).toBe('B04');
    expect(scene.mask?.asset.key).toBe('SCL');
  });

  it('the Morocco sample item (Earth Search v1 layout, baseline 02.14)', () => {
    const scene = readItem(json('s2l2a-morocco/S2A_29RKH_20200219_0_L2A.json') as StacItem) as Scene;
    expect(scene).toMatchObject({ profile: 'earth-search-sentinel-2', tile: '29RKH', processingBaseline: '02.14' });
    expect(scene.bands.red?.scale).toBe(0.0001);
  });

  it('the generic profile finds bands by eo:common_name (USGS landsatlook item)', () => {
    const scene = readItem(json('stac/odc-stac/LC08_L2SP_028030_20200114_20200824_02_T1_SR.json') as StacItem);
    expect(isScene(scene)).toBe(true);
    expect((scene as Scene).profile).toBe('generic');
    expect((scene as Scene).bands.red?.href).toMatch(/SR_B4\.TIF$/);
    expect((scene as Scene).bands.nir?.href).toMatch(/SR_B5\.TIF$/);
  });

  it('the generic profile takes an asset keyed fmask, scl or qa_pixel (any case) as the quality mask', () => {
    const usgs = json('stac/odc-stac/LC08_L2SP_028030_20200114_20200824_02_T1_SR.json') as StacItem;
    // The USGS item's own QA_PIXEL asset is found.
    expect((readItem(usgs) as Scene).mask?.kind).toBe('qa_pixel');
    const base = structuredClone(usgs);
    for (const key of Object.keys(base.assets))
      if (['fmask', 'scl', 'qa_pixel'].includes(key.toLowerCase())) delete base.assets[key];
    expect((readItem(base) as Scene).mask).toBeUndefined();
    for (const [key, kind] of [
      ['fmask', 'fmask'],
      ['SCL', 'scl'],
      ['QA_PIXEL', 'qa_pixel'],
    ] as const) {
      const item = structuredClone(base);
      item.assets[key] = { href: 'https://example.org/mask.tif', roles: ['cloud'] };
      expect((readItem(item) as Scene).mask).toMatchObject({ kind, asset: { key, scale: 1, offset: 0 } });
    }
  });

  it('says which band is missing', () => {
    const item = structuredClone(features('stac/odc-stac/site2-2020_jun_jul-35MNM.geojson')[0]!);
    delete item.assets.B08;
    expect(readItem(item)).toMatchObject({
      reason: 'planetary-computer-sentinel-2: item has no "B08" asset: changewatch needs red and NIR bands',
    });
  });
});

describe('Sentinel-1 RTC profile on the Planetary Computer items (../shared/data/stac/sentinel-1)', () => {
  const RTC = 'stac/sentinel-1/rtc-items';
  const rtcItems = () =>
    readdirSync(join(SHARED_DATA, RTC))
      .sort()
      .map((name) => json(`${RTC}/${name}`) as unknown as StacItem);

  it('reads the four VV+VH items: vv-rtc/vh-rtc, linear γ⁰, nodata -32768, UTM, signed, orbit kept', () => {
    const scenes = rtcItems().map(readItem).filter(isScene);
    expect(scenes).toHaveLength(4);
    for (const scene of scenes) {
      expect(scene).toMatchObject({
        profile: 'planetary-computer-sentinel-1-rtc',
        // These items carry no collection; the SAS token is per collection, so they are signed as sentinel-1-rtc.
        collection: 'sentinel-1-rtc',
        signing: 'planetary-computer',
        platform: 'sentinel-1a',
        epsg: 32614,
        sar: { unit: 'linear', orbitState: 'ascending', relativeOrbit: 5, polarizations: ['VV', 'VH'] },
      });
      expect(scene.bands.vv).toMatchObject({ key: 'vv-rtc', band: 0, scale: 1, offset: 0, nodata: -32768 });
      expect(scene.bands.vv!.href).toMatch(
        /^https:\/\/sentinel1euwestrtc\.blob\.core\.windows\.net\/.*iw-vv\.rtc\.tiff$/,
      );
      expect(scene.bands.vh).toMatchObject({ key: 'vh-rtc', nodata: -32768 });
      expect(Object.keys(scene.bands).sort()).toEqual(['vh', 'vv']);
      expect(scene.cloudCover).toBeUndefined();
      // These items state their extent in UTM metres where STAC wants degrees: dropped, the files' own stands.
      expect(scene.bbox).toBeUndefined();
    }
    expect(scenes[0]!.datetime).toBe('2019-12-15T00:38:49.813Z');
  });

  it('refuses the four HH+HV items, saying why', () => {
    const refused = rtcItems()
      .map(readItem)
      .filter((value) => !isScene(value));
    expect(refused).toHaveLength(4);
    for (const unusable of refused) {
      expect((unusable as { reason: string }).reason).toBe(
        'planetary-computer-sentinel-1-rtc: item has no VV or VH asset (polarisations HH+HV): changewatch reads Sentinel-1 VV/VH backscatter (HH/HV scenes are polar or ocean acquisitions)',
      );
    }
  });

  it('reads the published collection layout (keys vv/vh) the same way, and a descending pass as descending', () => {
    const item = structuredClone(rtcItems().find((candidate) => 'vv-rtc' in candidate.assets)!);
    item.collection = 'sentinel-1-rtc';
    item.assets = { vv: item.assets['vv-rtc'], vh: item.assets['vh-rtc'] };
    item.properties['sat:orbit_state'] = 'descending';
    item.bbox = [-99.1, 12.0, -96.5, 14.2];
    const scene = readItem(item) as Scene;
    expect(scene.bands.vv).toMatchObject({ key: 'vv', nodata: -32768 });
    expect(scene.sar?.orbitState).toBe('descending');
    expect(scene.collection).toBe('sentinel-1-rtc');
    expect(scene.bbox).toEqual([-99.1, 12.0, -96.5, 14.2]);
  });

  it('refuses Sentinel-1 GRD items (radar geometry), from the published collection and the ingest pipeline', () => {
    for (const name of ['s1-grd-ew.json', 's1-grd-iw.json']) {
      const unusable = readItem(json(`stac/sentinel-1/grd-items/${name}`) as unknown as StacItem);
      expect(isScene(unusable)).toBe(false);
      expect((unusable as { reason: string }).reason).toMatch(
        /^sentinel-1-grd is in radar geometry .*use sentinel-1-rtc/,
      );
    }
  });

  it('the generic profile reads bands named VV/VH with a stated unit, and refuses them without one', () => {
    const item = structuredClone(rtcItems().find((candidate) => 'vv-rtc' in candidate.assets)!);
    item.id = 'plain-export';
    item.assets = { data: structuredClone(item.assets['vv-rtc']) };
    const asset = item.assets.data as { 'raster:bands': Array<Record<string, unknown>> };
    expect(readItem(item)).toMatchObject({
      reason:
        'generic: the backscatter unit is not stated: give raster:bands "unit" "dB" or "linear" (changewatch catalog build --unit)',
    });
    asset['raster:bands'][0]!.unit = 'dB';
    const scene = readItem(item) as Scene;
    expect(scene).toMatchObject({ profile: 'generic', sar: { unit: 'db', orbitState: 'ascending' } });
    expect(scene.bands.vv).toMatchObject({ key: 'data', band: 0, nodata: -32768 });
    expect(scene.signing).toBeUndefined();
  });
});
