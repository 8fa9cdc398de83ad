import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dateFromName } from '../../pipeline/tools/catalog.build.js';
import { isScene, readItem, type Scene, type StacItem } from '../../pipeline/scenes/stac.profiles.js';
import { CLI, ROOT, SHARED_DATA } from '../helpers/paths.js';

const BUKAVU_DIR = join(SHARED_DATA, 's2-bukavu-rusizi', 'T35MPT_bukavu_drc');

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** MANIFEST.csv of the Bukavu series: valid (non-NaN) fraction per file, computed with GDAL/numpy. */
function manifest(): Map<string, number> {
  const lines = readFileSync(join(SHARED_DATA, 's2-bukavu-rusizi', 'MANIFEST.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return new Map(
    lines.map((line) => {
      const cells = line.split(',');
      return [
        cells[0]!
          .split('/')
          .pop()!
          .replace(/\.tif$/, ''),
        Number(cells[6]),
      ];
    }),
  );
}

describe('changewatch catalog build', () => {
  let dir: string;
  let build: ReturnType<typeof cli>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-catalog-'));
    build = cli([
      'catalog',
      'build',
      BUKAVU_DIR,
      '--out',
      join(dir, 'catalog.json'),
      '--bands',
      'red,nir',
      '--scale',
      '0.0001',
    ]);
  }, 120_000);

  it('catalogues every file of the Bukavu series', () => {
    expect(build.stderr).not.toMatch(/: skipped: /);
    expect(build.code).toBe(0);
    expect(build.stdout).toContain('catalog.json: 23 item(s)');
    const catalog = JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')) as {
      type: string;
      id: string;
      links: Array<{ rel: string }>;
    };
    expect(catalog.type).toBe('Collection');
    expect(catalog.links.filter((link) => link.rel === 'item')).toHaveLength(23);
    expect(readdirSync(join(dir, 'items'))).toHaveLength(23);
  });

  it('derives eo:cloud_cover from the NaN share, agreeing with the GDAL/numpy manifest', () => {
    const expected = manifest();
    let compared = 0;
    for (const name of readdirSync(join(dir, 'items'))) {
      const item = JSON.parse(readFileSync(join(dir, 'items', name), 'utf8')) as {
        id: string;
        properties: Record<string, number>;
      };
      const valid = expected.get(item.id);
      expect(valid, item.id).toBeDefined();
      // The manifest rounds to 3 decimals.
      expect(Math.abs(item.properties['eo:cloud_cover']! - (1 - valid!) * 100)).toBeLessThanOrEqual(0.05 + 1e-9);
      compared++;
    }
    expect(compared).toBe(23);
  });

  it('reads footprint, projection, date and bands from the files', () => {
    const item = JSON.parse(
      readFileSync(join(dir, 'items', '20210825T080611_20210825T082711_T35MPT.json'), 'utf8'),
    ) as {
      bbox: number[];
      properties: Record<string, unknown>;
      assets: { data: { href: string; 'eo:bands': unknown[]; 'raster:bands': unknown[] } };
    };
    expect(item.properties.datetime).toBe('2021-08-25T08:06:11.000Z');
    expect(item.properties['proj:epsg']).toBe(32735);
    expect(item.properties['proj:shape']).toEqual([1121, 835]);
    // The projection extension's affine order; gdalinfo's geotransform is [701410, 10, 0, 9730510, 0, -10].
    expect(item.properties['proj:transform']).toEqual([10, 0, 701410, 0, -10, 9730510]);
    // gdalinfo corner coordinates: 28°48'40.84"E … 28°53'11.61"E, 2°26'12.54"S … 2°32'17.84"S.
    expect(item.bbox[0]).toBeCloseTo(28.81134, 4);
    expect(item.bbox[2]).toBeCloseTo(28.88656, 4);
    expect(item.bbox[1]).toBeCloseTo(-2.53829, 4);
    expect(item.bbox[3]).toBeCloseTo(-2.43682, 4);
    expect(item.assets.data['eo:bands']).toEqual([
      { name: 'B4', common_name: 'red' },
      { name: 'B8', common_name: 'nir' },
    ]);
    expect(item.assets.data['raster:bands'][0]).toMatchObject({
      data_type: 'float32',
      scale: 0.0001,
      offset: 0,
      nodata: 'nan',
    });
  });

  it('is a catalog `changewatch scenes` can search, with cloudy dates reported, not hidden', () => {
    const result = cli([
      'scenes',
      '--aoi',
      'bukavu-demo',
      '--from',
      '2021-08-01',
      '--to',
      '2021-08-31',
      '--stac',
      join(dir, 'catalog.json'),
      '--json',
    ]);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as {
      scenes: Array<{ id: string; bands: Record<string, { band: number; key: string }> }>;
      skipped: Array<{ id: string; reason: string }>;
    };
    expect(parsed.scenes.map((scene) => scene.id.slice(0, 8))).toEqual(['20210805', '20210825', '20210830']);
    expect(parsed.scenes[0]!.bands.nir).toMatchObject({ key: 'data', band: 1 });
    expect(parsed.skipped.map((skip) => skip.id.slice(0, 8))).toEqual(['20210810', '20210815', '20210820']);
    expect(parsed.skipped[0]!.reason).toMatch(/^cloud cover \d+\.\d% is over the limit of 60%$/);
  });

  it('reads the AOI pixels of each scene with --read: one request per file after its header, valid share reported', () => {
    const result = cli([
      'scenes',
      '--aoi',
      'bukavu-demo',
      '--from',
      '2021-08-25',
      '--to',
      '2021-08-25',
      '--stac',
      join(dir, 'catalog.json'),
      '--read',
    ]);
    expect(result.code).toBe(0);
    const row = result.stdout.split('\n').find((line) => line.startsWith('2021-08-25'))!;
    const [valid, requests, bytes] = row.trim().split(/\s+/).slice(-3).map(Number);
    // 2021-08-25 is 98 % valid over the whole file (MANIFEST); the AOI is mostly land, and red+NIR come in one read.
    expect(valid).toBeGreaterThan(95);
    expect(requests).toBe(1);
    expect(bytes).toBeLessThan(3_800_000);
    expect(result.stderr).toMatch(/"msg":"Scene:Read:Done"/);
    expect(result.stderr).toMatch(/"requests":\d+,"bytes":\d+,"msg":"Scenes:Read:Done"/);
  });

  it('refuses a band list that does not fit the files, and unknown band names', () => {
    const wrong = cli(['catalog', 'build', BUKAVU_DIR, '--out', join(dir, 'x.json'), '--bands', 'red']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('has 2 band(s) but --bands names 1');
    const unknown = cli(['catalog', 'build', BUKAVU_DIR, '--out', join(dir, 'y.json'), '--bands', 'red,nir2']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--bands: unknown band "nir2"');
  });
});

describe('catalog build over a file whose GeoKeys say EPSG:4326 but whose coordinates are UTM metres', () => {
  it('refuses that file, saying what is wrong and what to do, and catalogues the others', () => {
    const folder = mkdtempSync(join(tmpdir(), 'cw-catalog-crs-'));
    const good = ['20210825T080611_20210825T082711_T35MPT.tif', '20210830T080609_20210830T082514_T35MPT.tif'];
    for (const name of good) symlinkSync(join(BUKAVU_DIR, name), join(folder, name));
    const bad = join(folder, '20210904T080611_20210904T081237_T35MPT.tif');
    execFileSync('gdal_translate', [
      '-q',
      '-a_srs',
      'EPSG:4326',
      join(BUKAVU_DIR, '20210904T080611_20210904T081237_T35MPT.tif'),
      bad,
    ]);
    const out = mkdtempSync(join(tmpdir(), 'cw-catalog-crs-out-'));
    const result = cli(['catalog', 'build', folder, '--out', join(out, 'catalog.json'), '--bands', 'red,nir']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `${bad}: skipped: coordinates [701410, 9719300, 709760, 9730510] are out of range for EPSG:4326 (longitude -180..180, latitude -90..90): they look like projected metres, not degrees; set the file's CRS (gdal_edit.py -a_srs EPSG:<code>) or export it again with its CRS`,
    );
    expect(result.stdout).toContain('2 item(s), 1 file(s) skipped');
    expect(readdirSync(join(out, 'items')).sort()).toEqual(good.map((name) => name.replace(/\.tif$/, '.json')));
    const collection = JSON.parse(readFileSync(join(out, 'catalog.json'), 'utf8')) as {
      extent: { spatial: { bbox: number[][] } };
    };
    const [west, south, east, north] = collection.extent.spatial.bbox[0]!;
    expect([west, east].every((lon) => lon! > 28 && lon! < 29)).toBe(true);
    expect([south, north].every((lat) => lat! > -3 && lat! < -2)).toBe(true);
  });
});

describe('catalog build of radar backscatter (the bayts Sentinel-1 VV stack, dB)', () => {
  const VV_DIR = join(SHARED_DATA, 's1-bolivia-bayts', 's1vv_tseries');

  it('writes items the generic profile reads as VV scenes in dB, with the no-data share and no cloud cover', () => {
    const out = mkdtempSync(join(tmpdir(), 'cw-catalog-vv-'));
    const result = cli([
      'catalog',
      'build',
      VV_DIR,
      '--out',
      join(out, 'catalog.json'),
      '--bands',
      'vv',
      '--unit',
      'db',
    ]);
    expect(result.stderr).not.toMatch(/: skipped: /);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('22 item(s)');
    const items = readdirSync(join(out, 'items'))
      .sort()
      .map((name) => JSON.parse(readFileSync(join(out, 'items', name), 'utf8')) as StacItem);
    const scenes = items.map(readItem).filter(isScene);
    expect(scenes).toHaveLength(22);
    for (const scene of scenes) {
      expect(scene).toMatchObject({ profile: 'generic', epsg: 32720, sar: { unit: 'db' } });
      expect(scene.bands.vv).toMatchObject({ key: 'data', band: 0, scale: 1, offset: 0 });
      expect(Object.keys(scene.bands)).toEqual(['vv']);
      expect(scene.cloudCover).toBeUndefined();
    }
    expect(scenes.map((scene: Scene) => scene.datetime.slice(0, 10))[0]).toBe('2015-12-30');
    // The nodata is -3.4e+38 in Float32: 5,302 of 10,000 px outside the forest mask, 100 % on the five empty dates.
    const nodata = items.map((item) => item.properties['changewatch:nodata_percent']);
    expect(nodata.filter((share) => share === 53.02)).toHaveLength(17);
    expect(nodata.filter((share) => share === 100)).toHaveLength(5);
    const asset = items[0]!.assets.data as Record<string, unknown>;
    expect(asset['eo:bands']).toEqual([{ name: 'VV' }]);
    expect(asset['raster:bands']).toMatchObject([{ data_type: 'float32', unit: 'dB' }]);
  });

  it('refuses radar bands without a unit, a unit for optical bands, a mix of both, and an unknown unit', () => {
    const out = mkdtempSync(join(tmpdir(), 'cw-catalog-vv-bad-'));
    const cases: Array<[string[], string]> = [
      [['--bands', 'vv'], '--bands vv: radar bands need --unit db or --unit linear'],
      [['--bands', 'red', '--unit', 'db'], '--unit db: only radar bands (vv, vh) have a unit'],
      [['--bands', 'vv,red', '--unit', 'db'], '--bands: vv,red mixes radar and optical bands: catalogue them apart'],
      [['--bands', 'vv', '--unit', 'natural'], '--unit: "natural" is not a backscatter unit: use db or linear'],
    ];
    for (const [args, message] of cases) {
      const result = cli(['catalog', 'build', VV_DIR, '--out', join(out, 'catalog.json'), ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
  });
});

describe('dateFromName', () => {
  it.each([
    ['20210601T080609_20210601T082518_T35MPT.tif', '2021-06-01T08:06:09.000Z'],
    ['20210611_T35MPT_nir.cog.tif', '2021-06-11T00:00:00.000Z'],
    ['LC08_L2SP_001062_20201031_20201106_02_T2_SR_B4.TIF', '2020-10-31T00:00:00.000Z'],
    ['bukavu_2021-08-25.tif', '2021-08-25T00:00:00.000Z'],
    ['LandCover_35MPT.tif', undefined],
    ['scene_20211345.tif', undefined],
  ])('%s → %s', (name, expected) => {
    expect(dateFromName(name)).toBe(expected);
  });
});
