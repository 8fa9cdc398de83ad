import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../../pipeline/compose.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { serveFolder } from '../../pipeline/io/folder.server.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { createLogger } from '../../pipeline/log.js';
import { assetKeyOf, itemKey } from '../../pipeline/outputs/layout.js';
import type { ResultItem } from '../../pipeline/outputs/stac.js';
import { runAll } from '../../pipeline/run/run.js';
import type { AccuracyAsset, SampleDesign } from '../../reports/accuracy.js';
import { parseCsv } from '../../reports/csv.js';
import type { Summary } from '../../reports/summary.js';
import { childEnv, CLI, ROOT } from '../helpers/paths.js';
import { bukavuItems, startRunSite, type RunSite } from '../helpers/run.site.js';
import { storeProblems } from '../helpers/store.check.js';

/**
 * The accuracy workflow on a real run over the Bukavu series: `assess sample` draws from the published forest-loss
 * raster, the review page is labelled in Chromium and its CSV downloaded, `assess estimate` reads it, `assess
 * publish` adds the accuracy asset to the item and the report page; bad labels and an altered sample are refused
 * one line per problem, and a recomputed item keeps its assessment, marked as made on earlier inputs.
 */
const AOI = 'bukavu-a';
const ITEM = `${AOI}-2021-08-15-2021-09-30`;
const POOL_ENTRY = join(ROOT, 'dist', 'workers', 'pool.entry.js');
const quiet = createLogger('silent');
let site: RunSite;
let store: FileObjectStore;
let browser: Browser;
let sample: string;

function cli(
  args: string[],
  config = site.configFile,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--config', config, ...args], {
      env: childEnv({}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

const text = (bytes: Uint8Array | null) => new TextDecoder().decode(bytes!);
/** The scene ids of the item's summary (both periods). */
function bukavuSceneIds(): string[] {
  const summary = JSON.parse(readFileSync(join(site.dir, 'store', ...summaryPath.split('/')), 'utf8')) as Summary;
  return [...summary.periods.baseline.scenes, ...summary.periods.monitoring.scenes].map((scene) => scene.id);
}
let summaryPath = '';
const design = (): SampleDesign => JSON.parse(readFileSync(join(sample, 'design.json'), 'utf8')) as SampleDesign;
const item = async () => JSON.parse(text(await store.get(itemKey(AOI, ITEM)))) as ResultItem;

beforeAll(async () => {
  const { collection, items } = await bukavuItems();
  site = await startRunSite({
    aois: [{ id: AOI, bbox: [28.812, -2.47, 28.84, -2.44] }],
    items,
    collections: [collection],
  });
  store = new FileObjectStore(join(site.dir, 'store'));
  const { config } = loadConfig({ config: site.configFile }, {}, ROOT);
  const report = await runAll(compose(config, quiet, { poolEntry: POOL_ENTRY }));
  expect(report.aois.map((entry) => entry.outcome)).toEqual(['ok']);
  const published = JSON.parse(text(await store.get(itemKey(AOI, ITEM)))) as ResultItem;
  summaryPath = assetKeyOf(itemKey(AOI, ITEM), published.assets['summary']!.href);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  sample = join(mkdtempSync(join(tmpdir(), 'cw-assess-')), 'sample');
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await site?.stac.close();
});

describe('assess on a real Bukavu run', () => {
  it('sample: strata from the published raster, the allocation, reproducible with the seed, the map classes apart', async () => {
    const args = ['assess', 'sample', '--aoi', AOI, '--product', 'forest-loss', '--n', '6', '--min-per-stratum', '2'];
    const drawn = await cli([...args, '--seed', '11', '--out', sample]);
    expect(drawn.stderr).toBe('');
    expect(drawn.status).toBe(0);
    expect(drawn.stdout).toMatch(/^stratum 0 forest-loss: \d+ pixels, [\d.]+ ha, 2 points$/m);
    expect(drawn.stdout).toMatch(/expected standard error of the change area: [\d.]+ ha/);
    const { units, strata, item: drawnFrom } = design();
    expect(drawnFrom).toBe(ITEM);
    expect(strata.map((stratum) => [stratum.name, stratum.allocated])).toEqual([
      ['forest-loss', 2],
      ['non-forest', 2],
      ['stable-forest', 2],
    ]);
    // The summary's class hectares are the strata's areas (same true pixel areas, rounded to 4 decimals).
    const again = join(sample, '..', 'again');
    expect((await cli([...args, '--seed', '11', '--out', again])).status).toBe(0);
    expect((JSON.parse(readFileSync(join(again, 'design.json'), 'utf8')) as SampleDesign).units).toEqual(units);
    const page = readFileSync(join(sample, 'review', 'index.html'), 'utf8');
    // The page's data: the classes to choose from, and per point only where it is and its chips (no map class).
    const data = JSON.parse(/<script type="application\/json" id="review-data">(.*?)<\/script>/s.exec(page)![1]!) as {
      points: Array<Record<string, unknown>>;
    };
    for (const point of data.points) expect(Object.keys(point).sort()).toEqual(['chips', 'id', 'lat', 'lon', 'scenes']);
    // Each point's clear scenes, re-read from the source COGs: dated, of the item's scenes, decodable.
    const scenes = data.points.flatMap(
      (point) => point.scenes as Array<{ file: string; date: string; scenes: string[] }>,
    );
    expect(scenes.length).toBeGreaterThan(units.length);
    const summaryScenes = new Set(bukavuSceneIds());
    for (const scene of scenes) {
      for (const id of scene.scenes) expect(summaryScenes.has(id)).toBe(true);
      expect((await sharp(join(sample, 'review', scene.file)).metadata()).width).toBe(132);
    }
    expect(page).not.toMatch(/stratum/);
    const chip = await sharp(join(sample, 'review', 'chips', `${units[0]!.id}-monitoring.png`)).metadata();
    expect([chip.width, chip.height]).toEqual([198, 198]);
  }, 120_000);

  it('review page in Chromium: label every point blind, download the CSV, estimate from it', async () => {
    const mapClass = new Map(
      parseCsv(readFileSync(join(sample, 'map-classes.csv'), 'utf8')).map((row) => [row.fields[0], row.fields[1]]),
    );
    const { classes, units } = design();
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
    await page.goto(pathToFileURL(join(sample, 'review', 'index.html')).href);
    await page.fill('#interpreter', 'test interpreter');
    await page.click('h1');
    for (const unit of units) {
      expect(await page.textContent('#point')).toContain(unit.id);
      // The interpreter here is an oracle that agrees with the map: then the estimate must equal the map.
      await page.keyboard.press(String(classes.indexOf(mapClass.get(unit.id)!) + 1));
      await page.click('#next');
    }
    expect(await page.textContent('#progress')).toBe(`${units.length} of ${units.length} labelled`);
    // Progress is kept: a reload shows the same count. Chromium commits a page's localStorage writes to the browser
    // process in batches, so first wait until another page of the same origin sees all of them (a reload right after
    // the last key press could otherwise read the storage from before it, on a busy machine).
    const other = await context.newPage();
    await other.goto(page.url());
    await expect
      .poll(
        () =>
          other.evaluate(() => {
            const storage = (globalThis as unknown as { localStorage: { getItem(key: string): string | null } })
              .localStorage;
            const key = Object.keys(storage).find((name) => name.startsWith('changewatch-review-'));
            return Object.keys((JSON.parse(storage.getItem(key ?? '') ?? '{}') as { labels?: object }).labels ?? {})
              .length;
          }),
        { timeout: 10_000 },
      )
      .toBe(units.length);
    await other.close();
    await page.reload();
    expect(await page.textContent('#progress')).toBe(`${units.length} of ${units.length} labelled`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const labels = join(sample, '..', 'labels.csv');
    await download.saveAs(labels);
    expect(problems).toEqual([]);
    await context.close();
    // The same page from a web server (the sample folder copied to a store's website): every chip loads.
    const server = await serveFolder(sample);
    try {
      const served = await browser.newPage();
      served.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      served.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
      await served.goto(`${server.url}/review/index.html`, { waitUntil: 'networkidle' });
      const widths = await served
        .locator('img')
        .evaluateAll((images) => images.map((image) => (image as unknown as { naturalWidth: number }).naturalWidth));
      expect(widths.length).toBeGreaterThan(2);
      expect(widths.every((width) => width > 0)).toBe(true);
      await served.close();
    } finally {
      await server.close();
    }
    expect(problems).toEqual([]);
    const rows = parseCsv(readFileSync(labels, 'utf8'));
    expect(rows[0]!.fields).toEqual(['id', 'reference', 'interpreter', 'labelled_at', 'notes', 'design_sha256']);
    expect(rows.slice(1).map((row) => row.fields[2])).toEqual(units.map(() => 'test interpreter'));

    const estimated = await cli(['assess', 'estimate', '--sample', sample, '--labels', labels, '--json']);
    expect(estimated.status).toBe(0);
    const result = JSON.parse(estimated.stdout) as { figures: Pick<AccuracyAsset, 'perClass' | 'overallAccuracy'> };
    expect(result.figures.overallAccuracy.value).toBe(1);
    for (const entry of result.figures.perClass) expect(entry.areaHa.value).toBeCloseTo(entry.mappedHa!, 6);
    const table = await cli(['assess', 'estimate', '--sample', sample, '--labels', labels]);
    expect(table.stdout).toMatch(/Error matrix, sample counts/);
    expect(table.stdout).toMatch(/Overall accuracy 1\.00 ± 0\.00/);
  }, 120_000);

  it('bad labels: one line per problem and exit 2; an altered sample is refused', async () => {
    const { units } = design();
    const digest = (await import('node:crypto'))
      .createHash('sha256')
      .update(readFileSync(join(sample, 'design.json')))
      .digest('hex');
    const bad = join(sample, '..', 'bad.csv');
    writeFileSync(
      bad,
      [
        'id,reference,design_sha256',
        `${units[0]!.id},forest-loss,${digest}`,
        `${units[0]!.id},non-forest,${digest}`,
        `P999,non-forest,${digest}`,
        `${units[1]!.id},cropland,${digest}`,
        `${units[2]!.id},non-forest,0000`,
        '',
      ].join('\n'),
    );
    const refused = await cli(['assess', 'estimate', '--sample', sample, '--labels', bad]);
    expect(refused.status).toBe(2);
    const lines = refused.stderr.trim().split('\n');
    expect(lines.filter((line) => line.includes('labelled twice'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('unknown sample id "P999"'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('class "cropland" is not one of'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('labels a sample with design 0000'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('has no label'))).toHaveLength(units.length - 3);
    expect(refused.stderr).toContain('bad.csv:3:');

    const altered = join(sample, '..', 'altered');
    await cli([
      'assess',
      'sample',
      '--aoi',
      AOI,
      '--product',
      'forest-loss',
      '--n',
      '6',
      '--min-per-stratum',
      '2',
      '--out',
      altered,
    ]);
    writeFileSync(
      join(altered, 'map-classes.csv'),
      readFileSync(join(altered, 'map-classes.csv'), 'utf8').replace('forest-loss', 'non-forest'),
    );
    const alteredRun = await cli(['assess', 'estimate', '--sample', altered, '--labels', bad]);
    expect(alteredRun.status).toBe(2);
    expect(alteredRun.stderr).toMatch(/map-classes\.csv: its sha256 is not the one the design records/);
  }, 120_000);

  it('publish: the accuracy asset on the item and the report page; a recomputed item keeps it, marked earlier', async () => {
    const labels = join(sample, '..', 'labels.csv');
    const published = await cli([
      'assess',
      'publish',
      '--sample',
      sample,
      '--labels',
      labels,
      '--by',
      'Test Lab',
      '--on',
      '2026-11-30',
    ]);
    expect(published.stderr).toBe('');
    expect(published.status).toBe(0);
    const withAsset = await item();
    expect(withAsset.assets['accuracy-forest-loss']).toMatchObject({ href: './accuracy/forest-loss.json' });
    expect(await storeProblems(store, AOI)).toEqual([]);
    const asset = JSON.parse(text(await store.get(`${AOI}/${ITEM}/accuracy/forest-loss.json`))) as AccuracyAsset;
    expect(asset.labels).toMatchObject({ by: 'Test Lab', on: '2026-11-30', used: 6, cantTell: 0 });
    expect(asset.inputs).toBe(withAsset.properties['changewatch:inputs']);
    // The sites' dossiers cite the item, which changed: they are rendered again, and say what the assessment says.
    expect(published.stdout).toMatch(/; [1-9]\d* dossier\(s\)$/m);
    const sites: string[] = [];
    for await (const key of store.list(`${AOI}/sites/`)) if (key.endsWith('/evidence.json')) sites.push(key);
    const evidence = JSON.parse(text(await store.get(sites[0]!))) as {
      accuracy: Array<{ design: string; lines: string[] }>;
      outputs: Array<{ asset: string; sha256: string }>;
    };
    expect(evidence.accuracy[0]!.lines[0]).toMatch(
      /^forest-loss over the AOI: [\d,.]+ ha mapped; [\d,]+ ± [\d,]+ ha estimated/,
    );
    const itemSha = createHash('sha256')
      .update((await store.get(itemKey(AOI, ITEM)))!)
      .digest('hex');
    expect(evidence.outputs.find((output) => output.asset === 'item')!.sha256).toBe(itemSha);
    expect(text(await store.get(sites[0]!.replace('evidence.json', 'index.html')))).toContain('id="accuracy"');
    const reportKey = published.stdout.match(/report (\S+?);/)![1]!;
    const html = text(await store.get(reportKey));
    expect(html).toContain('id="accuracy"');
    expect(html).not.toContain('refers to earlier inputs');

    // New parameters: the item is recomputed under new inputs; the assessment stays, and says it is of earlier ones.
    const config = JSON.parse(readFileSync(site.configFile, 'utf8')) as Record<string, unknown>;
    const changed = join(site.dir, 'changed.config.json');
    writeFileSync(changed, JSON.stringify({ ...config, analysis: { forestLoss: { ndviDrop: 0.25 } } }));
    const rerun = await cli(['run'], changed);
    expect(rerun.status).toBe(0);
    const recomputed = await item();
    expect(recomputed.properties['changewatch:inputs']).not.toBe(asset.inputs);
    expect(recomputed.assets['accuracy-forest-loss']).toMatchObject({ 'changewatch:inputs': asset.inputs });
    expect(await store.get(`${AOI}/${ITEM}/accuracy/forest-loss.json`)).not.toBeNull();
    expect(await storeProblems(store, AOI)).toEqual([]);
    const reports: string[] = [];
    for await (const key of store.list(`${AOI}/reports/`)) reports.push(key);
    const pages = await Promise.all(reports.map(async (key) => text(await store.get(key))));
    expect(pages.filter((page) => page.includes('refers to earlier inputs'))).toHaveLength(1);
    const refused = await cli(
      ['assess', 'publish', '--sample', sample, '--labels', labels, '--by', 'Test Lab'],
      changed,
    );
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(
      `its inputs are now ${String(recomputed.properties['changewatch:inputs'])}, the sample's ${asset.inputs}`,
    );
  }, 240_000);
});
