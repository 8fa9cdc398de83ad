import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAoi } from '../../aoi/aoi.parse.js';
import type { AreaGeometry } from '../../aoi/geometry.js';
import type { Grid } from '../../aoi/rasterize.js';
import { pixelsOf } from '../../workers/sites.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { runAnalysis } from '../../pipeline/analysis/analysis.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { StaticCatalog } from '../../pipeline/io/stac.client.js';
import { periodOutputs } from '../../pipeline/outputs/period.outputs.js';
import { LAST_CLEAR_NODATA, RasterOutputSink } from '../../pipeline/outputs/raster.sink.js';
import { publishItem } from '../../pipeline/publish/publish.js';
import { planPeriod, type PeriodScenes } from '../../pipeline/run/period.plan.js';
import { periodItem, siteCounter } from '../../pipeline/run/period.run.js';
import { createRasterOpener } from '../../pipeline/scenes/raster.opener.js';
import { findWindowScenes } from '../../pipeline/scenes/scenes.find.js';
import { reportPage } from '../../reports/report.page.js';
import type { LastClearSummary, Summary } from '../../reports/summary.js';
import { BUKAVU_SERIES, buildBukavuCatalog } from '../helpers/bukavu.js';
import { DEBIAN_PYTHON, ROOT } from '../helpers/paths.js';

/**
 * "What was not seen" on the real Bukavu series: the published `last-clear` raster and the summary's figures for the
 * AOI and three zones (one reaching outside the AOI), against test/peer/last_clear_peer.py (GDAL + numpy), which
 * recomputes each pixel's last clear day from the scenes and the zone figures from the raster.
 */

/** The demo AOI with three zones drawn over its land: north arm, south-east block, a western strip cut by the edge. */
const box = (w: number, s: number, e: number, n: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [w, s],
      [e, s],
      [e, n],
      [w, n],
      [w, s],
    ],
  ],
});
const ZONES = {
  north: box(28.815, -2.475, 28.836, -2.44),
  'south-east': box(28.85, -2.535, 28.883, -2.5),
  'west-strip': box(28.8, -2.52, 28.822, -2.46),
};
/**
 * Versions: "north" was a larger permit until 31 August 2021 and the box above from 1 September (the monitoring
 * window ends 30 September: the figures use the later one); "south-east" expired on 30 June 2021 (its figures are in
 * that last version, said expired); "west-strip" has no dates.
 */
const VERSIONS: Record<string, Array<{ valid_from?: string; valid_to?: string; geometry: ReturnType<typeof box> }>> = {
  north: [
    { valid_to: '2021-08-31', geometry: box(28.815, -2.5, 28.836, -2.44) },
    { valid_from: '2021-09-01', geometry: ZONES.north },
  ],
  'south-east': [{ valid_from: '2018-07-01', valid_to: '2021-06-30', geometry: ZONES['south-east'] }],
  'west-strip': [{ geometry: ZONES['west-strip'] }],
};

type PeerFigures = LastClearSummary;
interface Peer {
  nodata: number;
  dataType: string;
  metadata: Record<string, string>;
  insidePixels: number;
  pixelsDiffering: number;
  outsideNotNodata: number;
  aoi: PeerFigures;
  zones: Record<string, PeerFigures>;
}

let summary: Summary;
let peer: Peer;
let lastClearItemAsset: Record<string, unknown>;
let grid: Grid;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-last-clear-'));
  const demo = JSON.parse(readFileSync(join(ROOT, 'aoi', 'bukavu-demo.geojson'), 'utf8')) as {
    features: Array<{ properties: Record<string, unknown> }>;
  };
  demo.features[0]!.properties.id = 'bukavu-zones';
  const zones = Object.entries(VERSIONS).flatMap(([id, versions]) =>
    versions.map(({ geometry, ...dates }) => ({
      type: 'Feature',
      properties: { role: 'zone', id, name: `Zone ${id}`, ...dates },
      geometry,
    })),
  );
  const aoiFile = join(dir, 'bukavu-zones.geojson');
  writeFileSync(aoiFile, JSON.stringify({ ...demo, features: [...demo.features, ...zones] }));
  const parsed: Aoi = parseAoi(readFileSync(aoiFile, 'utf8'), aoiFile, { maxAreaKm2: 10_000 }).aoi!;
  const catalog = await buildBukavuCatalog(dir);
  const { config } = loadConfig({}, {}, ROOT);
  const found = await findWindowScenes(new StaticCatalog(catalog.catalog), parsed, config);
  const periods: PeriodScenes = {
    baseline: { window: parsed.windows.baseline!, search: found.baseline },
    monitoring: { window: parsed.windows.monitoring!, search: found.monitoring },
  };
  const plan = planPeriod(parsed, periods, config);
  // The AOI as of the monitoring window's end: each zone in its version of that day.
  const { aoi } = plan;
  const windows = { baseline: plan.periods.baseline.window.text, monitoring: plan.periods.monitoring.window.text };
  const rasters = new RasterOutputSink(dir, windows, plan.resolution);
  const opener = createRasterOpener({});
  const run = await runAnalysis({
    aoi,
    baseline: found.baseline.observations,
    monitoring: found.monitoring.observations,
    opener,
    products: plan.products,
    sinks: [rasters],
  });
  const { itemId, digest } = plan;
  grid = run.grid;
  const store = mkdtempSync(join(tmpdir(), 'cw-last-clear-store-'));
  const countSites = siteCounter({ opener, store: new FileObjectStore(store), siteRules: config.sites }, aoi);
  const outputs = await periodOutputs({ aoi, run, rasters, periods, itemId, digest, countSites });
  await opener.close();
  summary = outputs.summary;
  const item = periodItem({ aoi, periods, grid: run.grid, itemId, digest, files: outputs.files });
  lastClearItemAsset = item.assets['last-clear']!;
  await publishItem(new FileObjectStore(store), { aoi, item, digest, files: outputs.files });
  const spec = {
    raster: join(store, aoi.id, itemId, digest, 'last-clear.tif'),
    aoi: aoiFile,
    windowEnd: summary.lastClear.windowEnd,
    asOf: '2021-09-30',
    zones: Object.keys(ZONES),
    monitoring: found.monitoring.observations.flatMap((observation) =>
      observation.scenes.map((scene) => ({ path: join(BUKAVU_SERIES, `${scene.id}.tif`), date: observation.date })),
    ),
  };
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  execFileSync(
    DEBIAN_PYTHON,
    [join(ROOT, 'test', 'peer', 'last_clear_peer.py'), join(dir, 'spec.json'), join(dir, 'peer.json')],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  peer = JSON.parse(readFileSync(join(dir, 'peer.json'), 'utf8')) as Peer;
}, 300_000);

describe('the last-clear raster and what was not seen, on the Bukavu series, against GDAL + numpy', () => {
  it('is UInt16 days since 1970-01-01 with nodata for never seen, as its STAC asset says', () => {
    expect(peer.dataType).toBe('UInt16');
    expect(peer.nodata).toBe(LAST_CLEAR_NODATA);
    expect(peer.metadata).toMatchObject({ EPOCH: '1970-01-01', UNITS: 'days since 1970-01-01' });
    expect(lastClearItemAsset['changewatch:epoch']).toBe('1970-01-01');
    expect(lastClearItemAsset['bands']).toEqual([
      expect.objectContaining({ data_type: 'uint16', nodata: LAST_CLEAR_NODATA, unit: 'days since 1970-01-01' }),
    ]);
  });

  it('holds, for every pixel inside the AOI, the day of its last clear observation the peer finds in the scenes', () => {
    expect(peer.insidePixels).toBeGreaterThan(50_000);
    expect(peer.pixelsDiffering).toBe(0);
    // GDAL's and changewatch's rasterisations of the AOI differ at a few boundary pixels at most.
    expect(peer.outsideNotNodata / peer.insidePixels).toBeLessThan(1e-4);
  });

  it('gives the AOI and each zone the date most of it was last seen and the shares seen lately', () => {
    const areas: Array<[string, LastClearSummary, PeerFigures]> = [
      ['aoi', summary.lastClear.aoi, peer.aoi],
      ...Object.keys(ZONES).map((id): [string, LastClearSummary, PeerFigures] => [
        id,
        summary.lastClear.zones[id]!,
        peer.zones[id]!,
      ]),
    ];
    for (const [name, ours, theirs] of areas) {
      expect(ours.pixels, name).toBeGreaterThan(1000);
      expect(Math.abs(ours.pixels - theirs.pixels) / theirs.pixels, name).toBeLessThan(1e-3);
      expect(ours.mostSeenOn, name).toBe(theirs.mostSeenOn);
      for (const span of ['days30', 'days60', 'days90'] as const)
        expect(Math.abs(ours.seenWithin[span] - theirs.seenWithin[span]), `${name} ${span}`).toBeLessThan(1e-3);
    }
    console.log(JSON.stringify({ ours: summary.lastClear, peer: { aoi: peer.aoi, zones: peer.zones } }));
  });

  it('uses each zone in its version of the window’s last day, and says which, in every per-zone figure', () => {
    const said = {
      north: { validFrom: '2021-09-01', validTo: null, status: 'in-force' },
      'south-east': { validFrom: '2018-07-01', validTo: '2021-06-30', status: 'expired' },
      'west-strip': { validFrom: null, validTo: null, status: 'in-force' },
    };
    for (const [id, version] of Object.entries(said)) {
      expect(summary.lastClear.zones[id]!.version, id).toEqual(version);
      expect(summary.products['forest-loss']!.zones[id]!.version, id).toEqual(version);
    }
    // The later, smaller north: its hectares are those of the box in force, not of the larger permit before it.
    const north = summary.products['forest-loss']!.zones['north']!;
    const pixels = Object.values(north.classes).reduce((total, tally) => total + tally.pixels, 0);
    expect(pixels).toBe(summary.lastClear.zones['north']!.pixels);
    const before = pixelsOf(VERSIONS['north']![0]!.geometry as AreaGeometry, grid).length;
    expect(pixels / before).toBeLessThan(0.65);
    console.log(JSON.stringify({ north: { version: north.version, hectares: north.hectares, pixels } }));
  });

  it('the report page shows what was not seen and which version of each zone', () => {
    const html = reportPage({
      summary,
      runId: 'test-run',
      itemHref: '../item.json',
      assetHrefs: {},
      indexHref: '../../index.html',
      geometry: { type: 'Polygon', coordinates: [] },
      zones: [],
      legend: [],
      history: [],
    });
    const table = /<table id="last-clear">(.*?)<\/table>/s.exec(html)?.[1] ?? '';
    expect(table).toContain('<td data-date="2021-09-29">2021-09-29</td><td class="n">85.7 %</td>');
    expect(table).toContain('<td>Zone south-east, expired (2018-07-01..2021-06-30)</td><td data-date="2021-09-29">');
    expect(table).toContain('<td>Zone north, in force (2021-09-01..open)</td><td data-date="2021-09-14">');
    const zones = /<table id="zones">(.*?)<\/table>/s.exec(html)?.[1] ?? '';
    expect(zones).toContain('<td data-status="expired">expired (2018-07-01..2021-06-30)</td>');
  });
});
