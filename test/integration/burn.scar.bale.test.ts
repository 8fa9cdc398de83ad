import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { runAnalysis } from '../../pipeline/analysis/analysis.js';
import { selectProducts } from '../../pipeline/analysis/products.select.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { StaticCatalog } from '../../pipeline/io/stac.client.js';
import { assetKeyOf, itemKey } from '../../pipeline/outputs/layout.js';
import { verifyItem } from '../../pipeline/publish/publish.js';
import { planPeriod, type PeriodScenes } from '../../pipeline/run/period.plan.js';
import { computeAndPublish } from '../../pipeline/run/period.run.js';
import { createRasterOpener, type RasterOpener } from '../../pipeline/scenes/raster.opener.js';
import { findWindowScenes } from '../../pipeline/scenes/scenes.find.js';
import type { Scene } from '../../pipeline/scenes/stac.profiles.js';
import {
  BURN_SCAR_CLASSES as B,
  burnScar,
  classifyBurnScar,
  DEFAULT_BURN_SCAR,
  type BurnScarParameters,
} from '../../workers/products/burn.scar.js';
import { baleAoi, buildBaleCatalog } from '../helpers/bale.js';
import { gdalClassCounts } from '../helpers/gdal.js';
import { applyMinimumMappingUnit } from '../helpers/oracles.js';
import { DEBIAN_PYTHON, ROOT } from '../helpers/paths.js';
import { WholeGridSink } from '../helpers/whole.sink.js';

/**
 * The burn-scar product (workers/products/burn.scar.ts, added as one file and one registry line) on the only real
 * multi-date scenes with SWIR2: the Landsat 5 pair over the Bale Mountains (2000-03-09, 2010-12-18, TOA
 * reflectance). Ten years and two seasons apart, the pair is not a fire study: it has real NBR differences of every
 * level, which is what a test of the grading needs. The classes are checked against a peer that reads the Level-1
 * files with GDAL and grades dNBR with numpy, and the streamed patches against the in-memory oracle.
 */
const { config } = loadConfig({}, {}, ROOT);
/**
 * The pair's dNBR runs from −0.22 to +0.18 (no fire there): with Key & Benson's levels it is unburned or regrowth.
 * These thresholds, in the same order and chosen from its percentiles, put pixels in every level so that each
 * comparison and the patch rule meet real values; they are a test of the grading, not a finding.
 */
const LOOSE: BurnScarParameters = {
  regrowthHigh: -0.12,
  regrowthLow: -0.08,
  low: -0.04,
  moderateLow: -0.02,
  moderateHigh: 0,
  high: 0.02,
  minimumMappingUnitHa: 0.5,
};
let opener: RasterOpener;
let aoi: Aoi;
let periods: PeriodScenes;

beforeAll(async () => {
  const { catalog } = await buildBaleCatalog(mkdtempSync(join(tmpdir(), 'cw-bale-burn-')));
  aoi = baleAoi({
    id: 'bale-burn',
    name: 'Bale Mountains pair (burn-scar test)',
    analyses: ['burn-scar', 'forest-loss'],
  });
  const found = await findWindowScenes(new StaticCatalog(catalog), aoi, config);
  periods = {
    baseline: { window: aoi.windows.baseline!, search: found.baseline },
    monitoring: { window: aoi.windows.monitoring!, search: found.monitoring },
  };
  opener = createRasterOpener({});
}, 60_000);

const scenes = () => [...periods.baseline.search.scenes, ...periods.monitoring.search.scenes];

async function analyse(params: Partial<BurnScarParameters>, blockSize: number) {
  const whole = new WholeGridSink();
  const run = await runAnalysis({
    aoi,
    baseline: periods.baseline.search.observations,
    monitoring: periods.monitoring.search.observations,
    opener,
    resolution: 30,
    gridOffset: 15,
    blockSize,
    products: selectProducts(aoi.analyses, scenes(), { burnScar: params }),
    sinks: [whole],
  });
  return { run, whole };
}

/** Class counts from GDAL and numpy reading the Level-1 files themselves (test/peer/burn_scar_peer.py). */
function peerCounts(params: BurnScarParameters): Record<string, number> {
  const band = (scene: Scene, name: 'nir' | 'swir22') => {
    const asset = scene.bands[name]!;
    const path = asset.href.startsWith('file:') ? fileURLToPath(asset.href) : asset.href;
    return { path, scale: asset.scale, offset: asset.offset, nodata: asset.nodata ?? null };
  };
  const scene = (period: 'baseline' | 'monitoring') => {
    const [only] = periods[period].search.scenes;
    return { nir: band(only!, 'nir'), swir22: band(only!, 'swir22') };
  };
  const spec = join(mkdtempSync(join(tmpdir(), 'cw-burn-peer-')), 'spec.json');
  writeFileSync(
    spec,
    JSON.stringify({
      before: scene('baseline'),
      after: scene('monitoring'),
      window: [2, 2, 96, 96],
      thresholds: params,
    }),
  );
  const out = execFileSync(DEBIAN_PYTHON, [join(ROOT, 'test', 'peer', 'burn_scar_peer.py'), spec], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, number>;
}

describe('burn scars (dNBR, Key & Benson levels) on the real Landsat 5 pair with SWIR2', () => {
  it('is computed when the scenes carry NIR and SWIR2, and asks for nothing else', () => {
    const selection = selectProducts(aoi.analyses, scenes(), config.analysis);
    expect(selection.products.map((p) => p.type)).toEqual(['forest-loss', 'burn-scar']);
    expect(selection.notComputed).toEqual({});
    expect(selection.products[1]!.params).toEqual(DEFAULT_BURN_SCAR);
  });

  it('grades every pixel as GDAL and numpy do from the Level-1 files (no minimum mapping unit)', async () => {
    for (const thresholds of [DEFAULT_BURN_SCAR, LOOSE]) {
      const params = { ...thresholds, minimumMappingUnitHa: 0 };
      const { whole } = await analyse(params, 512);
      const ours: Record<string, number> = {};
      const classes = whole.products['burn-scar']!;
      for (let i = 0; i < classes.length; i++) {
        if (whole.inside[i]) ours[String(classes[i])] = (ours[String(classes[i])] ?? 0) + 1;
      }
      expect(ours).toEqual(peerCounts(params));
    }
    // With the default levels the pair is unburned or regrowing; with the loose ones every level occurs.
    expect(peerCounts({ ...DEFAULT_BURN_SCAR, minimumMappingUnitHa: 0 })[String(B.moderateLow)]).toBeUndefined();
    const loose = peerCounts({ ...LOOSE, minimumMappingUnitHa: 0 });
    for (const code of [B.unburned, B.low, B.moderateLow, B.moderateHigh, B.high, B.regrowthLow, B.regrowthHigh])
      expect(loose[String(code)] ?? 0, `class ${code}`).toBeGreaterThan(0);
  }, 60_000);

  it('drops burn patches under the minimum mapping unit across block seams as the in-memory oracle does', async () => {
    const params = LOOSE;
    for (const blockSize of [64, 512]) {
      const { run, whole } = await analyse(params, blockSize);
      const oracle = classifyBurnScar(
        { nbrBefore: whole.baseline.indices.nbr!, nbrAfter: whole.monitoring.indices.nbr!, inside: whole.inside },
        params,
      );
      const patches = applyMinimumMappingUnit(
        oracle,
        burnScar.patches[0]!.codes,
        B.unburned,
        params.minimumMappingUnitHa,
        run.grid.width,
        run.grid.height,
        run.pixelAreaHa,
      );
      expect(Buffer.from(whole.products['burn-scar']!.buffer).equals(Buffer.from(oracle.buffer))).toBe(true);
      expect(run.products['burn-scar']!.patches).toEqual(patches);
      expect(patches.kept).toBeGreaterThan(0);
      expect(patches.belowMmu).toBeGreaterThan(0);
    }
  }, 60_000);

  it('publishes a valid COG whose class counts are the summary figures, with its classes in the item', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'cw-bale-burn-out-'));
    const store = new FileObjectStore(folder);
    const plan = planPeriod(aoi, periods, { ...config, analysis: { ...config.analysis, burnScar: LOOSE } });
    expect(plan.outputs).toContain('burn-scar');
    const result = await computeAndPublish(plan, { opener, store, siteRules: config.sites });
    const key = itemKey(aoi.id, result.itemId);
    expect(await verifyItem(store, key)).toEqual([]);
    const item = JSON.parse(readFileSync(join(folder, key), 'utf8')) as {
      assets: Record<string, { href: string; 'classification:classes'?: Array<{ name: string }> }>;
    };
    // The plan listed exactly the assets published, in order.
    expect(Object.keys(item.assets)).toEqual(plan.outputs);
    const asset = item.assets['burn-scar']!;
    expect(asset['classification:classes']!.map((entry) => entry.name)).toEqual(burnScar.classes.map((e) => e.name));
    const report = gdalClassCounts(join(folder, assetKeyOf(key, asset.href)));
    expect(report.errors).toEqual([]);
    const summary = result.summary.products['burn-scar']!;
    for (const entry of burnScar.classes) {
      if (entry.nodata) continue;
      expect(report.counts[String(entry.value)] ?? 0, entry.name).toBe(summary.classes[entry.name]!.pixels);
    }
    expect(summary.parameters).toEqual(LOOSE);
    expect(result.summary.caveats.some((caveat) => caveat.startsWith('Burn scars:'))).toBe(true);
    const polygons = JSON.parse(readFileSync(join(folder, assetKeyOf(key, item.assets.polygons!.href)), 'utf8')) as {
      features: Array<{ properties: { product: string; hectares: number } }>;
    };
    const burns = polygons.features.filter((feature) => feature.properties.product === 'burn-scar');
    expect(burns).toHaveLength(summary.patches.kept);
    expect(burns.length).toBeGreaterThan(0);
    expect(burns.every((feature) => feature.properties.hectares >= LOOSE.minimumMappingUnitHa)).toBe(true);
  }, 60_000);
});
