/**
 * The probabilistic forest-loss method of Reiche et al. (2015, Remote Sensing 7:4973, sections 2.1.2–2.1.4; 2018,
 * RSE 204:147), as pure functions on numbers and typed arrays: every observation of every sensor becomes a conditional
 * probability of non-forest (PNF) from two normal distributions; observations of several sensors on one date are
 * combined by Bayes' rule; a change is flagged by the first observation more likely non-forest than forest and
 * confirmed when the probability of change, updated by Bayes' rule with each later observation, reaches `chi`.
 *
 * Written from the papers and the documented behaviour of the authors' R package `bayts` (jreiche/bayts, functions
 * calcPNF, calcPosterior, createBayts, detectBayts), whose intermediate series on its own test pixel the unit tests
 * reproduce. Times are plain numbers (days since an epoch, decimal years…): the method uses only their order.
 */

/** A normal distribution of one sensor's values over one cover, in the units of those values. */
export interface Normal {
  mean: number;
  sd: number;
}

/** How one sensor's observation weighs between forest and non-forest. */
export interface SensorModel {
  forest: Normal;
  nonForest: Normal;
  /**
   * The block weighting function of Reiche et al. (2015, section 2.1.2): PNF is clamped to [min, max] so that no
   * single observation is ever certain; a certain one would fix every later posterior. bayts default (0.1, 0.9).
   */
  clamp: readonly [number, number];
}

/** bayts' default block weighting (createBayts, bayts, baytsSpatial: bwf = c(0.1, 0.9)). */
export const DEFAULT_CLAMP: readonly [number, number] = [0.1, 0.9];

/**
 * Sensor models of the bayts package's Bolivia examples (Reiche et al. 2018, RSE: dry tropical forest, Santa Cruz).
 * The deseasoned ones apply to values minus the image's 95th percentile (deseason.ts); the raw ones to plain values.
 */
export const BAYTS_MODELS = {
  /** Sentinel-1 VV dB after spatial normalisation: forest N(−1, 0.75), non-forest N(−4, 1) (raster example). */
  s1vvDeseasoned: { forest: { mean: -1, sd: 0.75 }, nonForest: { mean: -4, sd: 1 }, clamp: DEFAULT_CLAMP },
  /** Landsat NDVI after spatial normalisation: forest N(0, 0.1), non-forest N(−0.5, 0.125) (raster example). */
  ndviDeseasoned: { forest: { mean: 0, sd: 0.1 }, nonForest: { mean: -0.5, sd: 0.125 }, clamp: DEFAULT_CLAMP },
  /** Sentinel-1 VV dB as acquired: forest N(−7, 0.75), non-forest N(−11.5, 1) (pixel example). */
  s1vv: { forest: { mean: -7, sd: 0.75 }, nonForest: { mean: -11.5, sd: 1 }, clamp: DEFAULT_CLAMP },
  /** Landsat NDVI as acquired: forest N(0.85, 0.075), non-forest N(0.4, 0.125) (pixel example). */
  ndvi: { forest: { mean: 0.85, sd: 0.075 }, nonForest: { mean: 0.4, sd: 0.125 }, clamp: DEFAULT_CLAMP },
} as const satisfies Record<string, SensorModel>;

/**
 * The conditional probability of non-forest of one observation: p(x | NF) / (p(x | F) + p(x | NF)) (Reiche et al.
 * 2015, eq. 1, equal priors), clamped to the model's block weighting, as a function of the value with the model's
 * constants computed once. It is a logistic of the log density ratio: the same number where both densities are
 * representable, and the right limit where both underflow (bayts' ratio of densities calls a value 40 standard
 * deviations below the non-forest mean "forest", 0.1). NaN for NaN.
 */
export function nonForestProbabilityOf(model: SensorModel): (value: number) => number {
  const { forest, nonForest, clamp } = model;
  const [low, high] = clamp;
  // log p(x|F) − log p(x|NF) = −z_F²/2 + z_NF²/2 + log(sd_NF / sd_F)
  const logSdRatio = Math.log(nonForest.sd / forest.sd);
  return (value) => {
    if (Number.isNaN(value)) return NaN;
    const zF = (value - forest.mean) / forest.sd;
    const zNF = (value - nonForest.mean) / nonForest.sd;
    const probability = 1 / (1 + Math.exp(0.5 * (zNF * zNF - zF * zF) + logSdRatio));
    return probability < low ? low : probability > high ? high : probability;
  };
}

/** {@link nonForestProbabilityOf} for one value. */
export function nonForestProbability(value: number, model: SensorModel): number {
  return nonForestProbabilityOf(model)(value);
}

/** Bayes' rule for a binary state: prior × likelihood / (prior × likelihood + (1 − prior)(1 − likelihood)). */
export function posterior(prior: number, likelihood: number): number {
  const both = prior * likelihood;
  return both / (both + (1 - prior) * (1 - likelihood));
}

/** One sensor's observations of one pixel: `values[k]` taken at `times[k]`, NaN where not observed. */
export interface SensorSeries {
  times: ArrayLike<number>;
  values: ArrayLike<number>;
  model: SensorModel;
}

/** A pixel's observations of every sensor on one time axis: one fused PNF per date with at least one observation. */
export interface FusedSeries {
  times: Float64Array;
  pnf: Float64Array;
}

/** The sorted distinct times of several sensors, and for each sensor the slot of each of its times on that axis. */
export interface TimeAxis {
  times: Float64Array;
  slots: Int32Array[];
}

/** One time axis for several sensors (their dates need not be sorted, nor distinct, nor shared). */
export function timeAxis(sensorTimes: ReadonlyArray<ArrayLike<number>>): TimeAxis {
  const times = Float64Array.from(new Set(sensorTimes.flatMap((list) => Array.from(list)))).sort();
  if (times.some(Number.isNaN)) throw new RangeError('timeAxis: a time is NaN');
  const slotOf = new Map<number, number>();
  times.forEach((time, slot) => slotOf.set(time, slot));
  return { times, slots: sensorTimes.map((list) => Int32Array.from(list, (time) => slotOf.get(time)!)) };
}

/**
 * Adds one observation's PNF to its slot: the first observation of a date sets it, each further one (another sensor,
 * or another pass of the same sensor that day) updates it by Bayes' rule (Reiche et al. 2015, section 2.1.3).
 */
export function addObservation(pnfBySlot: Float64Array, slot: number, pnf: number): void {
  if (Number.isNaN(pnf)) return;
  const held = pnfBySlot[slot]!;
  pnfBySlot[slot] = Number.isNaN(held) ? pnf : posterior(held, pnf);
}

/**
 * Keeps the slots that hold an observation, in time order, in `out` (at least as long as the axis); returns how
 * many. No allocation: the block runs it once per pixel.
 */
export function compactInto(axis: Float64Array, pnfBySlot: Float64Array, out: FusedSeries): number {
  let count = 0;
  for (let k = 0; k < pnfBySlot.length; k++) {
    const pnf = pnfBySlot[k]!;
    if (Number.isNaN(pnf)) continue;
    out.times[count] = axis[k]!;
    out.pnf[count++] = pnf;
  }
  return count;
}

/** Keeps the slots that hold an observation, in time order. */
export function compactSeries(axis: Float64Array, pnfBySlot: Float64Array): FusedSeries {
  const out = { times: new Float64Array(axis.length), pnf: new Float64Array(axis.length) };
  const count = compactInto(axis, pnfBySlot, out);
  return { times: out.times.slice(0, count), pnf: out.pnf.slice(0, count) };
}

/** Fuses one pixel's observations of several sensors into one PNF series on their common time axis. */
export function fuseObservations(sensors: readonly SensorSeries[]): FusedSeries {
  sensors.forEach((sensor, s) => {
    if (sensor.times.length !== sensor.values.length) {
      throw new RangeError(
        `fuseObservations: sensor ${s} has ${sensor.times.length} times, ${sensor.values.length} values`,
      );
    }
  });
  const axis = timeAxis(sensors.map((sensor) => sensor.times));
  const pnfBySlot = new Float64Array(axis.times.length).fill(NaN);
  sensors.forEach((sensor, s) => {
    const pnfOf = nonForestProbabilityOf(sensor.model);
    for (let k = 0; k < sensor.values.length; k++)
      addObservation(pnfBySlot, axis.slots[s]![k]!, pnfOf(sensor.values[k]!));
  });
  return compactSeries(axis.times, pnfBySlot);
}
