import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromCrs, utmEpsgFor } from '../../aoi/aoi.project.js';
import { parseAoi } from '../../aoi/aoi.parse.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { StaticCatalog } from '../../pipeline/io/stac.client.js';
import { createRasterOpener, type RasterOpener } from '../../pipeline/scenes/raster.opener.js';
import { readSceneForAoi } from '../../pipeline/scenes/scene.read.js';
import { isScene, readItem, type Scene, type StacItem } from '../../pipeline/scenes/stac.profiles.js';
import { buildBukavuCatalog } from '../helpers/bukavu.js';
import { gdalWindow } from '../helpers/gdal.js';
import { ROOT, SHARED_DATA } from '../helpers/paths.js';
import { startRangeServer, type RangeServer } from '../helpers/range.server.js';

const aoiFile = (name: string): Aoi =>
  parseAoi(readFileSync(join(ROOT, 'aoi', name), 'utf8'), name, { maxAreaKm2: 10_000 }).aoi!;

let opener: RasterOpener;
let server: RangeServer;
beforeAll(async () => {
  opener = createRasterOpener({});
  server = await startRangeServer(SHARED_DATA);
});
afterAll(async () => {
  await opener.close();
  await server.close();
});

describe('readSceneForAoi', () => {
  it('reads the bukavu-demo window of a catalogued multi-band export, equal to GDAL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-read-'));
    const catalog = await buildBukavuCatalog(dir);
    const aoi = aoiFile('bukavu-demo.geojson');
    const items: StacItem[] = [];
    for await (const item of new StaticCatalog(catalog.catalog).find({
      intersects: aoi.geometry,
      bbox: aoi.bbox,
      start: '2021-08-25T00:00:00Z',
      end: '2021-08-26T00:00:00Z',
      collections: [],
    })) {
      items.push(item);
    }
    expect(items).toHaveLength(1);
    const scene = readItem(items[0]!) as Scene;
    const read = await readSceneForAoi(scene, aoi, { bands: ['red', 'nir'], mask: false, open: opener.open });
    expect(read).toBeDefined();
    const red = read!.bands.red!;
    // The AOI was drawn on pixel corners (20,20)…(810,1100) of this grid, rounded to 1e-6° (0.1 m): the window
    // is those pixels, plus at most the one pixel a rounded corner reaches into.
    const { x0, y0, x1, y1 } = red.window;
    expect([x0, y0]).toEqual([
      expect.toSatisfy((v: number) => v === 19 || v === 20),
      expect.toSatisfy((v: number) => v === 19 || v === 20),
    ]);
    expect([x1, y1]).toEqual([
      expect.toSatisfy((v: number) => v === 810 || v === 811),
      expect.toSatisfy((v: number) => v === 1100 || v === 1101),
    ]);
    expect(red.transform).toEqual([701_410 + x0 * 10, 10, 0, 9_730_510 - y0 * 10, 0, -10]);
    expect(red.epsg).toBe(32735);
    expect(red.scale).toBe(1e-4);
    const peer = gdalWindow(join(SHARED_DATA, 's2-bukavu-rusizi', 'T35MPT_bukavu_drc', `${scene.id}.tif`), red.window, {
      bytesPerSample: 4,
    });
    expect(Buffer.from(red.data.buffer).equals(Buffer.from(peer[0]!))).toBe(true);
    expect(Buffer.from(read!.bands.nir!.data.buffer).equals(Buffer.from(peer[1]!))).toBe(true);
  });

  it('reads a scene from the neighbouring UTM zone (the AOI is in 35S, the scene was warped to 36S)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-zone-'));
    const warped = join(dir, '20210825_zone36.tif');
    execFileSync('gdalwarp', [
      '-q',
      '-t_srs',
      'EPSG:32736',
      '-tr',
      '10',
      '10',
      '-r',
      'near',
      '-co',
      'TILED=YES',
      '-co',
      'COMPRESS=DEFLATE',
      join(SHARED_DATA, 's2-bukavu-rusizi', 'derived_cog_pair', '20210825_T35MPT_red.cog.tif'),
      warped,
    ]);
    const aoi = parseAoi(
      JSON.stringify({
        type: 'Feature',
        properties: { id: 'zone-test', name: 'Zone test', kind: 'custom', analyses: ['forest-loss'] },
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [28.84, -2.5],
              [28.86, -2.5],
              [28.86, -2.48],
              [28.84, -2.48],
              [28.84, -2.5],
            ],
          ],
        },
      }),
      'zone.geojson',
      { maxAreaKm2: 10_000 },
    ).aoi!;
    expect(utmEpsgFor(28.85, -2.49)).toBe(32735);
    const scene: Scene = {
      id: 'warped',
      collection: 'local',
      profile: 'test',
      datetime: '2021-08-25T08:06:11.000Z',
      bands: { red: { key: 'red', href: warped, band: 0, scale: 1e-4, offset: 0 } },
    };
    const read = await readSceneForAoi(scene, aoi, { bands: ['red'], mask: false, open: opener.open });
    const red = read!.bands.red!;
    expect(red.epsg).toBe(32736);
    // The window's corners, back in lon/lat, enclose the AOI by less than two pixels (10 m ≈ 0.00009°).
    const inverse = fromCrs(32736);
    const [x0, dx, , y0, , dy] = red.transform;
    const corners = [inverse([x0, y0]), inverse([x0 + red.width * dx, y0 + red.height * dy])];
    expect(Math.min(corners[0]![0], corners[1]![0])).toBeLessThanOrEqual(28.84);
    expect(Math.min(corners[0]![0], corners[1]![0])).toBeGreaterThan(28.84 - 0.0003);
    expect(Math.max(corners[0]![1], corners[1]![1])).toBeGreaterThanOrEqual(-2.48);
    expect(Math.max(corners[0]![1], corners[1]![1])).toBeLessThan(-2.48 + 0.0003);
    const peer = gdalWindow(warped, red.window, { bytesPerSample: 4 });
    expect(Buffer.from(red.data.buffer).equals(Buffer.from(peer[0]!))).toBe(true);
  });

  it('reads the red band and SCL of a real L2A item over HTTP, at the overview matching a coarser resolution', async () => {
    const item = JSON.parse(
      readFileSync(join(SHARED_DATA, 's2l2a-morocco', 'S2A_29RKH_20200219_0_L2A.json'), 'utf8'),
    ) as StacItem;
    // Point the item's assets at the loopback copy of the same files (the downsampled sample).
    item.assets.red!.href = `${server.url}/s2l2a-morocco/B04.tif`;
    item.assets.nir!.href = `${server.url}/s2l2a-morocco/B08.tif`;
    item.assets.scl!.href = `${server.url}/s2l2a-morocco/SCL.tif`;
    const scene = readItem(item);
    expect(isScene(scene)).toBe(true);
    const aoi = parseAoi(
      JSON.stringify({
        type: 'Feature',
        properties: { id: 'morocco', name: 'Morocco', kind: 'custom', analyses: ['forest-loss'] },
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [-11.5, 24.6],
              [-11.2, 24.6],
              [-11.2, 24.9],
              [-11.5, 24.9],
              [-11.5, 24.6],
            ],
          ],
        },
      }),
      'm.geojson',
      { maxAreaKm2: 10_000 },
    ).aoi!;
    const own = createRasterOpener({});
    const read = await readSceneForAoi(scene as Scene, aoi, {
      bands: ['red'],
      mask: true,
      resolution: 200,
      open: own.open,
    });
    expect(read!.bands.red!.level).toBe(1);
    expect(read!.bands.red!.transform[1]).toBe(200);
    expect(read!.mask!.level).toBe(0);
    expect(read!.mask!.transform[1]).toBe(200);
    expect(read!.mask!.width).toBe(read!.bands.red!.width);
    // Two rasters, each its header plus the tiles of the window: far less than the 2.4 MB + 8 KB files.
    const stats = own.stats();
    expect(stats.requests).toBeLessThanOrEqual(6);
    expect(stats.bytes).toBeLessThan(1_500_000);
    await own.close();
  });
});
