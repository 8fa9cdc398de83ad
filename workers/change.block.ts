import { dropEvidence } from './change.js';
import { medianComposite } from './composite.js';
import type { BandName } from './bands.js';
import { INDICES, normalizedDifference, type IndexName } from './indices.js';
import { CLEAR, CLOUD, markMissing } from './masks.js';
import { dilate, open } from './morphology.js';

/**
 * The per-block work of a change run: for every observation date, the clear mask (quality states, a NaN in any band
 * read unobserved, cloud opened then dilated, removed specks counted clear as Open Data Cube's mask_cleanup does),
 * then per period the median composite of every band read, clear counts, last clear day, NDVI and the other
 * indices asked for, and the monitoring observations showing the NDVI drop. The block arrives with a halo so
 * morphology near its edges sees its neighbours; the result is the inner block. Pure.
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
  /** Physical values of each band read: always red and NIR, others when an analysis needs them. */
  bands: Partial<Record<BandName, Float32Array>> & { red: Float32Array; nir: Float32Array };
  /** Observation states (workers/masks.ts); modified in place. */
  states: Uint8Array;
}

export interface ChangeBlockTask {
  type: 'change-block';
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
  /** The bands every date carries (red and NIR, and those the indices need). */
  bands: BandName[];
  /** Indices to compute from each period's composites besides NDVI (their bands must be among `bands`). */
  indices: IndexName[];
}

export interface PeriodBlock {
  /** Median composite of each band read. */
  bands: Partial<Record<BandName, Float32Array>> & { red: Float32Array; nir: Float32Array };
  count: Uint16Array;
  lastDay: Int32Array;
  ndvi: Float32Array;
  indices: Partial<Record<IndexName, Float32Array>>;
}

export interface ChangeBlockResult {
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
  for (const band of Object.values(date.bands)) markMissing(states, band);
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

function crop<T extends Float32Array | Uint16Array | Int32Array | Uint8Array>(array: T, task: ChangeBlockTask): T {
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

export function changeBlock(task: ChangeBlockTask): ChangeBlockResult {
  const { width, height } = task;
  const definitions = task.indices.map((name) => {
    const definition = INDICES.find((index) => index.name === name);
    if (!definition) throw new RangeError(`changeBlock: unknown index ${name}`);
    return definition;
  });
  const period = (dates: DateBlock[]) => {
    const clear = dates.map((date) => clearMask(date, width, height, task.openPx, task.dilatePx));
    const days = dates.map((date) => date.day);
    const pixels = width * height;
    // No date over the block (no scene reached it): not seen, so NaN composites and zero counts, never zeros.
    const none = () => ({
      median: new Float32Array(pixels).fill(NaN),
      count: new Uint16Array(pixels),
      lastDay: new Int32Array(pixels).fill(-1),
    });
    const names = task.bands;
    const composites = Object.fromEntries(
      names.map((band) => {
        const values = dates.map((date) => {
          const array = date.bands[band];
          if (!array) throw new RangeError(`changeBlock: a date lacks the ${band} band`);
          return array;
        });
        return [band, dates.length === 0 ? none() : medianComposite({ values, clear, days })];
      }),
    ) as Record<BandName, ReturnType<typeof medianComposite>>;
    const medians = Object.fromEntries(names.map((band) => [band, composites[band].median])) as PeriodBlock['bands'];
    const indices = Object.fromEntries(
      definitions.map((definition) => [definition.name, definition.compute(medians)]),
    ) as PeriodBlock['indices'];
    return {
      clear,
      medians,
      count: composites.red.count,
      lastDay: composites.red.lastDay,
      ndvi: normalizedDifference(medians.nir, medians.red),
      indices,
    };
  };
  const baseline = period(task.baseline);
  const monitoring = period(task.monitoring);
  const evidence = dropEvidence(
    baseline.ndvi,
    task.monitoring.map((date, d) => ({
      ndvi: normalizedDifference(date.bands.nir, date.bands.red),
      clear: monitoring.clear[d]!,
      day: date.day,
    })),
    task.ndviDrop,
  );
  const cropAll = <T extends Record<string, Float32Array>>(arrays: T): T =>
    Object.fromEntries(Object.entries(arrays).map(([name, array]) => [name, crop(array, task)])) as T;
  const pack = (p: typeof baseline): PeriodBlock => ({
    bands: cropAll(p.medians),
    count: crop(p.count, task),
    lastDay: crop(p.lastDay, task),
    ndvi: crop(p.ndvi, task),
    indices: cropAll(p.indices as Record<string, Float32Array>),
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
