import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { StaticCatalog } from '../../pipeline/io/stac.client.js';
import { siteChips, type SceneChipPlan } from '../../pipeline/outputs/dossier.chips.js';
import { assetKeyOf, itemKey } from '../../pipeline/outputs/layout.js';
import { fromCrs } from '../../aoi/aoi.project.js';
import type { AreaGeometry } from '../../aoi/geometry.js';
import { seriesSources } from '../../pipeline/outputs/dossier.series.js';
import { planPeriod } from '../../pipeline/run/period.plan.js';
import { computeAndPublish } from '../../pipeline/run/period.run.js';
import { createRasterOpener, type RasterOpener } from '../../pipeline/scenes/raster.opener.js';
import { findWindowScenes } from '../../pipeline/scenes/scenes.find.js';
import { publishedRasters } from '../../pipeline/scenes/store.raster.js';
import { baleAoi, buildBaleCatalog } from '../helpers/bale.js';
import { ROOT } from '../helpers/paths.js';

/**
 * True-colour scene chips on real scenes that carry blue, green and red: the Landsat 5 TM pair over the Bale
 * Mountains (2000-03-09, 2010-12-18; B1–B3 as TOA reflectance). No product finds a dated site on this dry pair (forest
 * loss finds no forest in March 2000), so the chips of a site drawn on its grid are asked for directly, as the dossier
 * step asks for them around a site's first detection: the 2000 scene before it and the 2010 scene of it, read again
 * through the run's reader around the site, each in true colour, saying so on the chip, georeferenced for GDAL.
 */
const { config } = loadConfig({}, {}, ROOT);
let catalog: string;
let opener: RasterOpener;
let aoi: Aoi;

beforeAll(async () => {
  ({ catalog } = await buildBaleCatalog(mkdtempSync(join(tmpdir(), 'cw-bale-'))));
  aoi = baleAoi({ id: 'bale-dossier', name: 'Bale Mountains pair (dossier test)', analyses: ['forest-loss'] });
  opener = createRasterOpener({});
}, 60_000);

/** Pixels columns [x0, x1) × rows [y0, y1) of the pair's 30 m grid (UTM 37N) as a lon/lat polygon. */
function box(x0: number, y0: number, x1: number, y1: number): AreaGeometry {
  const toLonLat = fromCrs(32637);
  const corner = (x: number, y: number) => toLonLat([589_035 + x * 30, 756_165 - y * 30]) as [number, number];
  return {
    type: 'Polygon',
    coordinates: [[corner(x0, y0), corner(x0, y1), corner(x1, y1), corner(x1, y0), corner(x0, y0)]],
  };
}

describe('dossier scene chips on the Landsat 5 Bale pair', () => {
  it('are true colour, before and at the first detection, said on the chip', async () => {
    const finder = new StaticCatalog(catalog);
    const found = await findWindowScenes(finder, aoi, config);
    const periods = {
      baseline: { window: aoi.windows.baseline!, search: found.baseline },
      monitoring: { window: aoi.windows.monitoring!, search: found.monitoring },
    };
    const folder = mkdtempSync(join(tmpdir(), 'cw-bale-dossier-'));
    const store = new FileObjectStore(folder);
    const { item, summary } = await computeAndPublish(planPeriod(aoi, periods, config), {
      opener,
      store,
      siteRules: config.sites,
    });
    const key = itemKey(aoi.id, item.id);
    const assetKeys = Object.fromEntries(
      Object.keys(item.assets).map((name) => [name, assetKeyOf(key, item.assets[name]!.href)]),
    );
    const series = await seriesSources({ finder, config, aoi, opener })(summary);
    if (!('source' in series)) throw new Error(series.missing);
    const [before, after] = series.source.observations;
    const plans: SceneChipPlan[] = [
      { role: 'before', observation: before!.observation, firstSeen: '2010-12-18', clearShare: 1 },
      { role: 'after', observation: after!.observation, firstSeen: '2010-12-18', clearShare: 1 },
    ];
    const chips = await siteChips({
      siteId: 'bale-dossier-forest-loss-000001',
      product: 'forest-loss',
      geometry: box(40, 40, 52, 50),
      summary,
      assetKeys,
      rasters: publishedRasters(opener, store.url),
      scenes: { plans, opener, cloud: config.analysis.cloud },
    });
    const scenes = chips.map((chip) => chip.record).filter((record) => record.layer.startsWith('scene-'));
    expect(scenes.map((record) => [record.layer, record.window, record.scenes])).toEqual([
      ['scene-before', '2000-03-09', ['LT05_L1TP_167055_20000309_20161214_01_T1']],
      ['scene-after', '2010-12-18', ['LT51670552010352MLK00']],
    ]);
    const work = mkdtempSync(join(tmpdir(), 'cw-bale-chips-'));
    for (const chip of chips.filter((entry) => entry.record.layer.startsWith('scene-'))) {
      const { record } = chip;
      expect(record.title).toMatch(/^True colour, scene of \d{4}-\d{2}-\d{2}: /);
      expect(record.caption.join(' ')).toContain('True colour: red, green and blue reflectance');
      const file = join(work, record.file);
      writeFileSync(file, chip.png);
      writeFileSync(`${file}.aux.xml`, chip.aux);
      const meta = await sharp(file).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', record.width, record.height]);
      const gdal = JSON.parse(execFileSync('gdalinfo', ['-json', file], { encoding: 'utf8' })) as {
        coordinateSystem: { wkt: string };
        metadata: { '': Record<string, string> };
      };
      expect(gdal.coordinateSystem.wkt).toContain('ID["EPSG",32637]');
      expect(gdal.metadata['']['Title']).toBe(record.title);
      // The map is in colour: its red, green and blue differ (an NDVI ramp is green to yellow, never grey-blue).
      const { map } = record;
      const { data, info } = await sharp(file)
        .extract({ left: map.x, top: map.y, width: map.width, height: map.height })
        .raw()
        .toBuffer({ resolveWithObject: true });
      let bluish = 0;
      for (let i = 0; i < data.length; i += info.channels) if (data[i + 2]! > data[i + 1]!) bluish++;
      console.log(
        `${record.file}: ${((100 * bluish) / (info.width * info.height)).toFixed(1)} % of map pixels bluer than green`,
      );
      expect(bluish).toBeGreaterThan(0);
    }
  }, 120_000);
});
