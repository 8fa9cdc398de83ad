import { dropEvidence } from './change.js';
import { medianComposite } from './composite.js';
import { normalizedDifference } from './indices.js';
import { CLEAR, CLOUD, markMissing } from './masks.js';
import { dilate, open } from './morphology.js';

/**
 * The per-block work of a forest-loss run: for every observation date, the clear mask (quality states, NaN bands
 * unobserved, cloud opened then dilated, removed specks counted clear as Open Data Cube's mask_cleanup does), then
 * per period the median composites, clear counts, last clear day and NDVI, and the monitoring observations showing
 * the NDVI drop. The block arrives with a halo so morphology near its edges sees its neighbours; the result is the
 * inner block. Pure.
 */

export interface CloudCleanup {
  /** Opening radius of the cloud/shadow mask, pixels. Default 2 (Open Data Cube geomedian). */
  openPx: number;
  /** Dilation radius after opening, pixels. Default 5 (Open Data Cube geomedian). */
  dilatePx: number;
  /** Exclude snow/ice. Default true. */
  excludeSnow: boolean;
}

export const DEFAULT_CLOUD_CLEANUP: CloudCleanup = { openPx: 2, dilatePx: 5, excludeSnow: true };

export interface DateBlock {
  /** Days since 1970-01-01 UTC. */
  day: number;
  red: Float32Array;
  nir: Float32Array;
  /** Observation states (workers/masks.ts); modified in place. */
  states: Uint8Array;
}

export interface ForestBlockTask {
  type: 'forest-block';
  /** Size including the halo. */
  width: number;
  height: number;
  /** Halo widths: [left, top, right, bottom] pixels (less at the grid's edges). */
  halo: [number, number, number, number];
  baseline: DateBlock[];
  monitoring: DateBlock[];
  openPx: number;
  dilatePx: number;
  ndviDrop: number;
}

export interface PeriodBlock {
  red: Float32Array;
  nir: Float32Array;
  count: Uint16Array;
  lastDay: Int32Array;
  ndvi: Float32Array;
}

export interface ForestBlockResult {
  width: number;
  height: number;
  baseline: PeriodBlock;
  monitoring: PeriodBlock;
  showing: Uint8Array;
  /** Day of the first clear monitoring observation showing the drop, -1 for none. */
  firstShowingDay: Int32Array;
}

/** Halo a cleanup needs: opening by r reaches 2r, then dilation by R reaches R further. */
export function cleanupHalo(openPx: number, dilatePx: number): number {
  return 2 * openPx + dilatePx;
}

function clearMask(date: DateBlock, width: number, height: number, openPx: number, dilatePx: number): Uint8Array {
  const states = date.states;
  markMissing(states, date.red);
  markMissing(states, date.nir);
  const cloud = new Uint8Array(states.length);
  let clouds = 0;
  for (let i = 0; i < states.length; i++) if (states[i] === CLOUD) clouds += cloud[i] = 1;
  if (clouds === 0) {
    // No flagged cloud (e.g. exports masked to NaN): nothing to open or dilate.
    const clear = new Uint8Array(states.length);
    for (let i = 0; i < states.length; i++) clear[i] = states[i] === CLEAR ? 1 : 0;
    return clear;
  }
  const opened = open(cloud, width, height, openPx);
  const grown = dilate(opened, width, height, dilatePx);
  const clear = new Uint8Array(states.length);
  for (let i = 0; i < states.length; i++) {
    const state = states[i]!;
    clear[i] = (state === CLEAR || (state === CLOUD && opened[i] === 0)) && grown[i] === 0 ? 1 : 0;
  }
  return clear;
}

function crop<T extends Float32Array | Uint16Array | Int32Array | Uint8Array>(array: T, task: ForestBlockTask): T {
  const [left, top, right, bottom] = task.halo;
  const width = task.width - left - right;
  const height = task.height - top - bottom;
  const out = new (array.constructor as new (length: number) => T)(width * height);
  for (let row = 0; row < height; row++) {
    const start = (row + top) * task.width + left;
    out.set(array.subarray(start, start + width) as never, row * width);
  }
  return out;
}

export function forestBlock(task: ForestBlockTask): ForestBlockResult {
  const { width, height } = task;
  const period = (dates: DateBlock[]) => {
    const clear = dates.map((date) => clearMask(date, width, height, task.openPx, task.dilatePx));
    const days = dates.map((date) => date.day);
    const red = medianComposite({ values: dates.map((date) => date.red), clear, days });
    const nir = medianComposite({ values: dates.map((date) => date.nir), clear, days });
    return { clear, red, nir, ndvi: normalizedDifference(nir.median, red.median) };
  };
  const baseline = period(task.baseline);
  const monitoring = period(task.monitoring);
  const evidence = dropEvidence(
    baseline.ndvi,
    task.monitoring.map((date, d) => ({
      ndvi: normalizedDifference(date.nir, date.red),
      clear: monitoring.clear[d]!,
      day: date.day,
    })),
    task.ndviDrop,
  );
  const pack = (p: typeof baseline): PeriodBlock => ({
    red: crop(p.red.median, task),
    nir: crop(p.nir.median, task),
    count: crop(p.red.count, task),
    lastDay: crop(p.red.lastDay, task),
    ndvi: crop(p.ndvi, task),
  });
  const [left, top, right, bottom] = task.halo;
  return {
    width: width - left - right,
    height: height - top - bottom,
    baseline: pack(baseline),
    monitoring: pack(monitoring),
    showing: crop(evidence.showing, task),
    firstShowingDay: crop(evidence.firstDay, task),
  };
}
