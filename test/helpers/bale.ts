import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fromCrs } from '../../aoi/aoi.project.js';
import { parseAoi } from '../../aoi/aoi.parse.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { footprint } from '../../pipeline/tools/catalog.build.js';
import { compose } from '../../pipeline/compose.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { FileByteSource } from '../../pipeline/io/byte.source.file.js';
import { createLogger } from '../../pipeline/log.js';
import { runAll } from '../../pipeline/run/run.js';
import { RasterReader } from '../../pipeline/io/cog.reader.js';
import { writeItemCatalog } from './item.catalog.js';
import { ROOT, SHARED_DATA } from './paths.js';

/**
 * The real Landsat 5 TM pair over the Bale Mountains, Ethiopia (../shared/data/landsat-l1-pairs/bale_167055):
 * Level-1 digital numbers of 2000-03-09 (Collection 1) and 2010-12-18 (pre-collection) on one 101×101 grid, with
 * their MTL files. Its static catalog: one item per date with blue (B1), green (B2), red (B3), NIR (B4), SWIR1 (B5) and SWIR2 (B7) as
 * assets whose `scale`/`offset` turn DN into top-of-atmosphere reflectance, the way a researcher would describe
 * such a pair. The bands are what matters here: this is the only multi-date real data with blue, green, SWIR1 and
 * SWIR2 (blue and green make the dossiers' true-colour scene chips).
 *
 * TOA reflectance ρ = (M·DN + A) / sin(sun elevation) with the MTL's REFLECTANCE_MULT/ADD (USGS, Landsat 7/5
 * Data Users Handbook, "Conversion to TOA reflectance"); the pre-collection MTL gives radiance only, so
 * ρ = π·L·d² / (ESUN·sin θ) with L = M_L·DN + A_L, TM ESUN from Chander, Markham & Helder 2009 (Table 11) and the
 * Earth-Sun distance d from the day of the year (1 − 0.01672·cos(0.9856°·(doy − 4))).
 */
export const BALE_PAIR = join(SHARED_DATA, 'landsat-l1-pairs', 'bale_167055');

const SCENES = ['LT05_L1TP_167055_20000309_20161214_01_T1', 'LT51670552010352MLK00'];
const BANDS = [
  { band: 1, key: 'blue' },
  { band: 2, key: 'green' },
  { band: 3, key: 'red' },
  { band: 4, key: 'nir' },
  { band: 5, key: 'swir16' },
  { band: 7, key: 'swir22' },
] as const;
/** TM exoatmospheric irradiance, W/(m²·µm) (Chander et al. 2009, Table 11). */
const TM_ESUN: Record<number, number> = { 1: 1983, 2: 1796, 3: 1536, 4: 1031, 5: 220, 7: 83.44 };

function mtlValue(mtl: string, name: string): string | undefined {
  return new RegExp(`^\\s*${name} = "?([^"\\n]+)"?\\s*$`, 'm').exec(mtl)?.[1]?.trim();
}

export async function buildBaleCatalog(dir: string): Promise<{ catalog: string; items: number }> {
  const itemsDir = join(dir, 'items');
  const items: Array<{ id: string; bbox: number[] } & Record<string, unknown>> = [];
  for (const id of SCENES) {
    const mtl = (await readFile(join(BALE_PAIR, `${id}_MTL.txt`))).toString('latin1');
    const date = mtlValue(mtl, 'DATE_ACQUIRED')!;
    const sine = Math.sin((Number(mtlValue(mtl, 'SUN_ELEVATION')) * Math.PI) / 180);
    const dayOfYear = (Date.parse(`${date}T00:00:00Z`) - Date.UTC(Number(date.slice(0, 4)), 0, 1)) / 86_400_000 + 1;
    const distance = 1 - 0.01672 * Math.cos((0.9856 * (dayOfYear - 4) * Math.PI) / 180);
    const suffix = id.startsWith('LT05_') ? 'TIF' : 'tif';
    const file = (band: number) => join(BALE_PAIR, `${id}_B${band}.${suffix}`);
    const reader = await RasterReader.open(new FileByteSource(file(3)));
    const shape = footprint(reader.info);
    const radiometry = (band: number) => {
      const mult = mtlValue(mtl, `REFLECTANCE_MULT_BAND_${band}`);
      if (mult !== undefined) {
        return { scale: Number(mult) / sine, offset: Number(mtlValue(mtl, `REFLECTANCE_ADD_BAND_${band}`)) / sine };
      }
      const factor = (Math.PI * distance * distance) / (TM_ESUN[band]! * sine);
      return {
        scale: Number(mtlValue(mtl, `RADIANCE_MULT_BAND_${band}`)) * factor,
        offset: Number(mtlValue(mtl, `RADIANCE_ADD_BAND_${band}`)) * factor,
      };
    };
    const item = {
      type: 'Feature',
      stac_version: '1.1.0',
      id,
      collection: 'landsat-bale-toa',
      geometry: shape.geometry,
      bbox: shape.bbox,
      properties: {
        datetime: `${date}T07:00:00Z`,
        platform: 'landsat-5',
        'eo:cloud_cover': 0,
        'proj:code': `EPSG:${reader.info.epsg}`,
      },
      links: [{ rel: 'self', href: `${id}.json`, type: 'application/geo+json' }],
      assets: Object.fromEntries(
        BANDS.map(({ band, key }) => [
          key,
          {
            href: relative(itemsDir, file(band)),
            type: 'image/tiff; application=geotiff',
            roles: ['data', 'reflectance'],
            bands: [{ name: `B${band}`, 'eo:common_name': key, ...radiometry(band), nodata: 255 }],
          },
        ]),
      ),
    };
    items.push(item);
  }
  return writeItemCatalog(
    dir,
    {
      id: 'landsat-bale-toa',
      description: 'Landsat 5 TM Level-1 pair, Bale Mountains (r-cran-satellite test data), TOA reflectance',
      interval: ['2000-03-09T00:00:00Z', '2010-12-19T00:00:00Z'],
    },
    items,
  );
}

/** The pair's windows: March 2000 against December 2010. */
const BALE_WINDOWS = { baseline: '2000-03-01/2000-03-31', monitoring: '2010-12-01/2010-12-31' };

/**
 * A test AOI on the pair's grid (UTM 37N, 30 m): the pixel corners of columns and rows 2..97 of the 101 × 101 files,
 * with the pair's windows (March 2000 against December 2010).
 */
export function baleAoi(input: { id: string; name: string; analyses: string[] }): Aoi {
  const toLonLat = fromCrs(32637);
  const ring = [
    [2, 2],
    [2, 98],
    [98, 98],
    [98, 2],
    [2, 2],
  ].map(([c, r]) => toLonLat([589_035 + c! * 30, 756_165 - r! * 30]).map((v) => Number(v!.toFixed(7))));
  return parseAoi(
    JSON.stringify({
      type: 'Feature',
      properties: {
        ...input,
        kind: 'custom',
        windows: BALE_WINDOWS,
      },
      geometry: { type: 'Polygon', coordinates: [ring] },
    }),
    `${input.id}.geojson`,
    { maxAreaKm2: 10_000 },
  ).aoi!;
}

/**
 * A whole `changewatch run` of the pair, as the nightly job does it: its static catalog, the AOI on the pair's grid
 * and a folder store, all in a temporary folder. Returns the config file (for CLI commands on the same store), the
 * store folder and the run id.
 */
export async function runBalePair(input: {
  id: string;
  name: string;
  analyses?: string[];
}): Promise<{ config: string; store: string; items: string; runId: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-bale-run-'));
  const { catalog } = await buildBaleCatalog(join(dir, 'catalog'));
  const aoi = baleAoi({ id: input.id, name: input.name, analyses: input.analyses ?? ['forest-loss'] });
  mkdirSync(join(dir, 'aoi'));
  const properties = { id: input.id, name: input.name, kind: 'custom', analyses: aoi.analyses, windows: BALE_WINDOWS };
  writeFileSync(
    join(dir, 'aoi', `${input.id}.geojson`),
    JSON.stringify({ type: 'Feature', properties, geometry: aoi.geometry }),
  );
  const store = join(dir, 'store');
  const config = join(dir, 'changewatch.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      stac: { url: catalog, collections: ['landsat-bale-toa'] },
      store: { url: `file://${store}` },
      aoi: { dir: join(dir, 'aoi') },
      log: { level: 'warn' },
      schedule: { heartbeatFile: join(dir, 'heartbeat.json') },
    }),
  );
  const poolEntry = join(ROOT, 'dist', 'workers', 'pool.entry.js');
  const report = await runAll(compose(loadConfig({ config }, {}, ROOT).config, createLogger('silent'), { poolEntry }));
  const outcomes = report.aois.map((entry) => entry.outcome);
  if (outcomes.join() !== 'ok') throw new Error(`the Bale run ended ${outcomes.join()}`);
  return { config, store, items: join(dir, 'catalog', 'items'), runId: report.runId };
}
