import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromFile } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../../pipeline/compose.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { createLogger } from '../../pipeline/log.js';
import type { SitesCollection } from '../../pipeline/outputs/sites.js';
import { runAll } from '../../pipeline/run/run.js';
import type { AreaGeometry } from '../../aoi/geometry.js';
import { SummarySchema, type Summary } from '../../reports/summary.js';
import { pixelsOf } from '../../workers/sites.js';
import { childEnv, CLI, ROOT } from '../helpers/paths.js';
import { bukavuItems, startRunSite, type RunSite } from '../helpers/run.site.js';
import { storeProblems } from '../helpers/store.check.js';

/**
 * Sites over the real Bukavu series: two consecutive runs whose monitoring windows end two weeks apart publish two
 * items; the sites of the first keep their ids in the second, and every item's patch hectares add up in its sites.
 */
const POOL_ENTRY = join(ROOT, 'dist', 'workers', 'pool.entry.js');
const quiet = createLogger('silent');
let site: RunSite;

beforeAll(async () => {
  const { collection, items } = await bukavuItems();
  site = await startRunSite({ aois: [{ id: 'bukavu-s', copyOf: 'bukavu-demo' }], items, collections: [collection] });
}, 60_000);

afterAll(async () => {
  await site?.stac.close();
});

/** A zone over the west part of the AOI (inside it), so sites are counted per zone. */
function addWestZone(): void {
  const file = join(site.aoiDir, 'bukavu-s.geojson');
  const aoi = JSON.parse(readFileSync(file, 'utf8')) as { features: unknown[] };
  const ring = [
    [28.8135, -2.44],
    [28.8135, -2.536],
    [28.835, -2.536],
    [28.835, -2.44],
    [28.8135, -2.44],
  ];
  aoi.features.push({
    type: 'Feature',
    properties: { role: 'zone', id: 'west', name: 'West part' },
    geometry: { type: 'Polygon', coordinates: [ring] },
  });
  writeFileSync(file, JSON.stringify(aoi));
}

function setMonitoring(window: string): void {
  const file = join(site.aoiDir, 'bukavu-s.geojson');
  const aoi = JSON.parse(readFileSync(file, 'utf8')) as { features: Array<{ properties: Record<string, unknown> }> };
  const properties = aoi.features[0]!.properties;
  properties.windows = { ...(properties.windows as object), monitoring: window };
  writeFileSync(file, JSON.stringify(aoi));
}

/**
 * The forest-loss sites that did not grow in the second period are `revegetating` exactly when at least half of their
 * footprint seen clear has a monitoring NDVI at or above the forest threshold (0.6), read here with geotiff.js from
 * the second item's ndvi-monitoring.tif (the outlines follow pixel edges, so their pixel centres are the footprint).
 */
async function expectRevegetationAsRead(sites: SitesCollection, storeDir: string): Promise<void> {
  expect(sites.changewatch.rules.revegetating).toEqual({
    'forest-loss': 'monitoring median NDVI back at or above the forest threshold (0.6)',
  });
  const item = join(storeDir, 'bukavu-s', 'bukavu-s-2021-08-15-2021-09-30');
  const [digest] = readdirSync(item, { withFileTypes: true }).filter((entry) => entry.isDirectory());
  const image = await (await fromFile(join(item, digest!.name, 'ndvi-monitoring.tif'))).getImage();
  const [ndvi] = (await image.readRasters()) as unknown as [Float32Array];
  const grid = { epsg: 32735, width: image.getWidth(), height: image.getHeight(), transform: [0, 0, 0, 0, 0, 0] };
  const [originX, originY] = image.getOrigin();
  const [resX, resY] = image.getResolution();
  Object.assign(grid, { transform: [originX, resX, 0, originY, 0, resY] });
  const shares: number[] = [];
  for (const { properties, geometry } of sites.features) {
    if (!['stable', 'inactive', 'revegetating'].includes(properties.state)) continue;
    const values = [...pixelsOf(geometry as AreaGeometry, grid as never)].map((pixel) => ndvi[pixel]!);
    const seen = values.filter((value) => !Number.isNaN(value));
    const share = seen.filter((value) => value >= 0.6).length / seen.length;
    shares.push(share);
    expect(properties.state === 'revegetating', properties.site).toBe(share >= 0.5);
  }
  console.log(
    `sites ${JSON.stringify(sites.changewatch.counts)}; share of the footprint back above 0.6 in ${shares.length} sites that did not grow: max ${Math.max(...shares).toFixed(3)}, median ${shares.sort((a, b) => a - b)[shares.length >> 1]!.toFixed(3)}`,
  );
}

/** The summary of a published item of the folder store. */
function summaryOf(storeDir: string, itemId: string): Summary {
  const item = join(storeDir, 'bukavu-s', itemId);
  const [digest] = readdirSync(item, { withFileTypes: true }).filter((entry) => entry.isDirectory());
  return JSON.parse(readFileSync(join(item, digest!.name, 'summary.json'), 'utf8')) as Summary;
}

/** The item's summary counts exactly the features of sites.geojson by state, and per zone those reaching it. */
function expectSummaryCounts(sites: SitesCollection, summary: Summary): void {
  const byState: Record<string, number> = {};
  const byZone: Record<string, Record<string, number>> = {};
  for (const { properties } of sites.features) {
    byState[properties.state] = (byState[properties.state] ?? 0) + 1;
    for (const [zone, hectares] of Object.entries(properties.zones)) {
      expect(hectares).toBeGreaterThan(0);
      byZone[zone] = { ...byZone[zone], [properties.state]: (byZone[zone]?.[properties.state] ?? 0) + 1 };
    }
  }
  expect(summary.sites).toEqual({ byState, byZone });
  expect(sites.changewatch.counts).toEqual(summary.sites);
  expect(SummarySchema.parse(summary).sites).toEqual(summary.sites);
}

describe('sites across two runs on the real Bukavu series', () => {
  it('keep their ids, add up to each item’s patches, and count by state', async () => {
    const store = new FileObjectStore(join(site.dir, 'store'));
    const sitesOf = async () =>
      JSON.parse(new TextDecoder().decode((await store.get('bukavu-s/sites.geojson'))!)) as SitesCollection;
    const run = async () => {
      const { config } = loadConfig({ config: site.configFile }, {}, ROOT);
      return runAll(compose(config, quiet, { poolEntry: POOL_ENTRY }));
    };
    addWestZone();
    setMonitoring('2021-08-15/2021-09-15');
    expect((await run()).aois.map((entry) => entry.outcome)).toEqual(['ok']);
    const first = await sitesOf();
    expectSummaryCounts(first, summaryOf(join(site.dir, 'store'), 'bukavu-s-2021-08-15-2021-09-15'));
    expect(first.features.length).toBeGreaterThan(50);
    expect(first.features.every((feature) => feature.properties.state === 'new')).toBe(true);

    setMonitoring('2021-08-15/2021-09-30');
    expect((await run()).aois.map((entry) => entry.outcome)).toEqual(['ok']);
    const second = await sitesOf();
    const secondSummary = summaryOf(join(site.dir, 'store'), 'bukavu-s-2021-08-15-2021-09-30');
    expectSummaryCounts(second, secondSummary);
    expect(Object.keys(secondSummary.sites!.byZone)).toEqual(['west']);
    expect(second.changewatch.periods.map((period) => period.item)).toEqual([
      'bukavu-s-2021-08-15-2021-09-15',
      'bukavu-s-2021-08-15-2021-09-30',
    ]);
    // Every site of the first run is still there under its id, with its first period unchanged.
    const later = new Map(second.features.map((feature) => [feature.id, feature.properties]));
    for (const { id, properties } of first.features) {
      expect(later.get(id)?.history[0], id).toEqual(properties.history[0]);
    }
    const states = second.changewatch.counts.byState;
    await expectRevegetationAsRead(second, join(site.dir, 'store'));
    expect(Object.values(states).reduce((total, count) => total + count, 0)).toBe(second.features.length);
    expect((states['stable'] ?? 0) + (states['expanding'] ?? 0) + (states['merged'] ?? 0)).toBeGreaterThan(0);
    expect(await storeProblems(store, 'bukavu-s')).toEqual([]);

    // The CLI lists and shows them as published.
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [CLI, '--config', site.configFile, 'sites', ...args], {
        encoding: 'utf8',
        env: childEnv(),
      });
    const listed = cli('list', '--aoi', 'bukavu-s', '--state', 'expanding', '--json');
    expect(listed.status, listed.stderr).toBe(0);
    const expanding = JSON.parse(listed.stdout) as Array<{ site: string; hectares: number }>;
    expect(expanding.length).toBe(states['expanding'] ?? 0);
    const [largest] = expanding;
    if (largest) {
      const shown = cli('show', largest.site);
      expect(shown.status, shown.stderr).toBe(0);
      expect((JSON.parse(shown.stdout) as { properties: { hectares: number } }).properties.hectares).toBe(
        largest.hectares,
      );
    }
    expect(cli('show', 'bukavu-s-forest-loss-999999').stderr).toMatch(/no such site of bukavu-s/);
  }, 240_000);
});
