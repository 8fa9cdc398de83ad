import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromCrs } from '../../aoi/aoi.project.js';
import { parseAoi } from '../../aoi/aoi.parse.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { runAnalysis, type AnalysisRun } from '../../pipeline/analysis/analysis.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { StaticCatalog } from '../../pipeline/io/stac.client.js';
import { assetKeyOf, itemKey } from '../../pipeline/outputs/layout.js';
import { selectProducts } from '../../pipeline/analysis/products.select.js';
import { planPeriod, type PeriodScenes } from '../../pipeline/run/period.plan.js';
import { computeAndPublish } from '../../pipeline/run/period.run.js';
import { verifyItem } from '../../pipeline/publish/publish.js';
import { createRasterOpener, type RasterOpener } from '../../pipeline/scenes/raster.opener.js';
import { findWindowScenes } from '../../pipeline/scenes/scenes.find.js';
import { reportPage } from '../../reports/report.page.js';
import type { Summary } from '../../reports/summary.js';
import {
  SETTLEMENT_CLASSES as S,
  settlementChange as settlementProduct,
} from '../../workers/products/settlement.change.js';
import { settlementChange } from '../helpers/oracles.js';
import { buildColoradoCatalog } from '../helpers/colorado.js';
import { gdalClassCounts } from '../helpers/gdal.js';
import { ROOT } from '../helpers/paths.js';
import { WholeGridSink } from '../helpers/whole.sink.js';

/**
 * Settlement change through the whole pipeline on real Landsat scenes with SWIR (the Colorado series: red, NIR,
 * SWIR1 and Fmask). The site has no settlements; its bare spring meadows that green up by summer are what the
 * rule reads as "built-up/bare lost", and the reverse (summer to the next spring) as "gained" — the seasonal limit
 * the rule documents, used here because it gives real change pixels on every code path: the streamed classes and
 * minimum mapping unit must equal the in-memory kernel on the same composites, and the published raster must be
 * a valid COG whose class counts are the summary's.
 */
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
let catalog: string;
let opener: RasterOpener;
const { config } = loadConfig({}, {}, ROOT);

/** An AOI inside the 61×61 Landsat grid (EPSG:32613, 30 m), with a zone on its western half. */
function coloradoAoi(windows: { baseline: string; monitoring: string }): Aoi {
  const toLonLat = fromCrs(32613);
  const ring = (columns: [number, number], rows: [number, number]) =>
    [
      [columns[0], rows[0]],
      [columns[0], rows[1]],
      [columns[1], rows[1]],
      [columns[1], rows[0]],
      [columns[0], rows[0]],
    ].map(([c, r]) => toLonLat([336_375 + c! * 30, 4_462_425 - r! * 30]).map((v) => Number(v!.toFixed(7))));
  const text = JSON.stringify({
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: {
          role: 'aoi',
          id: 'colorado-meadows',
          name: 'Colorado meadows (test)',
          kind: 'custom',
          analyses: ['forest-loss', 'settlement-change', 'mining-expansion'],
          windows,
        },
        geometry: { type: 'Polygon', coordinates: [ring([3, 58], [3, 58])] },
      },
      {
        type: 'Feature',
        properties: { role: 'zone', id: 'west', name: 'Western half' },
        geometry: { type: 'Polygon', coordinates: [ring([3, 30], [3, 58])] },
      },
    ],
  });
  return parseAoi(text, 'colorado-meadows.geojson', { maxAreaKm2: 10_000 }).aoi!;
}

async function analyse(aoi: Aoi, blockSize: number): Promise<{ run: AnalysisRun; whole: WholeGridSink }> {
  const found = await findWindowScenes(new StaticCatalog(catalog), aoi, config);
  const whole = new WholeGridSink();
  const run = await runAnalysis({
    aoi,
    baseline: found.baseline.observations,
    monitoring: found.monitoring.observations,
    opener,
    blockSize,
    products: selectProducts(aoi.analyses, [...found.baseline.scenes, ...found.monitoring.scenes], config.analysis),
    sinks: [whole],
  });
  return { run, whole };
}

beforeAll(async () => {
  ({ catalog } = await buildColoradoCatalog(mkdtempSync(join(tmpdir(), 'cw-colorado-'))));
  opener = createRasterOpener({});
}, 120_000);

const SPRING_TO_SUMMER = { baseline: '2008-04-01/2008-06-01', monitoring: '2008-07-01/2008-09-01' };
const SUMMER_TO_SPRING = { baseline: '2010-07-01/2010-10-01', monitoring: '2011-04-01/2011-06-01' };

describe('settlement change on real Landsat SWIR, streamed in 64-pixel blocks', () => {
  for (const [name, windows, code] of [
    ['lost (spring → summer)', SPRING_TO_SUMMER, S.builtLost],
    ['gained (summer → spring)', SUMMER_TO_SPRING, S.builtGained],
  ] as const) {
    it(`built-up/bare ${name}: classes and patches equal the in-memory kernel; blocks of 512 give the same`, async () => {
      const aoi = coloradoAoi(windows);
      const { run, whole } = await analyse(aoi, 64);
      const streamed = whole.products['settlement-change']!;
      const kernel = settlementChange(whole.twoPeriodIndices(run.pixelAreaHa), config.analysis.settlementChange);
      expect(Buffer.from(streamed.buffer).equals(Buffer.from(kernel.classes.buffer))).toBe(true);
      const product = run.products['settlement-change']!;
      expect(product.patches).toEqual(kernel.patches);
      expect(product.patches.kept).toBeGreaterThan(3);
      expect(product.patches.belowMmu).toBeGreaterThan(3);
      expect(product.stats.aoi.classes[code]!.pixels).toBeGreaterThan(500);
      // Zonal figures: the zone is part of the AOI, and its classes add up to its area.
      const west = product.stats.zones.west!;
      expect(west.pixels).toBeLessThan(product.stats.aoi.pixels);
      const sum = Object.values(west.classes).reduce((total, tally) => total + tally.hectares, 0);
      expect(sum).toBeCloseTo(west.hectares, 9);
      // Mining needs green for MNDWI, which these scenes lack: said, not silently skipped.
      expect(run.notComputed['mining-expansion']).toMatch(/have no green band/);
      expect(run.products['mining-expansion']).toBeUndefined();

      const { whole: single } = await analyse(aoi, 512);
      expect(Buffer.from(single.products['settlement-change']!.buffer).equals(Buffer.from(streamed.buffer))).toBe(true);
    }, 120_000);
  }
});

describe('the published settlement-change raster', () => {
  let summary: Summary;
  let folder: string;
  let store: FileObjectStore;
  let aoi: Aoi;
  let itemId: string;

  beforeAll(async () => {
    aoi = coloradoAoi(SPRING_TO_SUMMER);
    const found = await findWindowScenes(new StaticCatalog(catalog), aoi, config);
    const periods: PeriodScenes = {
      baseline: { window: aoi.windows.baseline!, search: found.baseline },
      monitoring: { window: aoi.windows.monitoring!, search: found.monitoring },
    };
    folder = mkdtempSync(join(tmpdir(), 'cw-colorado-out-'));
    store = new FileObjectStore(folder);
    const result = await computeAndPublish(planPeriod(aoi, periods, config), {
      opener,
      store,
      siteRules: config.sites,
    });
    summary = result.summary;
    itemId = result.itemId;
  }, 120_000);

  it('is a valid COG whose class counts are the summary figures; the item classifies it', async () => {
    expect(await verifyItem(store, itemKey(aoi.id, itemId))).toEqual([]);
    const item = JSON.parse(readFileSync(join(folder, itemKey(aoi.id, itemId)), 'utf8')) as {
      assets: Record<string, { href: string; 'classification:classes'?: Array<{ value: number; name: string }> }>;
    };
    const asset = item.assets['settlement-change']!;
    expect(asset['classification:classes']!.map((entry) => entry.name)).toEqual(
      settlementProduct.classes.map((entry) => entry.name),
    );
    const path = join(folder, assetKeyOf(itemKey(aoi.id, itemId), asset.href));
    const report = gdalClassCounts(path);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    const classes = summary.products['settlement-change']!.classes;
    for (const entry of settlementProduct.classes) {
      if (entry.nodata) continue;
      expect(report.counts[String(entry.value)] ?? 0, entry.name).toBe(classes[entry.name]!.pixels);
    }
    // Landsat-only scenes: the run chose the Landsat grid's 30 m (analysis.resolution auto).
    expect(summary.grid.resolution).toBe(30);
    // On the Landsat grid itself (corners 15 m off the multiples of 30 m): the scenes are read without resampling.
    expect(Math.abs((summary.grid.transform[0]! - 336_375) % 30)).toBe(0);
    expect(Math.abs((summary.grid.transform[3]! - 4_462_425) % 30)).toBe(0);
    expect(classes['built-lost']!.hectares).toBeGreaterThan(10);
  });

  it('its patches are polygons with their class and hectares, as many as the summary keeps', () => {
    const key = itemKey(aoi.id, itemId);
    const item = JSON.parse(readFileSync(join(folder, key), 'utf8')) as { assets: Record<string, { href: string }> };
    const polygons = JSON.parse(readFileSync(join(folder, assetKeyOf(key, item.assets.polygons!.href)), 'utf8')) as {
      features: Array<{ properties: { product: string; class: string; hectares: number; confidence: unknown } }>;
    };
    const settlement = polygons.features.filter((feature) => feature.properties.product === 'settlement-change');
    expect(settlement.length).toBe(summary.products['settlement-change']!.patches.kept);
    const lost = settlement.filter((feature) => feature.properties.class === 'built-lost');
    const lostHa = lost.reduce((total, feature) => total + feature.properties.hectares, 0);
    expect(lostHa).toBeCloseTo(summary.products['settlement-change']!.classes['built-lost']!.hectares, 2);
    expect(settlement.every((feature) => feature.properties.confidence === null)).toBe(true);
  });

  it('the summary validates, names mining-expansion as not computed and says why in a caveat', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'reports', 'summary.schema.json'), 'utf8')) as object;
    const ajv = addFormats(new Ajv({ allErrors: true, strict: true }));
    const validate = ajv.compile(schema);
    expect(validate(summary), ajv.errorsText(validate.errors)).toBe(true);
    expect(Object.keys(summary.products).sort()).toEqual(['forest-loss', 'settlement-change']);
    expect(Object.keys(summary.analyses.notComputed)).toEqual(['mining-expansion']);
    expect(summary.caveats.some((caveat) => caveat.startsWith('The AOI asks for mining-expansion'))).toBe(true);
    expect(summary.products['settlement-change']!.parameters).toEqual({ ...config.analysis.settlementChange });
    expect(Object.keys(summary.products['settlement-change']!.zones)).toEqual(['west']);
  });

  it('the report page shows the settlement classes and says mining was not analysed, and why', () => {
    const html = reportPage({
      summary,
      runId: 'test-run',
      itemHref: '../item.json',
      assetHrefs: { 'settlement-change': '../settlement-change.tif' },
      indexHref: '../../index.html',
      geometry: aoi.geometry,
      zones: [],
      legend: [],
      history: [],
    });
    const table = /<table id="classes-settlement-change">(.*?)<\/table>/s.exec(html)?.[1] ?? '';
    const lost = summary.products['settlement-change']!.classes['built-lost']!;
    expect(table).toContain(`data-class="built-lost"`);
    expect(table).toContain(`data-pixels="${lost.pixels}"`);
    expect(html).toContain('href="../settlement-change.tif"');
    expect(html).toMatch(/<li data-not-computed="mining-expansion"><b>mining-expansion<\/b>: .*have no green band/);
  });
});
