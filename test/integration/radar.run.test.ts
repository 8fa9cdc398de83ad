import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileByteSource } from '../../pipeline/io/byte.source.file.js';
import { RasterReader } from '../../pipeline/io/cog.reader.js';
import type { Summary } from '../../reports/summary.js';
import { BAYTS_MODELS } from '../../workers/radar/bayts.js';
import { detectBlock, type BaytsBlock } from '../../workers/radar/bayts.block.js';
import { DETECTION_STATE } from '../../workers/radar/bayts.detect.js';
import { spatialNormalisation } from '../../workers/radar/deseason.js';
import { RADAR_FOREST_LOSS_CLASSES as C } from '../../workers/products/radar.forest.loss.js';
import {
  BOLIVIA,
  baytsDecimalYear,
  writeBoliviaRadarSite,
  float32WithNaN,
  readBoliviaSeries,
  type BoliviaSeries,
} from '../helpers/bolivia.js';
import { childEnv, CLI, ROOT } from '../helpers/paths.js';

/**
 * `radar-forest-loss` through the nightly run on real data: the bayts test stack's 22 Sentinel-1 VV dates (dB) made a
 * static catalog by `catalog build`, an AOI drawn over its footprint asking for radar forest loss only, baseline
 * 2015-10-01/2015-12-31 and monitoring from 2016-01-01 (the package's example), run by the built CLI into a file
 * store. The published rasters must be the kernel's output on the files themselves (workers/radar/, validated
 * against the R package by radar.bolivia.test.ts), pixel for pixel; against the R package's own output, which fused
 * VV with Landsat NDVI, the agreement is printed.
 */
const DAY_MS = 86_400_000;
const dayOf = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const MONITORING_START = dayOf('2016-01-01');
const STATE_NAMES = ['none', 'flagged', 'confirmed'] as const;

let dir: string;
let summary: Summary;
let rasters: Record<string, Float32Array | Uint8Array | Uint16Array>;
let polygons: { features: Array<{ properties: Record<string, unknown> }> };
let kernel: BaytsBlock;
let vv: BoliviaSeries;
let runOutput: string;

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: childEnv(env), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`changewatch ${args.join(' ')}: exit ${result.status}\n${result.stderr}`);
  return result.stdout;
}

/** The folder of a published item's assets in a store under `dir` (the item's folder holds its JSON and this one). */
function assetsFolder(store: string, itemId: string): string {
  const item = join(dir, store, 'bolivia-bayts', itemId);
  return join(
    item,
    readdirSync(item).find((name) => !name.endsWith('.json'))!,
  );
}

async function readRaster(path: string) {
  const reader = await RasterReader.open(new FileByteSource(path));
  const { width, height } = reader.info;
  const { bands } = await reader.readWindow({ x0: 0, y0: 0, x1: width, y1: height }, { bands: [0] });
  await reader.close();
  return bands[0] as Float32Array | Uint8Array | Uint16Array;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cw-radar-run-'));
  writeBoliviaRadarSite(dir, (args) => cli(args));
  const place = ['--stac', join(dir, 'vv', 'catalog.json'), '--store', `file://${join(dir, 'out')}`];
  runOutput = cli([...place, '--aoi-dir', join(dir, 'aoi'), 'run']);
  const assets = assetsFolder('out', 'bolivia-bayts-2016-01-01-2016-05-31');
  summary = JSON.parse(readFileSync(join(assets, 'summary.json'), 'utf8')) as Summary;
  polygons = JSON.parse(readFileSync(join(assets, 'polygons.geojson'), 'utf8')) as typeof polygons;
  rasters = {};
  for (const key of ['', '-date', '-probability', '-observations']) {
    rasters[key] = await readRaster(join(assets, `radar-forest-loss${key}.tif`));
  }
  vv = await readBoliviaSeries('s1vv_tseries');
  kernel = detectBlock(
    [
      {
        times: vv.images.map((image) => dayOf(image.date)),
        images: vv.images.map((image) => spatialNormalisation(image.values).normalised),
        model: BAYTS_MODELS.s1vvDeseasoned,
      },
    ],
    vv.info.width * vv.info.height,
    { start: MONITORING_START, chi: 0.9, pnfMin: 0.5 },
  );
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The kernel's state as the published class: loss-high confirmed, loss-low an open flag. */
const publishedState = (code: number) =>
  code === C.lossHigh ? DETECTION_STATE.confirmed : code === C.lossLow ? DETECTION_STATE.flagged : DETECTION_STATE.none;

describe('radar-forest-loss through `changewatch run` on the Bolivia VV stack', () => {
  it('publishes on the stack’s own grid, every pass of both periods, radar "observed" figures', () => {
    expect(runOutput).toMatch(/bolivia-bayts\s+ok/);
    expect(summary.grid).toMatchObject({ epsg: 32720, width: 100, height: 100, resolution: 30 });
    expect(summary.grid.transform).toEqual([594555, 30, 0, 8003065, 0, -30]);
    expect(summary.periods.baseline.observationDates).toEqual(['2015-12-30']);
    expect(summary.periods.monitoring.observationDates).toHaveLength(21);
    const product = summary.products['radar-forest-loss']!;
    expect(product.observed!.monitoring).toBeGreaterThan(0.4);
    expect(summary.analyses.notComputed).toEqual({});
    expect(Object.keys(summary.products)).toEqual(['radar-forest-loss']);
    console.log(
      `radar-forest-loss on Bolivia: ${JSON.stringify(product.classes)}; observed ${JSON.stringify(product.observed)}; ` +
        `${product.patches.kept} patches`,
    );
  });

  it('equals the kernel on the files, pixel for pixel: classes, change dates, last probability, pass counts', () => {
    const [classes, date, probability, observations] = ['', '-date', '-probability', '-observations'].map(
      (key) => rasters[key]!,
    ) as [Uint8Array, Uint16Array, Float32Array, Uint16Array];
    let worstProbability = 0;
    let noBaseline = 0;
    for (let i = 0; i < classes.length; i++) {
      expect(publishedState(classes[i]!)).toBe(kernel.state[i]);
      if (kernel.observations[i] === 0) expect(classes[i]).toBe(C.notSeen);
      if (classes[i] === C.noBaseline) noBaseline++;
      expect(observations[i]).toBe(kernel.observations[i]);
      if (kernel.state[i] === DETECTION_STATE.none) expect(date[i]).toBe(65_535);
      else expect(date[i]).toBe(kernel.changeTime[i]);
      if (Number.isNaN(kernel.lastPnf[i]!)) expect(probability[i]).toBeNaN();
      else worstProbability = Math.max(worstProbability, Math.abs(probability[i]! - kernel.lastPnf[i]!));
    }
    expect(worstProbability).toBeLessThan(1e-6);
    console.log(`radar-forest-loss on Bolivia: ${noBaseline} px without a pass before monitoring (no-baseline)`);
    const flagged = kernel.state.filter((state) => state !== DETECTION_STATE.none).length;
    expect(flagged).toBeGreaterThan(1000);
  });

  it('writes polygons with the date of change of their earliest pixel', () => {
    const product = summary.products['radar-forest-loss']!;
    expect(polygons.features).toHaveLength(product.patches.kept);
    const earliest = Math.min(...[...kernel.changeTime].filter((time) => !Number.isNaN(time)));
    const dates = polygons.features.map((feature) => feature.properties['first_seen'] as string);
    expect(dates.every((date) => /^2016-\d\d-\d\d$/.test(date))).toBe(true);
    expect(dates.sort()[0]).toBe(new Date(earliest * DAY_MS).toISOString().slice(0, 10));
    const pixels = polygons.features.reduce((total, feature) => total + (feature.properties['pixels'] as number), 0);
    expect(pixels).toBe(product.classes['loss-low']!.pixels + product.classes['loss-high']!.pixels);
  });

  it('against the R package’s output (VV fused with Landsat NDVI): agreement matrix and change-date offsets', async () => {
    const reference = await RasterReader.open(new FileByteSource(join(BOLIVIA, 'bayts_spatial_result.tif')));
    const { width, height, nodata } = reference.info;
    const read = await reference.readWindow({ x0: 0, y0: 0, x1: width, y1: height }, { bands: [0, 1, 2] });
    await reference.close();
    const [flag, change, confirmed] = read.bands.map((band) => float32WithNaN(band, nodata)) as Float32Array[];
    const theirs = (i: number) =>
      !Number.isNaN(confirmed![i]!)
        ? DETECTION_STATE.confirmed
        : !Number.isNaN(flag![i]!)
          ? DETECTION_STATE.flagged
          : DETECTION_STATE.none;
    const classes = rasters['']! as Uint8Array;
    const date = rasters['-date']! as Uint16Array;
    const matrix = STATE_NAMES.map(() => STATE_NAMES.map(() => 0));
    const offsets = new Map<number, number>();
    const passYears = vv.images.map((image) => baytsDecimalYear(image.date));
    for (let i = 0; i < classes.length; i++) {
      const ours = publishedState(classes[i]!);
      matrix[ours]![theirs(i)]! += 1;
      if (ours === DETECTION_STATE.none || theirs(i) === DETECTION_STATE.none) continue;
      const time = theirs(i) === DETECTION_STATE.confirmed ? change![i]! : flag![i]!;
      // Offset in the pixel's VV passes: 0 on the same date, else the passes in (earlier, later] (R's may be a
      // Landsat date).
      const mine = baytsDecimalYear(new Date(date[i]! * DAY_MS).toISOString().slice(0, 10));
      const [from, to] = mine < time ? [mine, time] : [time, mine];
      const between =
        Math.abs(mine - time) < 0.5 / 365
          ? 0
          : passYears.filter((year, k) => !Number.isNaN(vv.images[k]!.values[i]!) && year > from && year <= to).length;
      offsets.set(between, (offsets.get(between) ?? 0) + 1);
    }
    const agree = matrix.reduce((sum, row, k) => sum + row[k]!, 0);
    const loss = (state: number) => state !== DETECTION_STATE.none;
    let both = 0;
    let either = 0;
    for (let i = 0; i < classes.length; i++) {
      const [a, b] = [loss(publishedState(classes[i]!)), loss(theirs(i))];
      if (a && b) both++;
      if (a || b) either++;
    }
    const compared = [...offsets.values()].reduce((a, b) => a + b, 0);
    const within1 = (offsets.get(0) ?? 0) + (offsets.get(1) ?? 0);
    console.log(
      `published radar-forest-loss (VV only) vs R bayts_spatial_result.tif (VV + NDVI); rows ours, columns R (${STATE_NAMES.join(' / ')}):\n` +
        matrix
          .map((row, k) => `  ${STATE_NAMES[k]!.padEnd(9)} ${row.map((n) => String(n).padStart(6)).join('')}`)
          .join('\n') +
        `\n  same state ${agree} / ${classes.length} px (${((100 * agree) / classes.length).toFixed(2)} %); flagged by both ${both} of ${either} flagged by either` +
        ` (${((100 * both) / either).toFixed(1)} %)\n  change date offset, in VV passes of the pixel, over the ${compared} px both flag: ` +
        [...offsets.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([offset, n]) => `${offset}: ${n}`)
          .join(', ') +
        ` (within one pass: ${((100 * within1) / compared).toFixed(1)} %)`,
    );
    expect(agree / classes.length).toBeGreaterThan(0.9);
    expect(within1 / compared).toBeGreaterThan(0.8);
  });

  it('a second run finds nothing new', () => {
    const place = ['--stac', join(dir, 'vv', 'catalog.json'), '--store', `file://${join(dir, 'out')}`];
    expect(cli([...place, '--aoi-dir', join(dir, 'aoi'), 'run'])).toMatch(/bolivia-bayts\s+nothing-new/);
  });
});

/**
 * Fusion in the run: the same AOI over a catalog holding the VV files and the stack's 14 Landsat NDVI files
 * (catalogued `--bands ndvi`, their no-data kept as unobserved rather than as cloud cover, so every date is used as
 * the R package used it), asking for radar forest loss and optical forest loss. Radar forest loss fuses their clear
 * NDVI, each date normalised by its own AOI quantile, as the R package's raster example did: its output must be the
 * package's. Optical forest loss composites the NDVI exports; their only baseline date (2015-12-25) is all cloud, so
 * it has no clear baseline anywhere, and every radar change is one optical could not see.
 */
describe('radar-forest-loss fused with Landsat NDVI through `changewatch run`, against the R package', () => {
  let fused: { summary: Summary; classes: Uint8Array; date: Uint16Array };
  let reference: Float32Array[];

  beforeAll(async () => {
    const ndvi = ['catalog', 'build', join(BOLIVIA, 'lndvi_tseries'), '--out', join(dir, 'ndvi', 'catalog.json')];
    cli([...ndvi, '--bands', 'ndvi', '--scale', '1', '--no-nodata-is-cloud']);
    const child = (href: string) => ({ rel: 'child', href });
    const root = { type: 'Catalog', stac_version: '1.0.0', id: 'bolivia-bayts', description: 'VV and NDVI' };
    const links = [{ rel: 'root', href: './catalog.json' }, child('./vv/catalog.json'), child('./ndvi/catalog.json')];
    writeFileSync(join(dir, 'catalog.json'), JSON.stringify({ ...root, links }));
    mkdirSync(join(dir, 'aoi-fused'));
    const aoi = JSON.parse(readFileSync(join(dir, 'aoi', 'bolivia-bayts.geojson'), 'utf8')) as {
      properties: Record<string, unknown>;
    };
    aoi.properties['analyses'] = ['forest-loss', 'radar-forest-loss'];
    writeFileSync(join(dir, 'aoi-fused', 'bolivia-bayts.geojson'), JSON.stringify(aoi));
    const place = ['--stac', join(dir, 'catalog.json'), '--store', `file://${join(dir, 'out-fused')}`];
    expect(cli([...place, '--aoi-dir', join(dir, 'aoi-fused'), 'run'])).toMatch(/bolivia-bayts\s+ok/);
    const assets = assetsFolder('out-fused', 'bolivia-bayts-2016-01-01-2016-05-31');
    fused = {
      summary: JSON.parse(readFileSync(join(assets, 'summary.json'), 'utf8')) as Summary,
      classes: (await readRaster(join(assets, 'radar-forest-loss.tif'))) as Uint8Array,
      date: (await readRaster(join(assets, 'radar-forest-loss-date.tif'))) as Uint16Array,
    };
    const file = await RasterReader.open(new FileByteSource(join(BOLIVIA, 'bayts_spatial_result.tif')));
    const { width, height, nodata } = file.info;
    const read = await file.readWindow({ x0: 0, y0: 0, x1: width, y1: height }, { bands: [0, 1, 2] });
    await file.close();
    reference = read.bands.map((band) => float32WithNaN(band, nodata));
  }, 300_000);

  it('uses both sensors’ dates; optical forest loss, with no clear baseline, leaves every radar change unseen by it', () => {
    const { summary: fusedSummary } = fused;
    expect(fusedSummary.periods.baseline.observationDates).toEqual(['2015-12-25', '2015-12-30']);
    expect(fusedSummary.periods.monitoring.observationDates).toHaveLength(30);
    expect(Object.keys(fusedSummary.products)).toEqual(['forest-loss', 'radar-forest-loss']);
    expect(fusedSummary.periods.baseline.clearFraction).toBe(0);
    expect(fusedSummary.products['forest-loss']!.classes['not-seen']!.pixels).toBe(10_000);
    const agreement = fusedSummary.products['radar-forest-loss']!.agreement!;
    expect(agreement.onlyThisUnseenByOther.pixels).toBe(1592);
    expect(agreement.both.pixels + agreement.onlyThis.pixels + agreement.onlyOther.pixels).toBe(0);
    // Fused: the radar product holds the optical observations, so its agreement is not two sensors'.
    expect(agreement.independent).toBe(false);
    expect(fusedSummary.caveats.some((text) => text.startsWith('Not two independent sensors'))).toBe(true);
    expect(fusedSummary.caveats.some((text) => text.startsWith('Both sensors:'))).toBe(false);
  });

  it('flags the same pixels as the R package and dates every change on the same observation', () => {
    const [flag, change, confirmed] = reference as [Float32Array, Float32Array, Float32Array];
    const theirs = (i: number) =>
      !Number.isNaN(confirmed[i]!)
        ? DETECTION_STATE.confirmed
        : !Number.isNaN(flag[i]!)
          ? DETECTION_STATE.flagged
          : DETECTION_STATE.none;
    const matrix = STATE_NAMES.map(() => STATE_NAMES.map(() => 0));
    let sameDate = 0;
    let compared = 0;
    for (let i = 0; i < fused.classes.length; i++) {
      const ours = publishedState(fused.classes[i]!);
      matrix[ours]![theirs(i)]! += 1;
      if (ours === DETECTION_STATE.none || ours !== theirs(i)) continue;
      compared++;
      const time = ours === DETECTION_STATE.confirmed ? change[i]! : flag[i]!;
      const mine = baytsDecimalYear(new Date(fused.date[i]! * DAY_MS).toISOString().slice(0, 10));
      if (Math.abs(mine - time) < 0.5 / 365) sameDate++;
    }
    const agree = matrix.reduce((sum, row, k) => sum + row[k]!, 0);
    console.log(
      `published radar-forest-loss (VV + Landsat NDVI) vs R bayts_spatial_result.tif; rows ours, columns R (${STATE_NAMES.join(' / ')}):\n` +
        matrix
          .map((row, k) => `  ${STATE_NAMES[k]!.padEnd(9)} ${row.map((n) => String(n).padStart(6)).join('')}`)
          .join('\n') +
        `\n  same state ${agree} / ${fused.classes.length} px; change dated on the same observation ${sameDate} / ${compared} px`,
    );
    expect(agree).toBe(fused.classes.length);
    expect(matrix[DETECTION_STATE.confirmed]![DETECTION_STATE.confirmed]).toBe(1579);
    expect(sameDate).toBe(compared);
  });
});

/**
 * Both sensors on one AOI: optical forest loss (from the NDVI exports' composites) and radar forest loss (VV alone,
 * `fuseOptical` false, so the two are independent), baseline January 2016 and monitoring from February. Landsat saw
 * 41 % of the footprint clear once in January (the 18th), after most of the clearing: the summary's `agreement`
 * says where both saw loss, where radar saw it and Landsat saw nothing clear, and where radar saw it and Landsat saw
 * the ground; the figures must be the published rasters', pixel for pixel.
 */
describe('optical and radar forest loss on one AOI: which sensor saw what', () => {
  let both: { summary: Summary; optical: Uint8Array; radar: Uint8Array; date: Uint16Array };

  beforeAll(async () => {
    mkdirSync(join(dir, 'aoi-both'));
    const aoi = JSON.parse(readFileSync(join(dir, 'aoi-fused', 'bolivia-bayts.geojson'), 'utf8')) as {
      properties: Record<string, unknown>;
    };
    aoi.properties['windows'] = { baseline: '2016-01-01/2016-01-31', monitoring: '2016-02-01/2016-05-31' };
    writeFileSync(join(dir, 'aoi-both', 'bolivia-bayts.geojson'), JSON.stringify(aoi));
    const place = ['--stac', join(dir, 'catalog.json'), '--store', `file://${join(dir, 'out-both')}`];
    const env = { CHANGEWATCH_ANALYSIS_RADAR_FOREST_LOSS_FUSE_OPTICAL: 'false' };
    expect(cli([...place, '--aoi-dir', join(dir, 'aoi-both'), 'run'], env)).toMatch(/bolivia-bayts\s+ok/);
    const assets = assetsFolder('out-both', 'bolivia-bayts-2016-02-01-2016-05-31');
    both = {
      summary: JSON.parse(readFileSync(join(assets, 'summary.json'), 'utf8')) as Summary,
      optical: (await readRaster(join(assets, 'forest-loss.tif'))) as Uint8Array,
      radar: (await readRaster(join(assets, 'radar-forest-loss.tif'))) as Uint8Array,
      date: (await readRaster(join(assets, 'radar-forest-loss-date.tif'))) as Uint16Array,
    };
  }, 300_000);

  it('counts, from the published rasters, the change each sensor saw and where the other could not see', () => {
    const agreement = both.summary.products['radar-forest-loss']!.agreement!;
    expect(agreement.with).toBe('forest-loss');
    expect(agreement.independent).toBe(true);
    const counts = { both: 0, onlyThis: 0, onlyThisUnseenByOther: 0, onlyOther: 0 };
    let undated = 0;
    for (let i = 0; i < both.radar.length; i++) {
      const radar = both.radar[i] === C.lossLow || both.radar[i] === C.lossHigh;
      const optical = both.optical[i] === 3;
      if (radar && both.date[i] === 65_535) undated++;
      if (radar && optical) counts.both++;
      else if (radar) counts[both.optical[i] === 0 ? 'onlyThisUnseenByOther' : 'onlyThis']++;
      else if (optical) counts.onlyOther++;
    }
    for (const key of Object.keys(counts) as Array<keyof typeof counts>) {
      expect(agreement[key].pixels).toBe(counts[key]);
    }
    expect(undated).toBe(0);
    expect(counts.onlyThisUnseenByOther).toBeGreaterThan(100);
    const caveat = both.summary.caveats.find((text) => text.startsWith('Both sensors:'));
    expect(caveat).toContain(`${agreement.onlyThisUnseenByOther.hectares.toFixed(2)} ha is in radar-forest-loss only`);
    console.log(
      `forest-loss (Landsat NDVI composites) vs radar-forest-loss (VV alone), Jan vs Feb-May 2016: ${JSON.stringify(agreement)}; ` +
        `optical clear fraction baseline ${both.summary.periods.baseline.clearFraction}, monitoring ${both.summary.periods.monitoring.clearFraction}`,
    );
  });
});
