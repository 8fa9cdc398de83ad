import { addObservation, compactInto, nonForestProbabilityOf, timeAxis, type SensorModel } from './bayts.js';
import { DETECTION_STATE, detectChange, type DetectionParams, type DetectionState } from './bayts.detect.js';

/**
 * bayts over every pixel of a block: each pixel's observations of every sensor fused on the sensors' common time
 * axis (bayts.ts), then flagged and confirmed (bayts.detect.ts). The per-pixel outputs are those of bayts'
 * baytsSpatial plus what a map needs (the last probability of non-forest, the count of observations). Pure.
 */

/** One sensor's images of the block: `images[k]` taken at `times[k]`, each `pixels` long, NaN where not observed. */
export interface SensorStack {
  times: ArrayLike<number>;
  images: ReadonlyArray<ArrayLike<number>>;
  model: SensorModel;
}

export interface BaytsBlock {
  /** DETECTION_STATE per pixel (none where nothing was observed from the start on: see `observations`). */
  state: Uint8Array;
  /** Time of the first observation of the flag (the change date, for confirmed and open flags), else NaN. */
  changeTime: Float64Array;
  /** Time of the observation that confirmed it, else NaN. */
  confirmedTime: Float64Array;
  /** Probability of change at confirmation, or at the last observation of an open flag, else NaN. */
  probability: Float32Array;
  /** Fused PNF of the pixel's last observation, NaN if it has none. */
  lastPnf: Float32Array;
  /** Dates with at least one observation of the pixel at or after the start of monitoring. */
  observations: Uint16Array;
}

function checkStacks(sensors: readonly SensorStack[], pixels: number): void {
  sensors.forEach((sensor, s) => {
    if (sensor.times.length !== sensor.images.length) {
      throw new RangeError(`detectBlock: sensor ${s} has ${sensor.times.length} times, ${sensor.images.length} images`);
    }
    sensor.images.forEach((image, k) => {
      if (image.length !== pixels) {
        throw new RangeError(`detectBlock: sensor ${s} image ${k} has ${image.length} pixels, not ${pixels}`);
      }
    });
  });
}

function emptyBlock(pixels: number): BaytsBlock {
  return {
    state: new Uint8Array(pixels),
    changeTime: new Float64Array(pixels).fill(NaN),
    confirmedTime: new Float64Array(pixels).fill(NaN),
    probability: new Float32Array(pixels).fill(NaN),
    lastPnf: new Float32Array(pixels).fill(NaN),
    observations: new Uint16Array(pixels),
  };
}

/** Runs bayts on every pixel of a block of `pixels` pixels. */
export function detectBlock(sensors: readonly SensorStack[], pixels: number, params: DetectionParams): BaytsBlock {
  checkStacks(sensors, pixels);
  const axis = timeAxis(sensors.map((sensor) => sensor.times));
  const pnfOf = sensors.map((sensor) => nonForestProbabilityOf(sensor.model));
  const pnfBySlot = new Float64Array(axis.times.length);
  const scratch = { times: new Float64Array(axis.times.length), pnf: new Float64Array(axis.times.length) };
  const out = emptyBlock(pixels);
  for (let i = 0; i < pixels; i++) {
    pnfBySlot.fill(NaN);
    for (let s = 0; s < sensors.length; s++) {
      const { images } = sensors[s]!;
      const [slots, pnf] = [axis.slots[s]!, pnfOf[s]!];
      for (let k = 0; k < images.length; k++) addObservation(pnfBySlot, slots[k]!, pnf(images[k]![i]!));
    }
    const n = compactInto(axis.times, pnfBySlot, scratch);
    if (n === 0) continue;
    const times = scratch.times.subarray(0, n);
    out.lastPnf[i] = scratch.pnf[n - 1]!;
    let monitored = 0;
    for (let k = n - 1; k >= 0 && times[k]! >= params.start; k--) monitored++;
    out.observations[i] = Math.min(monitored, 0xffff);
    const detection = detectChange(times, scratch.pnf.subarray(0, n), params);
    out.state[i] = detection.state satisfies DetectionState;
    if (detection.state === DETECTION_STATE.none) continue;
    out.changeTime[i] = times[detection.first]!;
    out.probability[i] = detection.probability;
    if (detection.state === DETECTION_STATE.confirmed) out.confirmedTime[i] = times[detection.last]!;
  }
  return out;
}
