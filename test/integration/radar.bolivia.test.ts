import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileByteSource } from '../../pipeline/io/byte.source.file.js';
import { RasterReader } from '../../pipeline/io/cog.reader.js';
import { BAYTS_MODELS } from '../../workers/radar/bayts.js';
import { detectBlock, type BaytsBlock } from '../../workers/radar/bayts.block.js';
import { DETECTION_STATE } from '../../workers/radar/bayts.detect.js';
import { spatialNormalisation } from '../../workers/radar/deseason.js';
import { decibelsToLinear, linearToDecibels, multitemporalFilter } from '../../workers/radar/speckle.js';
import {
  BOLIVIA,
  baytsDecimalYear,
  float32WithNaN,
  readBoliviaSeries,
  type BoliviaSeries,
} from '../helpers/bolivia.js';

/**
 * bayts on the whole Bolivia stack (22 Sentinel-1 VV dates, 14 Landsat NDVI dates, 100 × 100 px of 30 m), read with
 * changewatch's reader, against (1) the R package's own output on that stack (bayts_spatial_result.tif: flag,
 * change.flagged, change.confirmed, Pflag, Pchange.confirmed; dates as bfastts decimal years) and (2) Hansen Global
 * Forest Change v1.7 loss year, reprojected by GDAL onto the grid. Parameters of the package's raster example
 * (bayts_raster_example_v01.R): spatial normalisation by the 95th percentile, the deseasoned models, chi 0.9,
 * monitoring from 2016. The figures are printed.
 */
const PARAMS = { start: 2016, chi: 0.9, pnfMin: 0.5 };
const STATE_NAMES = ['none', 'flagged', 'confirmed'] as const;
let vv: BoliviaSeries;
let ndvi: BoliviaSeries;
let ours: BaytsBlock;
/** The same run on one sensor alone: what radar sees without Landsat, and Landsat without radar. */
let radarOnly: BaytsBlock;
let opticalOnly: BaytsBlock;
let reference: Float32Array[];
let hansen: Uint8Array;
let observed: Uint8Array;
let dir: string;

async function readAll(path: string): Promise<{ bands: Float32Array[]; raw: ArrayLike<number>[] }> {
  const reader = await RasterReader.open(new FileByteSource(path));
  const { width, height, bands: count, nodata } = reader.info;
  const bands = [...Array(count).keys()];
  const read = await reader.readWindow({ x0: 0, y0: 0, x1: width, y1: height }, { bands });
  await reader.close();
  return { bands: read.bands.map((band) => float32WithNaN(band, nodata)), raw: read.bands };
}

const stackOf = (series: BoliviaSeries, model: (typeof BAYTS_MODELS)[keyof typeof BAYTS_MODELS]) => ({
  times: series.images.map((image) => baytsDecimalYear(image.date)),
  images: series.images.map((image) => spatialNormalisation(image.values).normalised),
  model,
});

beforeAll(async () => {
  [vv, ndvi] = await Promise.all([readBoliviaSeries('s1vv_tseries'), readBoliviaSeries('lndvi_tseries')]);
  const pixels = vv.info.width * vv.info.height;
  const radar = stackOf(vv, BAYTS_MODELS.s1vvDeseasoned);
  const optical = stackOf(ndvi, BAYTS_MODELS.ndviDeseasoned);
  ours = detectBlock([radar, optical], pixels, PARAMS);
  radarOnly = detectBlock([radar], pixels, PARAMS);
  opticalOnly = detectBlock([optical], pixels, PARAMS);
  reference = (await readAll(join(BOLIVIA, 'bayts_spatial_result.tif'))).bands;
  observed = Uint8Array.from({ length: pixels }, (_, i) =>
    [...vv.images, ...ndvi.images].some((image) => !Number.isNaN(image.values[i]!)) ? 1 : 0,
  );
  dir = mkdtempSync(join(tmpdir(), 'cw-radar-'));
  const [x0, res, , y0] = vv.info.transform;
  const warped = join(dir, 'hansen.utm.tif');
  // Nearest neighbour: a loss year is a category; 0.00025° (27.7 × 26.4 m here) onto 30 m.
  execFileSync('gdalwarp', [
    ...['-q', '-t_srs', `EPSG:${vv.info.epsg}`, '-r', 'near', '-tr', String(res), String(res)],
    ...['-te', String(x0), String(y0 - res * vv.info.height), String(x0 + res * vv.info.width), String(y0)],
    join(BOLIVIA, 'Hansen_GFC_2019_v17_lossyear_10S_070W_bayts_clip.tif'),
    warped,
  ]);
  hansen = Uint8Array.from((await readAll(warped)).raw[0]!);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The reference state of a pixel: confirmed when it has change.confirmed, flagged when it has flag. */
const referenceState = (i: number) =>
  !Number.isNaN(reference[2]![i]!)
    ? DETECTION_STATE.confirmed
    : !Number.isNaN(reference[0]![i]!)
      ? DETECTION_STATE.flagged
      : DETECTION_STATE.none;

/** Position of `time` among the dates a pixel was observed on (any sensor), on the decimal-year axis. */
function observationIndex(i: number, time: number): number {
  const dates = [...vv.images, ...ndvi.images]
    .filter((image) => !Number.isNaN(image.values[i]!))
    .map((image) => baytsDecimalYear(image.date));
  const sorted = [...new Set(dates)].sort((a, b) => a - b);
  return sorted.findIndex((date) => Math.abs(date - time) < 0.5 / 365);
}

describe('bayts on the Bolivia stack', () => {
  it('flags the same pixels as the R package (agreement matrix, share)', () => {
    const matrix = STATE_NAMES.map(() => STATE_NAMES.map(() => 0));
    for (let i = 0; i < ours.state.length; i++) matrix[ours.state[i]!]![referenceState(i)]! += 1;
    const agree = matrix.reduce((sum, row, k) => sum + row[k]!, 0);
    const flaggedOurs = ours.state.filter((state) => state !== DETECTION_STATE.none).length;
    console.log(
      `bayts vs R bayts_spatial_result.tif (rows ours, columns R; ${STATE_NAMES.join(' / ')}):\n` +
        matrix
          .map((row, k) => `  ${STATE_NAMES[k]!.padEnd(9)} ${row.map((n) => String(n).padStart(6)).join('')}`)
          .join('\n') +
        `\n  agreement ${agree} / ${ours.state.length} px (${((100 * agree) / ours.state.length).toFixed(2)} %);` +
        ` observed ${observed.reduce((a, b) => a + b, 0)} px; flagged or confirmed ${flaggedOurs} px` +
        ` (${((100 * flaggedOurs) / observed.reduce((a, b) => a + b, 0)).toFixed(1)} % of observed)`,
    );
    expect(matrix[DETECTION_STATE.confirmed]![DETECTION_STATE.confirmed]).toBeGreaterThan(1500);
    expect(agree).toBe(ours.state.length);
  });

  it('dates each change on the same observation as the R package, and gives the same probabilities', () => {
    const offsets = new Map<number, number>();
    let worstDays = 0;
    let worstProbability = 0;
    for (let i = 0; i < ours.state.length; i++) {
      if (ours.state[i] === DETECTION_STATE.none || referenceState(i) !== ours.state[i]) continue;
      const confirmed = ours.state[i] === DETECTION_STATE.confirmed;
      const theirs = reference[confirmed ? 1 : 0]![i]!;
      const offset = Math.abs(observationIndex(i, ours.changeTime[i]!) - observationIndex(i, theirs));
      offsets.set(offset, (offsets.get(offset) ?? 0) + 1);
      if (confirmed) worstDays = Math.max(worstDays, Math.abs(ours.confirmedTime[i]! - reference[2]![i]!) * 365);
      worstProbability = Math.max(worstProbability, Math.abs(ours.probability[i]! - reference[confirmed ? 4 : 3]![i]!));
    }
    const compared = [...offsets.values()].reduce((a, b) => a + b, 0);
    console.log(
      `change date offset in observations (ours vs R, ${compared} px): ` +
        [...offsets.entries()].map(([offset, n]) => `${offset}: ${n}`).join(', ') +
        `; confirmation dates differ by at most ${worstDays.toFixed(3)} days; probabilities by ${worstProbability.toExponential(1)}`,
    );
    expect((offsets.get(0) ?? 0) + (offsets.get(1) ?? 0)).toBeGreaterThanOrEqual(0.99 * compared);
    expect(offsets.get(0)).toBe(compared);
    expect(worstDays).toBeLessThan(0.1);
    expect(worstProbability).toBeLessThan(1e-6);
  });

  it("gives user's and producer's accuracy against Hansen 2016 loss, 2014–2015 loss taken as already non-forest", () => {
    const count = (test: (i: number) => boolean) => ours.state.reduce((n, _, i) => n + (test(i) ? 1 : 0), 0);
    const already = (i: number) => hansen[i]! >= 1 && hansen[i]! <= 15;
    const inPopulation = (i: number) => observed[i] === 1 && !already(i);
    const loss = (i: number) => hansen[i] === 16;
    const lines: string[] = [];
    const figures = (label: string, flagged: (i: number) => boolean) => {
      const both = count((i) => inPopulation(i) && flagged(i) && loss(i));
      const mapped = count((i) => inPopulation(i) && flagged(i));
      const truth = count((i) => inPopulation(i) && loss(i));
      lines.push(
        `  ${label}: ${mapped} px mapped, ${truth} px Hansen 2016 loss, ${both} both; user's ${((100 * both) / mapped).toFixed(1)} %,` +
          ` producer's ${((100 * both) / truth).toFixed(1)} %; ${count((i) => observed[i] === 1 && already(i) && flagged(i))} px of` +
          ` ${count((i) => observed[i] === 1 && already(i))} observed px lost in 2001–2015 are also mapped (left out)`,
      );
      return { users: both / mapped, producers: both / truth };
    };
    const confirmed = figures('confirmed', (i) => ours.state[i] === DETECTION_STATE.confirmed);
    const any = figures('flagged or confirmed', (i) => ours.state[i] !== DETECTION_STATE.none);
    const vvAlone = figures('VV alone, confirmed', (i) => radarOnly.state[i] === DETECTION_STATE.confirmed);
    const ndviAlone = figures('NDVI alone, confirmed', (i) => opticalOnly.state[i] === DETECTION_STATE.confirmed);
    const days = (block: BaytsBlock) => {
      const lags = [...block.changeTime]
        .filter((_, i) => block.state[i] === DETECTION_STATE.confirmed && loss(i) && inPopulation(i))
        .map((time) => (time - 2016) * 365)
        .sort((a, b) => a - b);
      const mean = lags.reduce((sum, lag) => sum + lag, 0) / lags.length;
      return `${lags[Math.floor(lags.length / 2)]!.toFixed(0)} / ${mean.toFixed(1)}`;
    };
    lines.push(
      `  change date of confirmed Hansen-2016 pixels, days into 2016 (median / mean): fused ${days(ours)}, VV alone ${days(radarOnly)}, NDVI alone ${days(opticalOnly)}`,
    );
    console.log(
      `bayts vs Hansen GFC v1.7 lossyear 16 (population: observed pixels not lost in 2001–2015, ` +
        `${count(inPopulation)} px):\n${lines.join('\n')}`,
    );
    expect(confirmed.users).toBeGreaterThan(0.9);
    expect(confirmed.producers).toBeGreaterThan(0.9);
    expect(any.producers).toBeGreaterThanOrEqual(confirmed.producers);
    // Each sensor alone finds less than the two together: the point of fusing them.
    expect(vvAlone.producers).toBeLessThan(confirmed.producers);
    expect(ndviAlone.producers).toBeLessThan(confirmed.producers);
  });

  it('with a multi-temporal speckle filter on VV (Quegan & Yu, 3 × 3): less speckle, and what it does to the figures', () => {
    const { width, height } = vv.info;
    const pixels = width * height;
    const stable = (i: number) => observed[i] === 1 && hansen[i] === 0;
    const loss = (i: number) => observed[i] === 1 && hansen[i] === 16;
    const inPopulation = (i: number) => observed[i] === 1 && !(hansen[i]! >= 1 && hansen[i]! <= 15);
    const linear = vv.images.map((image) => decibelsToLinear(image.values));
    /** Mean over stable-forest pixels of the standard deviation of their deseasoned VV over the dates, dB. */
    const spread = (images: Float32Array[]) => {
      const deseasoned = images.map((image) => spatialNormalisation(image).normalised);
      let total = 0;
      let counted = 0;
      for (let i = 0; i < pixels; i++) {
        if (!stable(i)) continue;
        const values = deseasoned.map((image) => image[i]!).filter((value) => !Number.isNaN(value));
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        total += Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
        counted++;
      }
      return total / counted;
    };
    const raw = vv.images.map((image) => image.values);
    const lines = [`  unfiltered: stable-forest VV spread ${spread(raw).toFixed(2)} dB`];
    const spreads: number[] = [];
    for (const dates of ['all', 'past'] as const) {
      const filtered = multitemporalFilter(linear, width, height, { radius: 1, dates }).map((image) =>
        linearToDecibels(image),
      );
      spreads.push(spread(filtered));
      const stack = {
        times: vv.images.map((image) => baytsDecimalYear(image.date)),
        images: filtered.map((image) => spatialNormalisation(image).normalised),
        model: BAYTS_MODELS.s1vvDeseasoned,
      };
      const figures = (block: BaytsBlock) => {
        const confirmed = (i: number) => block.state[i] === DETECTION_STATE.confirmed && inPopulation(i);
        let mapped = 0;
        let both = 0;
        let truth = 0;
        let days = 0;
        for (let i = 0; i < pixels; i++) {
          if (confirmed(i)) mapped++;
          if (loss(i)) truth++;
          if (confirmed(i) && loss(i)) {
            both++;
            days += (block.changeTime[i]! - 2016) * 365;
          }
        }
        return `user's ${((100 * both) / mapped).toFixed(1)} %, producer's ${((100 * both) / truth).toFixed(1)} %, mean change day ${(days / both).toFixed(1)}`;
      };
      const optical = {
        times: ndvi.images.map((image) => baytsDecimalYear(image.date)),
        images: ndvi.images.map((image) => spatialNormalisation(image.values).normalised),
        model: BAYTS_MODELS.ndviDeseasoned,
      };
      lines.push(
        `  filtered over ${dates} dates: spread ${spreads.at(-1)!.toFixed(2)} dB; VV alone ${figures(detectBlock([stack], pixels, PARAMS))};` +
          ` fused ${figures(detectBlock([stack, optical], pixels, PARAMS))}`,
      );
    }
    console.log(`Speckle filter on VV, vs Hansen 2016 loss (confirmed changes):\n${lines.join('\n')}`);
    expect(spreads[0]).toBeLessThan(spread(raw));
    expect(spreads[1]).toBeLessThan(spread(raw));
  });
});
