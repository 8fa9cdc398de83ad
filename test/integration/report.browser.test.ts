import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import sharp from 'sharp';
import geographiclib from 'geographiclib-geodesic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromCrs } from '../../aoi/aoi.project.js';
import type { Summary } from '../../reports/summary.js';
import { runBalePair } from '../helpers/bale.js';
import { storedAssetPath } from '../helpers/store.asset.js';
import { childEnv, ROOT } from '../helpers/paths.js';
import { serveFolder } from '../../pipeline/io/folder.server.js';

/**
 * The demo's HTML report in a real browser: Debian's chromium driven by playwright-core (never a browser
 * download), the store served from loopback as an S3 website endpoint would serve it. Screenshots go to
 * test-artifacts/.
 */
const CHROMIUM = '/usr/bin/chromium';
const OFFLINE_BASEMAP = 'http://127.0.0.1:9';
const ARTIFACTS = join(ROOT, 'test-artifacts');
let browser: Browser;
let server: Awaited<ReturnType<typeof serveFolder>>;
let store: string;
let summary: Summary;
let summaryKey: string;

beforeAll(async () => {
  store = mkdtempSync(join(tmpdir(), 'cw-report-'));
  // A basemap on a port nothing listens on: the page must offer it, leave it off, and never ask for its tiles.
  const env = childEnv({
    CHANGEWATCH_STORE_URL: `file://${store}`,
    CHANGEWATCH_REPORTS_BASEMAP_URL: `${OFFLINE_BASEMAP}/{z}/{x}/{y}.png`,
    CHANGEWATCH_REPORTS_BASEMAP_ATTRIBUTION: 'Test tiles',
  });
  const demo = spawnSync(process.execPath, [join(ROOT, 'dist', 'pipeline', 'tools', 'demo.js')], {
    cwd: ROOT,
    encoding: 'utf8',
    env,
  });
  expect(demo.status, demo.stderr).toBe(0);
  summaryKey = /^ {2}summary +(\S+)$/m.exec(demo.stdout)![1]!;
  summary = JSON.parse(readFileSync(join(store, summaryKey), 'utf8')) as Summary;
  server = await serveFolder(store);
  mkdirSync(ARTIFACTS, { recursive: true });
  expect(existsSync(CHROMIUM), `${CHROMIUM}: run test/setup.sh (apt-get install chromium)`).toBe(true);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A page that records console errors and failed requests, and refuses anything beyond the loopback server. */
async function openPage(
  path: string,
  onRequest?: (request: Request) => void,
  origin = server.url,
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  if (onRequest) page.on('request', onRequest);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  await page.route('**/*', (route) =>
    route.request().url().startsWith(origin) ? route.continue() : route.abort('blockedbyclient'),
  );
  await page.goto(`${origin}/${path}`, { waitUntil: 'networkidle' });
  return { page, problems };
}

describe('HTML report (chromium)', () => {
  it('the index lists the AOI with its latest run and links to its report', async () => {
    const { page, problems } = await openPage('index.html');
    const row = page.locator('tr[data-aoi="bukavu-demo"]');
    await expect(row.count()).resolves.toBe(1);
    const cells = await row.locator('td').allInnerTexts();
    expect(cells[3]).toBe('ok');
    expect(cells[5]).toBe(
      summary.products['forest-loss']!.classes['forest-loss']!.hectares.toLocaleString('en-US', {
        minimumFractionDigits: 2,
        maximumFractionDigits: 2,
      }),
    );
    await page.screenshot({ path: join(ARTIFACTS, 'report-index.png'), fullPage: true });
    await row.locator('a', { hasText: 'report' }).click();
    await page.waitForLoadState('networkidle');
    expect(page.url()).toMatch(/\/bukavu-demo\/reports\/[^/]+\.html$/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the AOI report shows the summary figures, loads every image offline, and its slider changes the image', async () => {
    const index = readFileSync(join(store, 'index.html'), 'utf8');
    const href = /href="\.\/(bukavu-demo\/reports\/[^"]+\.html)"/.exec(index)![1]!;
    const { page, problems } = await openPage(href);
    const product = summary.products['forest-loss']!;
    const fixed = (value: number) =>
      value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    for (const [name, tally] of Object.entries(product.classes)) {
      const row = page.locator(`#classes tr[data-class="${name}"]`);
      await expect(row.locator('td[data-hectares]').getAttribute('data-hectares')).resolves.toBe(
        String(tally.hectares),
      );
      await expect(row.locator('td[data-hectares]').innerText()).resolves.toBe(fixed(tally.hectares));
      await expect(row.locator('td[data-pixels]').getAttribute('data-pixels')).resolves.toBe(String(tally.pixels));
    }
    for (const [name, tally] of Object.entries(product.confidence)) {
      await expect(
        page.locator(`#confidence tr[data-confidence="${name}"] td[data-hectares]`).innerText(),
      ).resolves.toBe(fixed(tally.hectares));
    }
    await expect(page.locator('#clear-monitoring').getAttribute('data-fraction')).resolves.toBe(
      String(summary.periods.monitoring.clearFraction),
    );
    await expect(page.locator('#scenes tbody tr').count()).resolves.toBe(
      summary.periods.baseline.scenes.length + summary.periods.monitoring.scenes.length,
    );
    await expect(page.locator('#caveats li').count()).resolves.toBe(summary.caveats.length);
    await expect(page.locator('#cite').innerText()).resolves.toContain(summary.inputs);
    // Every image decoded (no broken links), the history chart and outline drawn.
    const images = await page
      .locator('img')
      .evaluateAll((imgs) => imgs.map((img) => (img as unknown as { naturalWidth: number }).naturalWidth));
    expect(images.every((width) => width > 0)).toBe(true);
    await expect(page.locator('#history rect').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('#outline path').count()).resolves.toBeGreaterThan(0);
    // The sites table holds every active site of sites.geojson, largest first; a click on "hectares" sorts it.
    const sites = JSON.parse(readFileSync(join(store, 'bukavu-demo', 'sites.geojson'), 'utf8')) as {
      features: Array<{ properties: { state: string; hectares: number } }>;
    };
    const active = sites.features.filter((feature) => feature.properties.state !== 'merged');
    await expect(page.locator('#sites tbody tr').count()).resolves.toBe(active.length);
    const hectares = () =>
      page
        .locator('#sites tbody td[data-value]')
        .evaluateAll((cells) =>
          cells.map((cell) => Number((cell as unknown as { dataset: { value: string } }).dataset.value)),
        );
    const largestFirst = await hectares();
    expect(largestFirst).toEqual([...largestFirst].sort((a, b) => b - a));
    await page.locator('#sites th', { hasText: 'hectares' }).click();
    await page.locator('#sites th', { hasText: 'hectares' }).click();
    expect(await hectares()).toEqual([...largestFirst].sort((a, b) => a - b));
    // Download links resolve.
    for (const link of await page
      .locator('#downloads a')
      .evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href))) {
      const response = await page.request.get(link);
      expect(response.status(), link).toBe(200);
    }

    const view = page.locator('#compare-view');
    await page.screenshot({ path: join(ARTIFACTS, 'report-aoi.png'), fullPage: true });
    const half = await view.screenshot({ path: join(ARTIFACTS, 'report-compare-50.png') });
    await page.locator('#compare').fill('5');
    await expect(
      page.locator('#after').evaluate((img) => (img as unknown as { style: { clipPath: string } }).style.clipPath),
    ).resolves.toBe('inset(0px 0px 0px 5%)');
    const mostlyAfter = await view.screenshot({ path: join(ARTIFACTS, 'report-compare-5.png') });
    expect(Buffer.compare(half, mostlyAfter)).not.toBe(0);
    await page.locator('input[name=after][value=monitoring]').check();
    // Loss as a share of the baseline forest (stable forest + loss), next to the headline figure.
    const classes = product.classes;
    const forest = classes['stable-forest']!.hectares + classes['forest-loss']!.hectares;
    await expect(page.locator('#share').innerText()).resolves.toContain(
      `${((classes['forest-loss']!.hectares / forest) * 100).toFixed(1)} % of the baseline forest`,
    );
    // Every table has a CSV link; the class table's CSV has its rows as shown.
    await expect(page.locator('a.csv').count()).resolves.toBe(await page.locator('main table[id]').count());
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#classes + a.csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(csv[0]).toBe('class,hectares,pixels,share of AOI');
    expect(csv).toHaveLength(1 + Object.keys(classes).length);
    const quoted = (text: string) => (text.includes(',') ? `"${text}"` : text);
    const loss = classes['forest-loss']!;
    expect(csv.find((line) => line.startsWith('forest-loss,'))).toMatch(
      new RegExp(`^forest-loss,${quoted(fixed(loss.hectares))},${quoted(loss.pixels.toLocaleString('en-US'))},`),
    );
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the sites table links each site to its dossier page, served over HTTP and opened from the folder store', async () => {
    const index = readFileSync(join(store, 'index.html'), 'utf8');
    const href = /href="\.\/(bukavu-demo\/reports\/[^"]+\.html)"/.exec(index)![1]!;
    const { page, problems } = await openPage(href);
    const links = await page
      .locator('#sites tbody tr')
      .evaluateAll((rows) =>
        rows.map((row) => [
          (row as unknown as { dataset: { site: string } }).dataset.site,
          row.querySelector('a.dossier')?.getAttribute('href') ?? null,
        ]),
      );
    const dossiers = JSON.parse(readFileSync(join(store, 'bukavu-demo', 'sites', 'dossiers.json'), 'utf8')) as {
      dossiers: Record<string, unknown>;
    };
    expect(links.length).toBeGreaterThan(0);
    expect(links.map(([site]) => site).sort()).toEqual(Object.keys(dossiers.dossiers).sort());
    for (const [site, link] of links) {
      expect(link, site).toBe(`../sites/${site}/index.html`);
      // From the folder store: the relative link names the dossier's page file (no folder index needed).
      expect(existsSync(resolve(dirname(join(store, href)), link!)), link!).toBe(true);
    }
    // Sorting by site id keeps each link on its row; then the first site's link opens its dossier over HTTP.
    await page.locator('#sites th', { hasText: 'site' }).first().click();
    const ids = await page
      .locator('#sites tbody tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-site')));
    expect(ids).toEqual([...ids].sort().reverse());
    const first = page.locator('#sites tbody tr').first();
    const site = (await first.getAttribute('data-site'))!;
    await first.locator('a.dossier').click();
    await page.waitForLoadState('networkidle');
    expect(page.url()).toBe(`${server.url}/bukavu-demo/sites/${site}/index.html`);
    await expect(page.locator('h1#site').innerText()).resolves.toBe(site);
    await page.screenshot({ path: join(ARTIFACTS, 'report-dossier-from-table.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();

    // The same page opened from the folder store as files, with every request beyond file:// refused.
    const local = await browser.newPage();
    const failures: string[] = [];
    local.on('requestfailed', (request) => failures.push(`failed: ${request.url()}`));
    local.on('pageerror', (error) => failures.push(`page error: ${error.message}`));
    await local.route('**/*', (route) =>
      route.request().url().startsWith('file://') ? route.continue() : route.abort('blockedbyclient'),
    );
    await local.goto(pathToFileURL(join(store, href)).href, { waitUntil: 'load' });
    await local.locator(`#sites tr[data-site="${site}"] a.dossier`).click();
    await local.waitForLoadState('load');
    expect(local.url()).toBe(pathToFileURL(join(store, 'bukavu-demo', 'sites', site, 'index.html')).href);
    await expect(local.locator('h1#site').innerText()).resolves.toBe(site);
    expect(failures).toEqual([]);
    await local.close();
  });

  it('a report pulled to a local folder works from file:// with no server at all', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'cw-pulled-'));
    const env = childEnv({ CHANGEWATCH_STORE_URL: `file://${store}` });
    const pull = spawnSync(
      process.execPath,
      [join(ROOT, 'dist', 'pipeline', 'main.js'), 'reports', 'pull', '--aoi', 'bukavu-demo', '--dest', dest],
      { encoding: 'utf8', env },
    );
    expect(pull.status, pull.stderr).toBe(0);
    const opened = /open (\S+\.html)$/m.exec(pull.stdout)![1]!;
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
    await page.route('**/*', (route) =>
      route.request().url().startsWith('file://') ? route.continue() : route.abort('blockedbyclient'),
    );
    await page.goto(`file://${opened}`, { waitUntil: 'load' });
    const widths = await page
      .locator('img')
      .evaluateAll((imgs) => imgs.map((img) => (img as unknown as { naturalWidth: number }).naturalWidth));
    expect(widths.length).toBeGreaterThan(1);
    expect(widths.every((width) => width > 0)).toBe(true);
    await expect(
      page.locator('#classes tr[data-class="forest-loss"] td[data-pixels]').getAttribute('data-pixels'),
    ).resolves.toBe(String(summary.products['forest-loss']!.classes['forest-loss']!.pixels));
    // The sites table's dossier links open in the pulled copy too: every one names a file that is there.
    const dossiers = await page
      .locator('#sites a[href$="index.html"]')
      .evaluateAll((links) => links.map((link) => (link as unknown as { href: string }).href));
    expect(dossiers.length).toBeGreaterThan(0);
    expect(dossiers.filter((href) => !existsSync(fileURLToPath(href)))).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('the report page map (chromium)', () => {
  interface Patch {
    properties: { product: string; class: string; hectares: number };
    geometry: { type: string };
  }

  it('reads the COGs by range requests, finer overviews when zooming in, with no console error', async () => {
    const index = readFileSync(join(store, 'index.html'), 'utf8');
    const href = /href="\.\/(bukavu-demo\/reports\/[^"]+\.html)"/.exec(index)![1]!;
    const ranges: string[] = [];
    const requested: string[] = [];
    const { page, problems } = await openPage(href, (request) => {
      requested.push(request.url());
      const range = request.headers()['range'];
      if (range && request.url().endsWith('.tif')) ranges.push(`${request.url().split('/').pop()} ${range}`);
    });
    const ready = () => page.waitForFunction("document.body.dataset.map === 'ready'", null, { timeout: 60_000 });
    await ready();
    const overview = [...ranges];
    expect(overview.length).toBeGreaterThan(0);
    await expect(page.locator('#map-legend').innerText()).resolves.toMatch(/3 forest-loss[\s\S]*0\.90/);
    await page.locator('#map').screenshot({ path: join(ARTIFACTS, 'report-map.png') });
    // The largest patch of polygons.geojson, zoomed to full resolution, clicked at a point inside it.
    const patches = JSON.parse(
      readFileSync(join(store, summaryKey.replace(/summary\.json$/, 'polygons.geojson')), 'utf8'),
    ) as { features: Patch[] };
    const largest = [...patches.features].sort((a, b) => b.properties.hectares - a.properties.hectares)[0]!;
    await page.evaluate("document.body.dataset.map = ''");
    const pixel = await page.evaluate((hectares) => {
      const map = (globalThis as unknown as { changewatchMap: MapLike }).changewatchMap;
      const layer = map
        .getLayers()
        .getArray()
        .find((candidate) => candidate.get('id') === 'polygons')!;
      const feature = layer
        .getSource()
        .getFeatures()
        .find((f) => f.get('hectares') === hectares)!;
      const geometry = feature.getGeometry();
      const point =
        geometry.getType() === 'Polygon'
          ? geometry.getInteriorPoint().getCoordinates()
          : geometry.getInteriorPoints().getFirstCoordinate();
      map.getView().setCenter(point);
      map.getView().setResolution(2.5);
      map.renderSync();
      return map.getPixelFromCoordinate(point);
    }, largest.properties.hectares);
    await ready();
    const zoomed = ranges.slice(overview.length);
    // Full resolution needs tiles of the finest level: new ranges, none of which the overview view had read.
    expect(zoomed.length).toBeGreaterThan(0);
    expect(zoomed.filter((range) => overview.includes(range))).toEqual([]);
    await page.locator('#map').screenshot({ path: join(ARTIFACTS, 'report-map-zoomed.png') });
    await page.locator('#map').click({ position: { x: pixel[0]!, y: pixel[1]! } });
    // OpenLayers waits out a double-click before a single click counts.
    await page.waitForSelector('#map-popup:not([hidden])');
    await expect(page.locator('#map-popup').innerText()).resolves.toContain(largest.properties.hectares.toFixed(4));
    await page.locator('#map').screenshot({ path: join(ARTIFACTS, 'report-map-popup.png') });
    // The swipe: the top layer (forest-loss classes) over the monitoring NDVI, fully and not at all.
    const full = await page.locator('#map').screenshot();
    await page.locator('#map-swipe').fill('0');
    await page.waitForTimeout(300);
    const none = await page.locator('#map').screenshot();
    expect(Buffer.compare(full, none)).not.toBe(0);
    // Download figure: the view at 180 mm and 300 dpi, its scale bar right within 1 % of the ground distance.
    const [figure] = await Promise.all([page.waitForEvent('download'), page.locator('#map-download').click()]);
    const png = readFileSync((await figure.path())!);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.density]).toEqual(['png', Math.round((180 / 25.4) * 300), 300]);
    const text = pngText(png);
    const [barMetres, barPixels] = /^(\d+) m = ([\d.]+) px$/.exec(text['ScaleBar']!)!.slice(1).map(Number);
    const [, x, y, grid] = /at ([\d.]+) ([\d.]+) \(EPSG:32735\), grid ([\d.]+)$/
      .exec(text['GroundResolution']!)!
      .map(Number);
    const toLonLat = fromCrs(32735);
    const [west, east] = [toLonLat([x! - grid! / 2, y!]), toLonLat([x! + grid! / 2, y!])];
    const metresPerPixel = geographiclib.Geodesic.WGS84.Inverse(west[1]!, west[0]!, east[1]!, east[0]!).s12!;
    expect(Math.abs(barPixels! * metresPerPixel - barMetres!) / barMetres!).toBeLessThan(0.01);
    expect(text['Copyright']).toBe('Contains modified Copernicus Sentinel data 2021.');
    writeFileSync(join(ARTIFACTS, 'report-map-figure.png'), png);
    await expect(page.locator('#map-basemap').isVisible()).resolves.toBe(true);
    await expect(page.locator('#map-basemap').isChecked()).resolves.toBe(false);
    expect(requested.filter((url) => url.startsWith(OFFLINE_BASEMAP))).toEqual([]);
    console.info(
      `map range requests: ${overview.length} at the AOI view, ${zoomed.length} more at 2.5 m per screen pixel`,
    );
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);
});

describe('the report page map of a Landsat run with colour composites (chromium)', () => {
  it('shows the true-colour composite as the COG holds it under the swipe, its legend naming band and stretch', async () => {
    const bale = await runBalePair({ id: 'bale-map', name: 'Bale Mountains pair (map)' });
    const baleServer = await serveFolder(bale.store);
    try {
      const reports = join(bale.store, 'bale-map', 'reports');
      const page = readdirSync(reports).find((name) => name.endsWith('.html'))!;
      const { page: tab, problems } = await openPage(`bale-map/reports/${page}`, undefined, baleServer.url);
      await tab.waitForFunction("document.body.dataset.map === 'ready'", null, { timeout: 60_000 });
      await expect(tab.locator('#map-bottom').inputValue()).resolves.toBe('composite-monitoring');
      await expect(tab.locator('#map-legend').innerText()).resolves.toContain('red: red reflectance 0–0.2');
      // The composite alone (every other layer hidden), zoomed so one 30 m pixel is 15 screen px.
      const composite = storedAssetPath(bale.store, 'bale-map', 'composite-monitoring');
      const [cogX, cogPixel, , cogY] = gdalTransform(composite);
      const points = [
        [30, 60],
        [48, 48],
        [70, 25],
      ] as const;
      for (const [column, row] of points) {
        const centre = [cogX + (column + 0.5) * cogPixel, cogY - (row + 0.5) * cogPixel];
        await tab.evaluate("document.body.dataset.map = ''");
        const pixel = await tab.evaluate((point) => {
          const map = (globalThis as unknown as { changewatchMap: MapLike }).changewatchMap;
          for (const layer of map.getLayers().getArray()) layer.setVisible(layer.get('id') === 'composite-monitoring');
          map.getView().setCenter(point);
          map.getView().setResolution(2);
          map.renderSync();
          return map.getPixelFromCoordinate(point);
        }, centre);
        await tab.waitForFunction("document.body.dataset.map === 'ready'", null, { timeout: 60_000 });
        const shot = await sharp(await tab.locator('#map').screenshot())
          .raw()
          .toBuffer({ resolveWithObject: true });
        const o = (Math.round(pixel[1]!) * shot.info.width + Math.round(pixel[0]!)) * shot.info.channels;
        const expected = spawnSync(
          'gdallocationinfo',
          ['-valonly', '-geoloc', composite, String(centre[0]), String(centre[1])],
          { encoding: 'utf8' },
        )
          .stdout.trim()
          .split('\n')
          .map(Number);
        const shown = [shot.data[o]!, shot.data[o + 1]!, shot.data[o + 2]!];
        // WebGL draws the bytes as they are (no interpolation, no stretch); the screenshot's colour path may round.
        shown.forEach((value, k) =>
          expect(Math.abs(value - expected[k]!), `${column},${row}: ${shown} vs ${expected}`).toBeLessThanOrEqual(2),
        );
      }
      await tab.locator('#map').screenshot({ path: join(ARTIFACTS, 'report-map-true-colour.png') });
      expect(problems).toEqual([]);
      await tab.close();
    } finally {
      await baleServer.close();
    }
  }, 180_000);
});

function gdalTransform(file: string): number[] {
  const info = spawnSync('gdalinfo', ['-json', file], { encoding: 'utf8' });
  return (JSON.parse(info.stdout) as { geoTransform: number[] }).geoTransform;
}

interface MapLike {
  getLayers(): {
    getArray(): Array<{
      get(key: string): unknown;
      getSource(): { getFeatures(): FeatureLike[] };
      setVisible(visible: boolean): void;
    }>;
  };
  getView(): { setCenter(point: number[]): void; setResolution(resolution: number): void };
  renderSync(): void;
  getPixelFromCoordinate(point: number[]): number[];
}
interface FeatureLike {
  get(key: string): unknown;
  getGeometry(): {
    getType(): string;
    getInteriorPoint(): { getCoordinates(): number[] };
    getInteriorPoints(): { getFirstCoordinate(): number[] };
  };
}

/** The `tEXt` chunks of a PNG, keyword → text. */
function pngText(png: Buffer): Record<string, string> {
  const text: Record<string, string> = {};
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'tEXt') {
      const [key, value] = png.toString('latin1', at + 8, at + 8 + length).split('\0');
      text[key!] = value!;
    }
    at += 12 + length;
  }
  return text;
}
