import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../../pipeline/compose.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { createLogger } from '../../pipeline/log.js';
import type { ChipRecord } from '../../pipeline/outputs/dossier.chips.js';
import { assetKeyOf, itemKey } from '../../pipeline/outputs/layout.js';
import type { SitesCollection } from '../../pipeline/outputs/sites.js';
import type { ResultItem } from '../../pipeline/outputs/stac.js';
import { dossierGap, dossiersKey, type DossiersIndex } from '../../pipeline/publish/dossier.publish.js';
import { runAll } from '../../pipeline/run/run.js';
import type { Summary } from '../../reports/summary.js';
import { CAPTION } from '../../workers/chip.js';
import { drawText, wrapText } from '../../workers/font.js';
import { productOf } from '../../workers/products/index.js';
import { childEnv, CLI, DEBIAN_PYTHON, ROOT } from '../helpers/paths.js';
import { BUKAVU_SERIES } from '../helpers/bukavu.js';
import type { SeriesRow } from '../../pipeline/outputs/dossier.series.js';
import { parseCsv } from '../../reports/csv.js';
import { bukavuItems, startRunSite, type RunSite } from '../helpers/run.site.js';
import { serveFolder } from '../../pipeline/io/folder.server.js';
import { storeProblems } from '../helpers/store.check.js';

/**
 * Site dossiers on the real Bukavu series: a run over a part of the demo AOI (27 sites, the largest 69 ha) publishes
 * one dossier per site; its chips decode with sharp and GDAL and say what they show, the zip and its manifest
 * verify with Debian's unzip and sha256sum, the page renders in Chromium without a console error, a kill in the
 * middle of the step is repaired by the next run, and rebuilding (repair, `sites dossier`) writes the same bytes.
 */
const AOI = 'bukavu-d';
const POOL_ENTRY = join(ROOT, 'dist', 'workers', 'pool.entry.js');
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const quiet = createLogger('silent');
let site: RunSite;
let store: FileObjectStore;
let root: string;
let browser: Browser;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const text = (bytes: Uint8Array | null) => new TextDecoder().decode(bytes!);

beforeAll(async () => {
  const { collection, items } = await bukavuItems();
  site = await startRunSite({
    aois: [{ id: AOI, bbox: [28.812, -2.47, 28.84, -2.44] }],
    items,
    collections: [collection],
  });
  root = join(site.dir, 'store');
  store = new FileObjectStore(root);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.stac.close();
});

/** The built CLI on the site's config, without blocking this process (it serves the STAC API the run asks). */
function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--config', site.configFile, ...args], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** Every file of every dossier folder and the index, path under `<aoi>/sites/` → bytes. */
function dossierBytes(): Map<string, Buffer> {
  const sites = join(root, AOI, 'sites');
  const out = new Map<string, Buffer>([['dossiers.json', readFileSync(join(sites, 'dossiers.json'))]]);
  for (const folder of readdirSync(sites, { withFileTypes: true })) {
    if (!folder.isDirectory()) continue;
    for (const file of readdirSync(join(sites, folder.name))) {
      out.set(`${folder.name}/${file}`, readFileSync(join(sites, folder.name, file)));
    }
  }
  return out;
}

/** The caption paragraphs a chip must carry, written from the summary (not from the code that draws them). */
function expectedCaption(record: ChipRecord, siteId: string, summary: Summary, evidence: Evidence): string[] {
  const { baseline, monitoring } = summary.periods;
  const siteLine = `Site ${siteId} (cyan outline). Item ${summary.item}, inputs ${summary.inputs}, changewatch ${summary.software.version}.`;
  const scenes = (period: Summary['periods']['baseline']) => [
    `Scenes behind the composite (${period.scenes.length}):`,
    ...period.scenes.map((scene) => `- ${scene.datetime.slice(0, 10)} ${scene.id}`),
  ];
  if (record.layer === 'ndvi-baseline')
    return [
      `NDVI, baseline window ${baseline.window}: median of the clear observations`,
      siteLine,
      ...scenes(baseline),
    ];
  if (record.layer === 'scene-before' || record.layer === 'scene-after') {
    const firstSeen = evidence.site.properties.first_seen!;
    const row = evidence.series.rows.find((candidate) => candidate.date === record.window)!;
    const side = record.layer === 'scene-before' ? 'the last observation before' : 'the first observation on or after';
    const scenes = record.scenes.length > 1 ? 'Scenes' : 'Scene';
    return [
      `NDVI, scene of ${record.window}: ${side} the first detection (${firstSeen})`,
      `Site ${siteId} (cyan outline). ${Math.round((row.clearPixels / row.sitePixels) * 100)} % of the site seen clear; greyed: not seen clear (cloud, shadow). changewatch ${summary.software.version}.`,
      'NDVI: the scene carries no green or blue band, so neither true nor false colour.',
      `${scenes}: ${record.scenes.join(', ')}`,
    ];
  }
  if (record.layer === 'ndvi-monitoring')
    return [
      `NDVI, monitoring window ${monitoring.window}: median of the clear observations`,
      siteLine,
      ...scenes(monitoring),
    ];
  return [
    `${productOf('forest-loss').title}: baseline ${baseline.window} vs monitoring ${monitoring.window}`,
    siteLine,
    'Classes of the forest-loss raster; parameters: forestNdvi 0.6, ndviDrop 0.2, minimumMappingUnitHa 0.2.',
  ];
}

/** The chip decodes with sharp and GDAL, is georeferenced, and its caption is drawn and stored as expected. */
async function checkChip(
  folder: string,
  record: ChipRecord,
  siteId: string,
  summary: Summary,
  evidence: Evidence,
): Promise<void> {
  const file = join(folder, record.file);
  const meta = await sharp(file).metadata();
  expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', record.width, record.height, 3]);
  const gdal = JSON.parse(execFileSync('gdalinfo', ['-json', file], { encoding: 'utf8' })) as {
    driverShortName: string;
    size: number[];
    geoTransform: number[];
    coordinateSystem: { wkt: string };
    metadata: { '': Record<string, string> };
    bands: unknown[];
  };
  expect([gdal.driverShortName, gdal.size, gdal.bands.length]).toEqual(['PNG', [record.width, record.height], 3]);
  expect(gdal.coordinateSystem.wkt).toContain('ID["EPSG",32735]');
  gdal.geoTransform.forEach((value, k) => expect(value).toBeCloseTo(record.transform[k]!, 5));
  const paragraphs = expectedCaption(record, siteId, summary, evidence);
  expect(gdal.metadata['']['Title']).toBe(paragraphs[0]);
  expect(gdal.metadata['']['Description']).toBe(paragraphs.join(' | '));
  // The map: at least 64 raster pixels a side, enlarged by a whole factor, the site inside it.
  const cells = record.rasterWindow.x1 - record.rasterWindow.x0;
  expect(cells).toBeGreaterThanOrEqual(64);
  expect([record.map.width, record.map.height]).toEqual([cells * record.scale, cells * record.scale]);
  // The caption's pixels are exactly the expected lines drawn in the bitmap font (the title twice, for bold).
  const lines = paragraphs.flatMap((paragraph) => wrapText(paragraph, record.width - 2 * CAPTION.left));
  expect(record.caption).toEqual(lines);
  const height = lines.length * CAPTION.line;
  const drawn = await sharp(file).extract({ left: 0, top: CAPTION.top, width: record.width, height }).raw().toBuffer();
  const expected = { width: record.width, height, rgba: new Uint8Array(record.width * height * 4).fill(255) };
  const titleLines = wrapText(paragraphs[0]!, record.width - 2 * CAPTION.left).length;
  lines.forEach((line, k) => {
    drawText(expected, CAPTION.left, k * CAPTION.line, line, [29, 29, 29]);
    if (k < titleLines) drawText(expected, CAPTION.left + 1, k * CAPTION.line, line, [29, 29, 29]);
  });
  const rgb = Buffer.from(expected.rgba.filter((_, i) => i % 4 !== 3));
  expect(drawn.equals(rgb), `${record.file}: caption pixels`).toBe(true);
}

interface Evidence {
  run: string;
  software: { version: string };
  site: { id: string; properties: { first_seen: string | null } };
  item: { id: string; inputs: string };
  periods: Summary['periods'];
  outputs: Array<{ asset: string; href: string; bytes: number; sha256: string }>;
  chips: Array<ChipRecord & { sha256: string }>;
  files: Array<{ file: string; sha256: string }>;
  series: { csv: string; chart: string; observations: number; points: number; rows: SeriesRow[] };
  notIncluded: string[];
  sourceFiles: Array<{ scene: string; asset: string; href: string; checksum: string | null }>;
}

/**
 * The site's series as a peer reads it: for each observation that saw the whole site clear, GDAL warps the scene's
 * red and NIR onto the item's grid around the site (bilinear, as the reader resamples), burns the site's outline
 * (pixel centres) and numpy takes the median NDVI of its pixels. Returns date → median.
 */
function peerMedians(feature: SitesCollection['features'][number], summary: Summary, dates: string[]) {
  const work = mkdtempSync(join(tmpdir(), 'cw-series-peer-'));
  writeFileSync(join(work, 'site.geojson'), JSON.stringify({ type: 'FeatureCollection', features: [feature] }));
  const files = readdirSync(BUKAVU_SERIES).filter((name) => name.endsWith('.tif'));
  const scenes = dates.map((date) => [
    date,
    join(
      BUKAVU_SERIES,
      files.find((name) => name.startsWith(date.replaceAll('-', '')))!,
    ),
  ]);
  const [originX, resolution, , originY] = summary.grid.transform;
  const script = `
import json, math, sys
import numpy as np
from osgeo import gdal
gdal.UseExceptions()
work, origin_x, origin_y, res = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
# The site's extent in the grid's CRS, snapped outwards to the item's grid.
site = gdal.VectorTranslate('/vsimem/site.gpkg', work + '/site.geojson', dstSRS='EPSG:32735', format='GPKG')
min_x, max_x, min_y, max_y = site.GetLayer().GetExtent()
site = None
x0 = origin_x + math.floor((min_x - origin_x) / res) * res
x1 = origin_x + math.ceil((max_x - origin_x) / res) * res
y1 = origin_y - math.floor((origin_y - max_y) / res) * res
y0 = origin_y - math.ceil((origin_y - min_y) / res) * res
bounds = (x0, y0, x1, y1)
mask = gdal.Rasterize('/vsimem/mask.tif', '/vsimem/site.gpkg', format='GTiff', outputBounds=bounds, xRes=res, yRes=res, burnValues=[1], outputType=gdal.GDT_Byte)
inside = mask.ReadAsArray() == 1
out = {}
for date, path in json.loads(sys.argv[5]):
    warped = gdal.Warp('/vsimem/scene.tif', path, dstSRS='EPSG:32735', outputBounds=bounds, xRes=res, yRes=res, resampleAlg='bilinear', outputType=gdal.GDT_Float64)
    red, nir = [warped.GetRasterBand(k).ReadAsArray() * 1e-4 for k in (1, 2)]
    values = ((nir - red) / (nir + red))[inside]
    out[date] = {'median': float(np.median(values)), 'finite': int(np.isfinite(values).sum()), 'pixels': int(inside.sum())}
print(json.dumps(out))
`;
  const output = execFileSync(
    DEBIAN_PYTHON,
    ['-c', script, work, String(originX), String(originY), String(resolution), JSON.stringify(scenes)],
    { encoding: 'utf8' },
  );
  return JSON.parse(output) as Record<string, { median: number; finite: number; pixels: number }>;
}

/** The series' CSV holds the evidence's rows, dated on the item's observation dates with its scenes. */
function checkSeries(folder: string, evidence: Evidence, summary: Summary): void {
  expect(readdirSync(folder)).toEqual(expect.arrayContaining(['timeseries.csv', 'timeseries.svg']));
  const rows = parseCsv(readFileSync(join(folder, 'timeseries.csv'), 'utf8')).map((row) => row.fields);
  expect(rows[0]).toEqual(['date', 'period', 'scenes', 'clear_pixels', 'site_pixels', 'clear_share', 'median_ndvi']);
  const { series } = evidence;
  expect(rows.length - 1).toBe(series.points);
  expect(series.observations).toBe(
    summary.periods.baseline.observationDates.length + summary.periods.monitoring.observationDates.length,
  );
  expect(series.points).toBeGreaterThan(4);
  series.rows.forEach((row, k) => {
    const period = summary.periods[row.period];
    expect(period.observationDates).toContain(row.date);
    const ids = period.scenes.map((scene) => scene.id);
    for (const scene of row.scenes) expect(ids).toContain(scene);
    expect(rows[k + 1]).toEqual([
      row.date,
      row.period,
      row.scenes.join(' '),
      String(row.clearPixels),
      String(row.sitePixels),
      (row.clearPixels / row.sitePixels).toFixed(4),
      row.medianNdvi.toFixed(4),
    ]);
    expect(row.clearPixels).toBeLessThanOrEqual(row.sitePixels);
  });
  const svg = readFileSync(join(folder, 'timeseries.svg'), 'utf8');
  expect(svg.match(/<circle class="point"/g)?.length).toBe(series.points);
  expect(svg.match(/data-window="(baseline|monitoring)"/g)).toHaveLength(2);
  if (
    evidence.site.id &&
    (evidence as unknown as { site: { properties: { first_seen: string | null } } }).site.properties.first_seen
  )
    expect(svg).toContain('class="detected"');
}

/** The page renders from `url` with no console error or failed request, every chip decoded at its size. */
async function checkPage(url: string, evidence: Evidence, screenshot?: string): Promise<void> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`));
  await page.goto(url, { waitUntil: 'load' });
  type Img = {
    getAttribute(name: string): string | null;
    complete: boolean;
    naturalWidth: number;
    naturalHeight: number;
  };
  const images = await page.locator('#chips img').evaluateAll((nodes) =>
    nodes.map((node) => {
      const img = node as unknown as Img;
      return [img.getAttribute('src'), img.complete, img.naturalWidth, img.naturalHeight];
    }),
  );
  expect(images).toEqual(evidence.chips.map((chip) => [`./${chip.file}`, true, chip.width, chip.height]));
  const chart = await page.locator('#series-chart img').evaluate((node) => {
    const img = node as unknown as Img;
    return [img.getAttribute('src'), img.complete, img.naturalWidth];
  });
  expect(chart).toEqual(['./timeseries.svg', true, 720]);
  expect(await page.textContent('#site')).toBe(evidence.site.id);
  expect(await page.textContent('#run-id')).toBe(evidence.run);
  expect(await page.locator('#history tbody tr').count()).toBeGreaterThan(0);
  // The Bukavu items (built by catalog build from plain GeoTIFFs) state no file checksums: listed, and said so.
  expect(await page.locator('#source-files tbody tr').count()).toBe(evidence.sourceFiles.length);
  expect(evidence.sourceFiles.length).toBeGreaterThan(0);
  expect(await page.textContent('#not-included')).toContain('their STAC items state none (file:checksum)');
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  expect(problems).toEqual([]);
}

describe('site dossiers on the real Bukavu series', () => {
  it('one per site: chips decode and say what they show, the zip and manifest verify, the page renders', async () => {
    const { config } = loadConfig({ config: site.configFile }, {}, ROOT);
    const report = await runAll(compose(config, quiet, { poolEntry: POOL_ENTRY }));
    expect(report.aois.map((entry) => entry.outcome)).toEqual(['ok']);
    const sites = JSON.parse(text(await store.get(`${AOI}/sites.geojson`))) as SitesCollection;
    const index = JSON.parse(text(await store.get(dossiersKey(AOI)))) as DossiersIndex;
    const live = sites.features.filter((feature) => feature.properties.state !== 'merged').map((feature) => feature.id);
    expect(live.length).toBeGreaterThan(10);
    expect(Object.keys(index.dossiers)).toEqual([...live].sort());
    expect(await dossierGap(store, AOI)).toBeUndefined();
    expect(await storeProblems(store, AOI)).toEqual([]);

    const item = JSON.parse(text(await store.get(itemKey(AOI, `${AOI}-2021-08-15-2021-09-30`)))) as ResultItem;
    const summaryKey = assetKeyOf(itemKey(AOI, item.id), item.assets['summary']!.href);
    const summary = JSON.parse(text(await store.get(summaryKey))) as Summary;
    // The largest site (a window read whole at 1×) and the smallest (64 pixels enlarged).
    const bySize = [...sites.features].sort((a, b) => b.properties.hectares - a.properties.hectares);
    const seriesFigures: string[] = [];
    for (const feature of [bySize[0]!, bySize.at(-1)!]) {
      const folder = join(root, AOI, 'sites', feature.id);
      expect(readdirSync(folder).sort()).toEqual(Object.keys(index.dossiers[feature.id]!.files).sort());
      const evidence = JSON.parse(readFileSync(join(folder, 'evidence.json'), 'utf8')) as Evidence;
      expect(evidence.run).toBe(report.runId);
      expect(evidence.item).toMatchObject({ id: item.id, inputs: summary.inputs });
      expect(evidence.periods.monitoring.scenes).toEqual(summary.periods.monitoring.scenes);
      expect(evidence.chips.map((chip) => chip.file)).toEqual([
        'chip-ndvi-baseline.png',
        'chip-ndvi-monitoring.png',
        'chip-forest-loss.png',
        'chip-scene-before.png',
        'chip-scene-after.png',
      ]);
      for (const chip of evidence.chips) await checkChip(folder, chip, feature.id, summary, evidence);
      // The scenes nearest the first detection: the last observation before it, the first on or after it.
      const [before, after] = evidence.chips.slice(3);
      const firstSeen = evidence.site.properties.first_seen!;
      expect(before!.window < firstSeen && firstSeen <= after!.window).toBe(true);
      // No observation nearer the detection saw half of the site clear (those are preferred).
      const mostly = evidence.series.rows.filter((row) => row.clearPixels * 2 >= row.sitePixels).map((row) => row.date);
      expect(mostly.filter((date) => date > before!.window && date < firstSeen)).toEqual([]);
      expect(mostly.filter((date) => date >= firstSeen && date < after!.window)).toEqual([]);
      const scenesOf = (date: string) =>
        [...summary.periods.baseline.scenes, ...summary.periods.monitoring.scenes]
          .filter((scene) => scene.datetime.startsWith(date))
          .map((scene) => scene.id);
      expect(before!.scenes).toEqual(scenesOf(before!.window));
      expect(after!.scenes).toEqual(scenesOf(after!.window));
      checkSeries(folder, evidence, summary);
      // Where an observation saw the whole site clear, its median is the peer's (GDAL warp, numpy median).
      const whole = evidence.series.rows.filter((row) => row.clearPixels === row.sitePixels);
      expect(whole.length).toBeGreaterThan(0);
      const peer = peerMedians(
        feature,
        summary,
        whole.map((row) => row.date),
      );
      for (const row of whole) {
        expect(peer[row.date]!.pixels, row.date).toBe(row.sitePixels);
        expect(row.medianNdvi, row.date).toBeCloseTo(peer[row.date]!.median, 4);
      }
      seriesFigures.push(
        `${feature.id}: ${evidence.series.points} of ${evidence.series.observations} observations saw it clear, ${whole.length} whole; NDVI ${evidence.series.rows.map((row) => `${row.date} ${row.medianNdvi.toFixed(3)}`).join(', ')}`,
      );
      // Every output it cites is in the store with the sha256 it gives.
      for (const output of evidence.outputs) {
        expect(sha256(readFileSync(join(folder, output.href))), output.asset).toBe(output.sha256);
      }
      // The zip holds the dossier under the site's folder; unzip -t and sha256sum -c verify it.
      const unzipped = mkdtempSync(join(tmpdir(), 'cw-dossier-'));
      expect(execFileSync('unzip', ['-t', join(folder, 'dossier.zip')], { encoding: 'utf8' })).toMatch(
        /No errors detected/,
      );
      execFileSync('unzip', ['-q', join(folder, 'dossier.zip'), '-d', unzipped]);
      const inZip = join(unzipped, feature.id);
      expect(readdirSync(inZip).sort()).toEqual(
        readdirSync(folder)
          .filter((name) => name !== 'dossier.zip')
          .sort(),
      );
      const checked = execFileSync('sha256sum', ['-c', 'manifest.sha256'], { cwd: inZip, encoding: 'utf8' });
      expect(checked.trim().split('\n')).toHaveLength(readdirSync(inZip).length - 1);
      expect(checked).not.toMatch(/FAILED/);
      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = feature === bySize[0] ? join(ARTIFACTS, 'dossier.png') : undefined;
      await checkPage(pathToFileURL(join(inZip, 'index.html')).href, evidence, shot);
    }
    console.log(seriesFigures.join('\n'));
    // From the store over HTTP too (an S3 website endpoint): the page's images load from its folder.
    const server = await serveFolder(root);
    try {
      const evidence = JSON.parse(readFileSync(join(root, AOI, 'sites', bySize[0]!.id, 'evidence.json'), 'utf8'));
      await checkPage(`${server.url}/${AOI}/sites/${bySize[0]!.id}/index.html`, evidence as Evidence);
    } finally {
      await server.close();
    }
  }, 240_000);

  it('a run killed inside the dossier step is repaired, and rebuilding writes the same bytes', async () => {
    const before = dossierBytes();
    const folders = [
      ...new Set([...before.keys()].filter((key) => key.includes('/')).map((key) => key.split('/')[0]!)),
    ];
    const [first, second, third, fourth] = folders;
    // Three dossiers lost, another's page, and the index: a publication gap the next run repairs.
    for (const lost of [first, third, fourth]) rmSync(join(root, AOI, 'sites', lost!), { recursive: true });
    rmSync(join(root, AOI, 'sites', second!, 'index.html'));
    rmSync(join(root, AOI, 'sites', 'dossiers.json'));
    // `sites dossier` builds the missing one from the item, as the run would.
    const dest = mkdtempSync(join(tmpdir(), 'cw-dossier-dest-'));
    const built = await cli(['sites', 'dossier', first!, '--dest', dest]);
    expect(built.status, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/built from item bukavu-d-2021-08-15-2021-09-30/);
    for (const name of readdirSync(join(dest, first!))) {
      expect(readFileSync(join(dest, first!, name)).equals(before.get(`${first}/${name}`)!), name).toBe(true);
    }
    // The run that repairs it is killed after its first dossier: the next run still finds the gap.
    const killed = await cli(['run'], { CW_DEBUG_KILL_AFTER: 'dossier#1' });
    expect(killed.signal, killed.stderr.slice(-400)).toBe('SIGKILL');
    // At most one of the four was rebuilt (they are built four at a time), and the index was not written.
    expect(await dossierGap(store, AOI)).toMatch(/site dossier\(s\) missing or stale/);
    const repaired = await cli(['run']);
    expect(repaired.status, repaired.stderr.slice(-400)).toBe(0);
    expect(repaired.stdout).toMatch(/^bukavu-d +repaired /m);
    const after = dossierBytes();
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    expect(await storeProblems(store, AOI)).toEqual([]);
    for (const [key, bytes] of before) expect(after.get(key)!.equals(bytes), key).toBe(true);
    expect((await cli(['run'])).stdout).toMatch(/^bukavu-d +nothing-new /m);
    // A current dossier is copied as published.
    const copied = await cli(['sites', 'dossier', second!, '--dest', dest]);
    expect(copied.stdout).toMatch(/copied from the store/);
    for (const name of readdirSync(join(dest, second!))) {
      expect(readFileSync(join(dest, second!, name)).equals(before.get(`${second}/${name}`)!), name).toBe(true);
    }
  }, 240_000);
});
