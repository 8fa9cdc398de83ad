import { z } from 'zod';
import { DEFAULT_CLAMP, nonForestProbabilityOf, type SensorModel } from '../radar/bayts.js';
import { detectBlock, type BaytsBlock, type SensorStack } from '../radar/bayts.block.js';
import { DETECTION_STATE } from '../radar/bayts.detect.js';
import { DEFAULT_NORMALISATION_PERCENTILE } from '../radar/deseason.js';
import { FOREST_LOSS_CLASSES } from './forest.loss.js';
import {
  NOT_SEEN_CLASS,
  OUTSIDE_CLASS,
  atLeastMmu,
  defineProduct,
  type ProductPixels,
  type SeriesObservation,
} from './product.js';

/**
 * Forest loss from Sentinel-1 VV time series, by the Bayesian method behind RADD (Reiche et al. 2015, Remote
 * Sensing 7:4973; 2018, RSE 204:147; the `bayts` R package): every pass of both periods, normalised by its own
 * level over the AOI (spatial normalisation: the pass minus its 95th percentile, so forest sits near 0 dB whatever
 * the season or the track), becomes a probability of non-forest; from the start of monitoring a probability at or
 * above `pnfMin` flags a change, confirmed when the probability of change reaches `chi` (workers/radar/). The date of
 * change is the flag's first pass. Open flags are low confidence, confirmed ones high, as RADD publishes its alerts.
 */

/** radar-forest-loss class codes (uint8). */
export const RADAR_FOREST_LOSS_CLASSES = {
  notSeen: 0,
  forest: 1,
  nonForest: 2,
  lossLow: 3,
  lossHigh: 4,
  noBaseline: 5,
  outside: 255,
} as const;

const mean = (text: string, value: number) => z.number().min(-40).max(40).default(value).meta({ description: text });
const sd = (text: string, value: number) => z.number().positive().max(20).default(value).meta({ description: text });

/** Defaults: the bayts package's Bolivia raster example (Reiche et al. 2018: dry tropical forest, GEE S1 GRD). */
export const RadarForestLossParamsSchema = z.strictObject({
  /** Mean of normalised VV (dB, pass minus its AOI level) over forest. Default −1. */
  forestMeanDb: mean('Mean of normalised VV over forest, dB', -1),
  /** Its standard deviation. Default 0.75 dB. */
  forestSdDb: sd('Standard deviation of normalised VV over forest, dB', 0.75),
  /** Mean of normalised VV over non-forest. Default −4 dB. */
  nonForestMeanDb: mean('Mean of normalised VV over non-forest, dB', -4),
  /** Its standard deviation. Default 1 dB. */
  nonForestSdDb: sd('Standard deviation of normalised VV over non-forest, dB', 1),
  /** Probability of non-forest at or above which a pass flags a possible change (bayts' PNFmin). Default 0.5. */
  pnfMin: z.number().gt(0).lt(1).default(0.5),
  /** Probability of change at which a flag is confirmed (bayts' chi). Default 0.9. */
  chi: z.number().gt(0.5).lt(1).default(0.9),
  /** The quantile of each pass over the AOI subtracted from it (spatial normalisation). Default 0.95. */
  normalisationQuantile: z.number().gt(0).lt(1).default(DEFAULT_NORMALISATION_PERCENTILE),
  /** Fuse the AOI's clear optical observations (their NDVI, normalised the same way) with the radar passes. */
  fuseOptical: z.boolean().default(true),
  /** Mean of normalised NDVI over forest. Default 0. */
  ndviForestMean: z.number().min(-2).max(2).default(0),
  /** Its standard deviation. Default 0.1. */
  ndviForestSd: z.number().positive().max(2).default(0.1),
  /** Mean of normalised NDVI over non-forest. Default −0.5. */
  ndviNonForestMean: z.number().min(-2).max(2).default(-0.5),
  /** Its standard deviation. Default 0.125. */
  ndviNonForestSd: z.number().positive().max(2).default(0.125),
  /** Minimum mapping unit, hectares, on 8-connected loss patches. Default 0: every pixel, as RADD. */
  minimumMappingUnitHa: z.number().min(0).default(0),
});
export type RadarForestLossParameters = z.infer<typeof RadarForestLossParamsSchema>;

/** Nodata of the UInt16 date and count rasters. */
export const RADAR_UINT16_NODATA = 65_535;
export const RADAR_EPOCH = '1970-01-01';

/** The VV model of the parameters: the two normals, and bayts' block weighting (PNF within 0.1-0.9). */
export function vvModel(params: RadarForestLossParameters): SensorModel {
  return {
    forest: { mean: params.forestMeanDb, sd: params.forestSdDb },
    nonForest: { mean: params.nonForestMeanDb, sd: params.nonForestSdDb },
    clamp: DEFAULT_CLAMP,
  };
}

/** The NDVI model of the parameters (bayts' Landsat example), with the same block weighting. */
export function ndviModel(params: RadarForestLossParameters): SensorModel {
  return {
    forest: { mean: params.ndviForestMean, sd: params.ndviForestSd },
    nonForest: { mean: params.ndviNonForestMean, sd: params.ndviNonForestSd },
    clamp: DEFAULT_CLAMP,
  };
}

/** One band's passes as one sensor stack on a day axis, each pass minus its level over the AOI. */
export function sensorStack(
  series: readonly SeriesObservation[],
  band: 'vv' | 'ndvi',
  model: SensorModel,
): SensorStack {
  const passes = series.filter((pass) => pass.bands[band]);
  return {
    times: passes.map((pass) => pass.day),
    images: passes.map((pass) => {
      const level = pass.levels[band] ?? NaN;
      return Float32Array.from(pass.bands[band]!, (value) => value - level);
    }),
    model,
  };
}

/** The sensors of a block: VV, and the optical NDVI when fused and present. */
export function sensorStacks(series: readonly SeriesObservation[], params: RadarForestLossParameters): SensorStack[] {
  const stacks = [sensorStack(series, 'vv', vvModel(params))];
  const optical = sensorStack(series, 'ndvi', ndviModel(params));
  if (params.fuseOptical && optical.images.length > 0) stacks.push(optical);
  return stacks;
}

/** Mean PNF of each pixel's observations (every sensor) before `start`, NaN without any. */
function historyPnf(stacks: readonly SensorStack[], start: number, pixels: number): Float32Array {
  const sum = new Float64Array(pixels);
  const count = new Uint16Array(pixels);
  for (const stack of stacks) {
    const pnfOf = nonForestProbabilityOf(stack.model);
    stack.images.forEach((image, k) => {
      if (stack.times[k]! >= start) return;
      for (let i = 0; i < pixels; i++) {
        if (Number.isNaN(image[i]!)) continue;
        sum[i] += pnfOf(image[i]!);
        count[i]!++;
      }
    });
  }
  return Float32Array.from(sum, (total, i) => (count[i] ? total / count[i]! : NaN));
}

/** Classes from bayts' per-pixel outcome. */
function classesOf(block: BaytsBlock, history: Float32Array, inside: Uint8Array, pnfMin: number): Uint8Array {
  const classes = new Uint8Array(inside.length);
  const C = RADAR_FOREST_LOSS_CLASSES;
  for (let i = 0; i < classes.length; i++) {
    if (!inside[i]) classes[i] = C.outside;
    else if (block.observations[i] === 0) classes[i] = C.notSeen;
    else if (block.state[i] === DETECTION_STATE.confirmed) classes[i] = C.lossHigh;
    else if (block.state[i] === DETECTION_STATE.flagged) classes[i] = C.lossLow;
    // No pass before monitoring: nothing says what the ground was, so neither forest nor non-forest.
    else if (Number.isNaN(history[i]!)) classes[i] = C.noBaseline;
    else classes[i] = history[i]! >= pnfMin ? C.nonForest : C.forest;
  }
  return classes;
}

/** bayts over one block's passes, and its rasters. */
export function classifyRadarForestLoss(
  series: readonly SeriesObservation[],
  inside: Uint8Array,
  params: RadarForestLossParameters,
): ProductPixels {
  const pixels = inside.length;
  const start = Math.min(...series.filter((pass) => pass.monitoring).map((pass) => pass.day));
  const stacks = sensorStacks(series, params);
  const result = detectBlock(stacks, pixels, { start, chi: params.chi, pnfMin: params.pnfMin });
  const classes = classesOf(result, historyPnf(stacks, start, pixels), inside, params.pnfMin);
  const firstDay = new Int32Array(pixels).fill(-1);
  const date = new Uint16Array(pixels).fill(RADAR_UINT16_NODATA);
  const probability = new Float32Array(pixels).fill(NaN);
  const count = new Uint16Array(pixels).fill(RADAR_UINT16_NODATA);
  const observed = { baseline: new Uint8Array(pixels), monitoring: new Uint8Array(pixels) };
  for (const stack of stacks) {
    stack.images.forEach((image, k) => {
      const period = stack.times[k]! >= start ? observed.monitoring : observed.baseline;
      for (let i = 0; i < pixels; i++) if (inside[i] && !Number.isNaN(image[i]!)) period[i] = 1;
    });
  }
  for (let i = 0; i < pixels; i++) {
    if (!inside[i]) continue;
    count[i] = Math.min(result.observations[i]!, RADAR_UINT16_NODATA - 1);
    probability[i] = result.lastPnf[i]!;
    if (result.state[i] === DETECTION_STATE.none) continue;
    firstDay[i] = result.changeTime[i]!;
    date[i] = result.changeTime[i]!;
  }
  return { classes, firstDay, values: { date, probability, observations: count }, monitoringCount: count, observed };
}

export const radarForestLoss = defineProduct({
  type: 'radar-forest-loss',
  configKey: 'radarForestLoss',
  title: 'Radar forest loss classes (Sentinel-1 VV, bayts)',
  needs: { bands: ['vv'], indices: [] },
  sensor: 'radar',
  series: { levelQuantile: (params) => params.normalisationQuantile, fusesOptical: (params) => params.fuseOptical },
  params: RadarForestLossParamsSchema,
  classes: [
    {
      value: RADAR_FOREST_LOSS_CLASSES.notSeen,
      ...NOT_SEEN_CLASS,
      description: 'No pass (radar, or clear optical where fused) in the monitoring period',
    },
    {
      value: RADAR_FOREST_LOSS_CLASSES.forest,
      name: 'forest',
      description: 'No change flagged, and the observations before monitoring favour forest',
      colour: '238443',
    },
    {
      value: RADAR_FOREST_LOSS_CLASSES.nonForest,
      name: 'non-forest',
      description: 'No change flagged; the observations before monitoring already favour non-forest',
      colour: 'f7f4d0',
    },
    {
      value: RADAR_FOREST_LOSS_CLASSES.lossLow,
      name: 'loss-low',
      description: 'A flag still open at the last pass: its probability of change has not reached chi (low confidence)',
      colour: 'fd8d3c',
    },
    {
      value: RADAR_FOREST_LOSS_CLASSES.lossHigh,
      name: 'loss-high',
      description: 'A change confirmed: the probability of change reached chi (high confidence)',
      colour: 'e31a1c',
    },
    {
      value: RADAR_FOREST_LOSS_CLASSES.noBaseline,
      name: 'no-baseline',
      description:
        'No change flagged, but no observation before monitoring: what the ground was cannot be said (neither forest nor non-forest)',
      colour: 'c6dbef',
    },
    { value: RADAR_FOREST_LOSS_CLASSES.outside, ...OUTSIDE_CLASS },
  ],
  corroborates: {
    product: 'forest-loss',
    codes: [FOREST_LOSS_CLASSES.loss],
    notSeen: FOREST_LOSS_CLASSES.notSeen,
    ownCodes: [RADAR_FOREST_LOSS_CLASSES.lossLow, RADAR_FOREST_LOSS_CLASSES.lossHigh],
  },
  rasters: [
    {
      key: 'date',
      title: 'Date of radar forest loss: the first pass that flagged it (days since 1970-01-01)',
      dataType: 'uint16',
      nodata: RADAR_UINT16_NODATA,
      unit: `days since ${RADAR_EPOCH}`,
      description: `Day of the first pass of the flag (loss-low or loss-high), days since ${RADAR_EPOCH} UTC; ${RADAR_UINT16_NODATA} (nodata): no loss, or outside the AOI`,
      epoch: RADAR_EPOCH,
      changeOnly: true,
    },
    {
      key: 'probability',
      title: 'Probability of non-forest of the last radar pass',
      dataType: 'float32',
      nodata: NaN,
      unit: 'probability (0.1-0.9)',
      description:
        'Probability of non-forest of the last pass of the pixel, clamped to 0.1-0.9 (bayts); NaN: no pass, or outside the AOI',
    },
    {
      key: 'observations',
      title: 'Observation dates per pixel in the monitoring period (radar passes, and clear optical where fused)',
      dataType: 'uint16',
      nodata: RADAR_UINT16_NODATA,
      unit: 'passes',
      description: `Dates with a radar pass or (fused) a clear optical observation of the pixel in the monitoring period; ${RADAR_UINT16_NODATA} (nodata): outside the AOI`,
    },
  ],
  classify: (block, params) => classifyRadarForestLoss(block.series(), block.inside, params),
  patches: [
    {
      name: 'radar-forest-loss',
      codes: [RADAR_FOREST_LOSS_CLASSES.lossLow, RADAR_FOREST_LOSS_CLASSES.lossHigh],
      replacement: RADAR_FOREST_LOSS_CLASSES.forest,
      keep: atLeastMmu,
      highCodes: [RADAR_FOREST_LOSS_CLASSES.lossHigh],
    },
  ],
  caveats({ params, hectares, dates }) {
    const loss = hectares(RADAR_FOREST_LOSS_CLASSES.lossLow) + hectares(RADAR_FOREST_LOSS_CLASSES.lossHigh);
    const caveats = [
      params.fuseOptical
        ? 'Radar and optical fused: each clear optical observation is a pass of its own (its NDVI minus its AOI quantile, forest N(' +
          `${params.ndviForestMean}, ${params.ndviForestSd}), non-forest N(${params.ndviNonForestMean}, ${params.ndviNonForestSd})), where the AOI has optical scenes.`
        : 'Radar only: optical observations are not fused (fuseOptical false).',
      `Method limits (radar): bayts on Sentinel-1 VV in dB, each pass minus its ${params.normalisationQuantile} quantile over the AOI; forest N(${params.forestMeanDb}, ${params.forestSdDb}) dB, non-forest N(${params.nonForestMeanDb}, ${params.nonForestSdDb}) dB (the bayts package's dry tropical forest in Bolivia: another forest or another backscatter product needs its own, fitted on known forest and clearings); flagged at PNF ≥ ${params.pnfMin}, confirmed at ${params.chi}. The normalisation assumes the AOI is mostly forest. No forest mask is applied (RADD masks to primary humid tropical forest): ground already non-forest before monitoring whose passes stay non-forest is flagged as loss too, so read the loss inside a baseline forest map.`,
    ];
    if (loss > 0 && dates.baseline.length < 5) {
      caveats.push(
        `Only ${dates.baseline.length} pass date(s) before monitoring: ground already cleared before the monitoring period can be flagged as new loss on its first pass.`,
      );
    }
    return caveats;
  },
  preview: {
    noun: 'radar forest loss',
    palette: [
      { code: RADAR_FOREST_LOSS_CLASSES.lossHigh, colour: 'e31a1c', label: 'radar forest loss, confirmed (high)' },
      { code: RADAR_FOREST_LOSS_CLASSES.lossLow, colour: 'fd8d3c', label: 'radar forest loss, flagged (low)' },
      { code: RADAR_FOREST_LOSS_CLASSES.notSeen, colour: 'bdbdbd', label: 'no radar pass' },
    ],
    display: (pixels) => pixels.classes,
    extent: { classes: ['forest', 'loss-low', 'loss-high'], name: 'the forest' },
  },
});
