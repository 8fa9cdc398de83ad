import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datesForBlock, type PeriodReads } from '../../pipeline/analysis/block.read.js';
import { StaticCatalog } from '../../pipeline/io/stac.client.js';
import { createRasterOpener } from '../../pipeline/scenes/raster.opener.js';
import { selectScenes } from '../../pipeline/scenes/scene.select.js';
import { isScene, readItem, type Scene } from '../../pipeline/scenes/stac.profiles.js';
import { buildCatalog } from '../../pipeline/tools/catalog.build.js';
import { DEFAULT_CLOUD_CLEANUP, type DateBlock } from '../../workers/change.block.js';
import { BOLIVIA, readBoliviaSeries, type BoliviaSeries } from '../helpers/bolivia.js';

/**
 * Radar dates through changewatch's own input path: the bayts VV GeoTIFFs (dB, Float32, nodata -3.4e+38) made a
 * static catalog by `catalog build --bands vv --unit db`, found by the static-catalog finder, read by the generic
 * profile as VV scenes, selected, and read over a block by the run's block reader (datesForBlock). The values on
 * the grid must be the files' (read by the test helper), nodata as NaN.
 */
let dir: string;
let vv: BoliviaSeries;
let dates: DateBlock[];
let scenes: Scene[];
const reads: PeriodReads = { used: new Set(), dated: new Set(), skipped: new Map() };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cw-radar-read-'));
  const { catalog } = await buildCatalog({
    dir: join(BOLIVIA, 's1vv_tseries'),
    out: join(dir, 'catalog.json'),
    bands: ['vv'],
    unit: 'db',
    scale: 1,
    offset: 0,
    nodataIsCloud: true,
  });
  vv = await readBoliviaSeries('s1vv_tseries');
  const { epsg, width, height, transform } = vv.info;
  const query = {
    intersects: { type: 'Polygon', coordinates: [] },
    bbox: [-62.11, -18.09, -62.07, -18.05] as const,
    start: '2015-12-01T00:00:00Z',
    end: '2016-06-01T00:00:00Z',
    collections: [],
  };
  for await (const item of new StaticCatalog(catalog).find(query)) {
    const scene = readItem(item);
    if (isScene(scene)) (scenes ??= []).push(scene);
  }
  const { observations } = selectScenes(scenes, { maxCloudCover: 10, collections: [] });
  const opener = createRasterOpener({});
  const grid = { epsg: epsg!, width, height, transform };
  dates = await datesForBlock(observations, grid, opener, DEFAULT_CLOUD_CLEANUP, ['vv'] as never, reads);
  await opener.close();
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('radar dates through the run’s reader', () => {
  it('finds every VV date as a dB scene, none held back by the cloud limit', () => {
    expect(scenes).toHaveLength(22);
    expect(scenes.every((scene) => scene.sar?.unit === 'db' && scene.bands.vv)).toBe(true);
    expect(dates).toHaveLength(22);
    expect(reads.skipped.size).toBe(0);
  });

  it('brings each date onto the grid with the files’ values, and their -3.4e+38 nodata as NaN', () => {
    let compared = 0;
    dates.forEach((date, k) => {
      const expected = vv.images[k]!.values;
      const got = date.bands.vv!;
      expect(date.day * 86_400_000).toBe(Date.parse(`${vv.images[k]!.date}T00:00:00Z`));
      for (let i = 0; i < expected.length; i++) {
        if (Number.isNaN(expected[i]!)) expect(got[i]).toBeNaN();
        else expect(Math.abs(got[i]! - expected[i]!)).toBeLessThan(1e-4);
        compared++;
      }
    });
    expect(compared).toBe(22 * 10_000);
  });
});
