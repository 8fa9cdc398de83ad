import { beforeAll, describe, expect, it } from 'vitest';
import {
  BAYTS_MODELS,
  fuseObservations,
  nonForestProbability,
  posterior,
  timeAxis,
  type SensorModel,
} from '../../../../workers/radar/bayts.js';
import {
  DETECTION_STATE,
  OBSERVATION_STATUS,
  detectChange,
  type DetectionParams,
} from '../../../../workers/radar/bayts.detect.js';
import { quantile, spatialNormalisation } from '../../../../workers/radar/deseason.js';
import { readBoliviaSeries, readRCsv } from '../../../helpers/bolivia.js';

/**
 * The kernel against the bayts package's own intermediate series for one pixel of its Bolivia raster example
 * (Sentinel-1 VV and Landsat NDVI, deseasoned by spatial normalisation; models of bayts_raster_example_v01.R; start of
 * monitoring 2016, chi 0.9): the deseasoned VV, the PNF of VV alone, the fused PNF and the detection, read from the
 * CSVs beside the stack. Plus hand-computed cases for what that pixel does not exercise.
 */
const S1 = BAYTS_MODELS.s1vvDeseasoned;
const NDVI = BAYTS_MODELS.ndviDeseasoned;
const EXAMPLE: DetectionParams = { start: 2016, chi: 0.9, pnfMin: 0.5 };

/** bfastts' decimal year of a label such as "2015(364)" (year and day of a 365-day year). */
const labelTime = (label: string) => {
  const [, year, day] = /^(\d{4})\((\d+)\)$/.exec(label)!;
  return Number(year) + (Number(day) - 1) / 365;
};

/**
 * The rows of test_bayts.csv on a time axis. The VV rows are the deseasoned series' dates (its labels, checked to
 * be the same values in the same order); the CSV does not carry the Landsat-only rows' dates, so each gets a time a
 * thousandth of a year after the row before it: any time between its neighbours gives the same order, and the
 * method uses only the order.
 */
function exampleRows() {
  const deseasoned = readRCsv('single_deseasoned_ts_s1vv.csv');
  const rows = readRCsv('test_bayts.csv');
  let vv = 0;
  let previous = -Infinity;
  const times = rows.map((row) => {
    if (Number.isNaN(row.ts1 as number)) return (previous += 0.001);
    expect(row.ts1).toBe(deseasoned[vv]!.x);
    return (previous = labelTime(String(deseasoned[vv++]![''])));
  });
  expect(vv).toBe(deseasoned.length);
  return { rows, times };
}

const sensorSeries = (times: number[], values: number[], model: SensorModel) => {
  const kept = values.map((value, k) => [times[k]!, value] as const).filter(([, value]) => !Number.isNaN(value));
  return { times: kept.map(([time]) => time), values: kept.map(([, value]) => value), model };
};

describe('nonForestProbability and posterior', () => {
  it("gives calcPNF's documented example: NDVI 0.5, 0.6, 0.7 with F N(0.85, 0.1), NF N(0.3, 0.2), no clamp", () => {
    const model: SensorModel = { forest: { mean: 0.85, sd: 0.1 }, nonForest: { mean: 0.3, sd: 0.2 }, clamp: [0, 1] };
    const pnf = [0.5, 0.6, 0.7].map((value) => nonForestProbability(value, model));
    [0.99283853, 0.78698604, 0.17248069].forEach((expected, k) => expect(pnf[k]).toBeCloseTo(expected, 8));
  });

  it('clamps to the block weighting, gives the limit where both densities underflow, and keeps NaN', () => {
    expect(nonForestProbability(-1, S1)).toBe(0.1);
    expect(nonForestProbability(-6, S1)).toBe(0.9);
    // 60 dB below the forest mean: both densities are 0 in double; bayts' ratio would call it forest (0.1).
    expect(nonForestProbability(-60, S1)).toBe(0.9);
    expect(nonForestProbability(NaN, S1)).toBeNaN();
  });

  it("reproduces the VV PNF of the package's test pixel (pnf_test_s1vv.csv), all 73 observations", () => {
    const rows = readRCsv('pnf_test_s1vv.csv').filter((row) => !Number.isNaN(row.ts1 as number));
    expect(rows).toHaveLength(73);
    for (const row of rows) expect(nonForestProbability(row.ts1 as number, S1)).toBeCloseTo(row.PNF as number, 12);
  });

  it('is Bayes’ rule: even odds change nothing, and two 0.9 make 0.9878…', () => {
    expect(posterior(0.5, 0.73)).toBeCloseTo(0.73, 15);
    expect(posterior(0.9, 0.9)).toBeCloseTo(0.81 / 0.82, 15);
    expect(posterior(0.9, 0.1)).toBeCloseTo(0.5, 15);
  });
});

describe('fuseObservations', () => {
  it("reproduces the package's fused PNF series (test_bayts.csv): 86 dates, four with both sensors", () => {
    const { rows, times } = exampleRows();
    const fused = fuseObservations([
      sensorSeries(
        times,
        rows.map((row) => row.ts1 as number),
        S1,
      ),
      sensorSeries(
        times,
        rows.map((row) => row.ts2 as number),
        NDVI,
      ),
    ]);
    expect(Array.from(fused.times)).toEqual(times);
    rows.forEach((row, k) => expect(fused.pnf[k]).toBeCloseTo(row.PNF as number, 12));
    expect(rows.filter((row) => !Number.isNaN(row.ts1 as number) && !Number.isNaN(row.ts2 as number))).toHaveLength(4);
  });

  it('puts every sensor on one sorted axis, updates a shared date by Bayes, skips NaN, and mutates nothing', () => {
    const radar = { times: [3, 1, 5], values: [-6, -1, NaN], model: S1 };
    const optical = { times: [3, 4], values: [-0.5, 0], model: NDVI };
    const before = JSON.stringify([radar, optical]);
    const fused = fuseObservations([radar, optical]);
    expect(Array.from(fused.times)).toEqual([1, 3, 4]);
    expect(Array.from(fused.pnf)).toEqual([0.1, posterior(0.9, 0.9), 0.1]);
    expect(JSON.stringify([radar, optical])).toBe(before);
    expect(() => fuseObservations([{ times: [1], values: [1, 2], model: S1 }])).toThrow(RangeError);
    expect(timeAxis([[2, 2, 1]]).slots[0]).toEqual(Int32Array.from([1, 1, 0]));
  });
});

describe('detectChange', () => {
  it("reproduces the package's detection on its test pixel (detect_bayts.csv): every Flag and PChange", () => {
    const { rows, times } = exampleRows();
    const expected = readRCsv('detect_bayts.csv');
    const pnf = expected.map((row) => row.PNF as number);
    rows.forEach((row, k) => expect(pnf[k]).toBeCloseTo(row.PNF as number, 12));
    const trace = { status: new Uint8Array(pnf.length), pChange: new Float64Array(pnf.length) };
    const detection = detectChange(times, pnf, EXAMPLE, trace);
    const codes: Record<string, number> = {
      NaN: OBSERVATION_STATUS.unexamined,
      0: OBSERVATION_STATUS.clear,
      oldFlag: OBSERVATION_STATUS.oldFlag,
      Flag: OBSERVATION_STATUS.flag,
      Change: OBSERVATION_STATUS.change,
    };
    expect(Array.from(trace.status)).toEqual(expected.map((row) => codes[String(row.Flag)]));
    expected.forEach((row, k) =>
      Number.isNaN(row.PChange as number)
        ? expect(trace.pChange[k]).toBeNaN()
        : expect(trace.pChange[k]).toBeCloseTo(row.PChange as number, 12),
    );
    // Row 68, 2016(5) = 5 January 2016: flagged and confirmed by the same observation, its prior the VV of 30 Dec.
    expect(detection).toMatchObject({ state: DETECTION_STATE.confirmed, first: 67, last: 67 });
    expect(detection.probability).toBeCloseTo(0.81 / 0.82, 15);
    expect(times[67]).toBeCloseTo(2016 + 4 / 365, 12);
  });

  it('rejects a flag below even odds and starts again at the next observation after its first', () => {
    const pnf = [0.2, 0.6, 0.7, 0.1, 0.9];
    const trace = { status: new Uint8Array(5), pChange: new Float64Array(5) };
    const detection = detectChange([0, 1, 2, 3, 4], pnf, { start: 1, chi: 0.9, pnfMin: 0.5 }, trace);
    // 1: post(0.2, 0.6) = 0.273, 2: post(0.273, 0.7) = 0.467 < 0.5, rejected; 2: post(0.6, 0.7) = 0.778,
    // 3: post(0.778, 0.1) = 0.28, rejected; 4: post(0.1, 0.9) = 0.5, still open at the end.
    expect(Array.from(trace.status)).toEqual([
      OBSERVATION_STATUS.clear,
      OBSERVATION_STATUS.oldFlag,
      OBSERVATION_STATUS.oldFlag,
      OBSERVATION_STATUS.clear,
      OBSERVATION_STATUS.flag,
    ]);
    expect(trace.pChange[2]).toBeCloseTo(0.42 / 0.54, 12);
    expect(trace.pChange[3]).toBeCloseTo(0.28, 12);
    expect(detection.state).toBe(DETECTION_STATE.flagged);
    expect(detection.first).toBe(4);
    expect(detection.last).toBe(4);
    expect(detection.probability).toBeCloseTo(0.5, 12);
  });

  it('takes even odds as the prior when nothing precedes the monitoring, and confirms on one observation', () => {
    expect(detectChange([5, 6], [0.9, 0.2], { start: 0, chi: 0.9, pnfMin: 0.5 })).toEqual({
      state: DETECTION_STATE.confirmed,
      first: 0,
      last: 0,
      probability: 0.9,
    });
  });

  it('confirms over several observations, the change dated by the first, and ignores flags before the start', () => {
    const detection = detectChange([0, 1, 2, 3, 4], [0.9, 0.1, 0.8, 0.7, 0.8], { start: 1, chi: 0.9, pnfMin: 0.5 });
    // 2: post(0.1, 0.8) = 0.308; 3: post(0.308, 0.7) = 0.509; 4: post(0.509, 0.8) = 0.806; not yet 0.9.
    expect(detection.state).toBe(DETECTION_STATE.flagged);
    const later = detectChange([0, 1, 2, 3, 4, 5], [0.9, 0.1, 0.8, 0.7, 0.8, 0.8], { start: 1, chi: 0.9, pnfMin: 0.5 });
    expect(later).toMatchObject({ state: DETECTION_STATE.confirmed, first: 2, last: 5 });
    expect(later.probability).toBeGreaterThanOrEqual(0.9);
    expect(detectChange([0, 1], [0.1, 0.2], EXAMPLE)).toEqual({
      state: DETECTION_STATE.none,
      first: -1,
      last: -1,
      probability: NaN,
    });
  });
});

describe('spatialNormalisation', () => {
  it("is R's type-7 quantile", () => {
    expect(quantile([1, 2, 3, 4, NaN], 0.95)).toBeCloseTo(3.85, 12);
    expect(quantile([7], 0.95)).toBe(7);
    expect(quantile([NaN], 0.5)).toBeNaN();
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });

  let vv: Awaited<ReturnType<typeof readBoliviaSeries>>;
  beforeAll(async () => {
    vv = await readBoliviaSeries('s1vv_tseries');
  });

  it("reproduces the package's deseasoned VV of its test pixel (row 0, column 52) on the 17 dates of the stack", () => {
    const deseasoned = readRCsv('single_deseasoned_ts_s1vv.csv').map((row) => row.x as number);
    const pixel = 52;
    const ours = vv.images
      .map(
        (image) => spatialNormalisation(image.values, 0.95, new Float64Array(image.values.length)).normalised[pixel]!,
      )
      .filter((value) => !Number.isNaN(value));
    // The stack holds 22 dates from 30 December 2015, five all nodata; the CSV's last 17 are those 17 dates.
    expect(ours).toHaveLength(17);
    ours.forEach((value, k) => expect(value).toBeCloseTo(deseasoned[deseasoned.length - 17 + k]!, 12));
    expect(vv.images.filter((image) => Number.isNaN(quantile(image.values, 0.95)))).toHaveLength(5);
  });
});
