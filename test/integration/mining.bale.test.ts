import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { runAnalysis } from '../../pipeline/analysis/analysis.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { StaticCatalog } from '../../pipeline/io/stac.client.js';
import { assetKeyOf, itemKey } from '../../pipeline/outputs/layout.js';
import { computeAndPublish } from '../../pipeline/run/period.run.js';
import { verifyItem } from '../../pipeline/publish/publish.js';
import { createRasterOpener, type RasterOpener } from '../../pipeline/scenes/raster.opener.js';
import { findWindowScenes, type SceneSearch } from '../../pipeline/scenes/scenes.find.js';
import {
  MINING_CLASSES as M,
  miningExpansion as miningProduct,
  type MiningParameters,
} from '../../workers/products/mining.expansion.js';
import { miningExpansion } from '../helpers/oracles.js';
import { selectProducts } from '../../pipeline/analysis/products.select.js';
import { planPeriod } from '../../pipeline/run/period.plan.js';
import { baleAoi, buildBaleCatalog } from '../helpers/bale.js';
import { gdalClassCounts } from '../helpers/gdal.js';
import { ROOT } from '../helpers/paths.js';
import { WholeGridSink } from '../helpers/whole.sink.js';

/**
 * Mining expansion through the whole pipeline on the only real multi-date scenes with green and SWIR: the Landsat 5
 * pair over the Bale Mountains (2000-03-09, 2010-12-18), as TOA reflectance. There is no mine there, and with the
 * default thresholds the run finds none. To exercise the patch rule on real pixels the test also runs with loose
 * thresholds (documented below, not a finding): patches of new bare soil without new water, and the reverse, must
 * be dropped, and the streamed result must equal the in-memory kernel on the same composites.
 */
const { config } = loadConfig({}, {}, ROOT);
/** Loose enough that the real pair yields both kinds of patches; chosen by looking at its MNDWI and NDBI medians. */
const LOOSE: MiningParameters = { bareNdviMax: 0.2, bareNdbiMin: 0.2, waterMndwi: -0.4, minimumMappingUnitHa: 0.1 };
let catalog: string;
let opener: RasterOpener;
let aoi: Aoi;
let found: { baseline: SceneSearch; monitoring: SceneSearch };

beforeAll(async () => {
  ({ catalog } = await buildBaleCatalog(mkdtempSync(join(tmpdir(), 'cw-bale-'))));
  aoi = baleAoi({ id: 'bale-pair', name: 'Bale Mountains pair (test)', analyses: ['mining-expansion', 'forest-loss'] });
  found = await findWindowScenes(new StaticCatalog(catalog), aoi, config);
  opener = createRasterOpener({});
}, 60_000);

const scenes = () => [...found.baseline.scenes, ...found.monitoring.scenes];

async function analyse(mining: MiningParameters, blockSize: number) {
  const whole = new WholeGridSink();
  const run = await runAnalysis({
    aoi,
    baseline: found.baseline.observations,
    monitoring: found.monitoring.observations,
    opener,
    blockSize,
    products: selectProducts(aoi.analyses, scenes(), { miningExpansion: mining }),
    sinks: [whole],
  });
  return { run, whole };
}

describe('mining expansion on a real Landsat pair with green and SWIR', () => {
  it('with the default thresholds finds no mine where there is none', async () => {
    const { run } = await analyse(config.analysis.miningExpansion, 128);
    expect(run.notComputed).toEqual({});
    expect(run.products['mining-expansion']!.patches.kept).toBe(0);
    expect(run.products['mining-expansion']!.stats.aoi.classes[M.newBare]).toBeUndefined();
  }, 60_000);

  it('keeps only patches holding new bare soil and new water (loose thresholds), as the in-memory kernel does', async () => {
    const { run, whole } = await analyse(LOOSE, 32);
    const kernel = miningExpansion(
      {
        ...whole.twoPeriodIndices(run.pixelAreaHa),
        mndwiBefore: whole.baseline.indices.mndwi!,
        mndwiAfter: whole.monitoring.indices.mndwi!,
      },
      LOOSE,
    );
    const streamed = whole.products['mining-expansion']!;
    expect(Buffer.from(streamed.buffer).equals(Buffer.from(kernel.classes.buffer))).toBe(true);
    const product = run.products['mining-expansion']!;
    expect(product.patches).toEqual(kernel.patches);
    expect(product.patches.kept).toBeGreaterThanOrEqual(1);
    expect(product.patches.belowMmu).toBeGreaterThan(50);
    expect(product.stats.aoi.classes[M.newBare]!.pixels).toBeGreaterThan(0);
    expect(product.stats.aoi.classes[M.newWater]!.pixels).toBeGreaterThan(0);
    expect(product.params).toEqual(LOOSE);
  }, 60_000);

  it('publishes a valid mining-expansion COG whose counts are the summary figures', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'cw-bale-out-'));
    const store = new FileObjectStore(folder);
    const loose = { ...config, analysis: { ...config.analysis, miningExpansion: LOOSE } };
    const periods = {
      baseline: { window: aoi.windows.baseline!, search: found.baseline },
      monitoring: { window: aoi.windows.monitoring!, search: found.monitoring },
    };
    const result = await computeAndPublish(planPeriod(aoi, periods, loose), { opener, store, siteRules: config.sites });
    const key = itemKey(aoi.id, result.itemId);
    expect(await verifyItem(store, key)).toEqual([]);
    const item = JSON.parse(readFileSync(join(folder, key), 'utf8')) as {
      assets: Record<string, { href: string; 'classification:classes'?: Array<{ name: string }> }>;
    };
    const asset = item.assets['mining-expansion']!;
    expect(asset['classification:classes']!.map((entry) => entry.name)).toEqual(
      miningProduct.classes.map((e) => e.name),
    );
    const report = gdalClassCounts(join(folder, assetKeyOf(key, asset.href)));
    expect(report.errors).toEqual([]);
    const classes = result.summary.products['mining-expansion']!.classes;
    for (const entry of miningProduct.classes) {
      if (entry.nodata) continue;
      expect(report.counts[String(entry.value)] ?? 0, entry.name).toBe(classes[entry.name]!.pixels);
    }
    expect(classes['new-water']!.pixels).toBeGreaterThan(0);
    expect(result.summary.analyses).toEqual({ requested: ['mining-expansion', 'forest-loss'], notComputed: {} });
  }, 60_000);
});
