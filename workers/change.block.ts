import { medianComposite, type CompositeRegion } from './composite.js';
import type { BandName } from './bands.js';
import { displayBytes, type DisplayComposite } from './display.js';
import { INDICES, normalizedDifference, type IndexDefinition, type IndexName } from './indices.js';
import { CLEAR, CLOUD, markMissing } from './masks.js';
import { dilate, open } from './morphology.js';
import { productOf } from './products/index.js';
import type {
  DateObservation,
  PeriodBlock,
  ProductBlock,
  ProductPixels,
  SeriesObservation,
} from './products/product.js';

/**
 * The per-block work of a change run: for every observation date, the clear mask (quality states, a NaN in any band
 * read unobserved, cloud opened then dilated, removed specks counted clear as Open Data Cube's mask_cleanup does),
 * then per period the median composite of every band read, clear counts, last clear day, NDVI and the other
 * indices asked for; then each product the run computes classifies the inner block (workers/products/). The block
 * arrives with a halo so morphology near its edges sees its neighbours; the result is the inner block. Pure.
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
  /** 1 inside the AOI polygon, for the inner block (without the halo). */
  inside: Uint8Array;
  openPx: number;
  dilatePx: number;
  /** The products to classify, with their parameters (validated by the config). */
  products: Array<{ type: string; params: unknown }>;
  /** The bands every date carries (red and NIR, and those the indices need). */
  bands: BandName[];
  /** Indices to compute from each period's composites besides NDVI (their bands must be among `bands`). */
  indices: IndexName[];
  /**
   * The colour composite to make for looking at the place, when the scenes allow one: its bands are read with the
   * others (those not among `bands` only for it) but never decide what is clear, so the analysis is the same with
   * or without it.
   */
  display?: DisplayComposite;
  /**
   * Series products' passes of both periods over the block with its halo (radar: dB, with the AOI's level of each
   * pass), in time order; absent when no product reads a series.
   */
  series?: SeriesObservation[];
}

export type { PeriodBlock };

export interface ChangeBlockResult {
  width: number;
  height: number;
  baseline: PeriodBlock;
  monitoring: PeriodBlock;
  /** Each product's classes (and confidence, first day, evidence) over the inner block, by product type. */
  products: Record<string, ProductPixels>;
  /** The colour composite of each period as display bytes (red, green, blue planes), 0 outside the AOI. */
  display?: { baseline: Uint8Array[]; monitoring: Uint8Array[] };
}

/** Halo a cleanup needs: opening by r reaches 2r, then dilation by R reaches R further. */
export function cleanupHalo(openPx: number, dilatePx: number): number {
  return 2 * openPx + dilatePx;
}

/**
 * The clear pixels of one date: flagged or missing pixels out, cloud opened by `openPx` (lone flagged pixels are
 * noise) and dilated by `dilatePx` (haze and shadow at cloud edges); modifies `date.states` (missing values marked:
 * a NaN in any of `bands`, every band of the date by default).
 */
export function clearMask(
  date: DateBlock,
  width: number,
  height: number,
  openPx: number,
  dilatePx: number,
  bands: readonly BandName[] = Object.keys(date.bands) as BandName[],
): Uint8Array {
  const states = date.states;
  for (const band of bands) {
    // A band the date lacks is refused by the composite, which names it.
    const values = date.bands[band];
    if (values) markMissing(states, values);
  }
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

/** The inner block (without the halo) as a region of the block with its halo. */
function innerRegion(task: ChangeBlockTask): CompositeRegion {
  const [left, top, right, bottom] = task.halo;
  return { left, top, width: task.width - left - right, height: task.height - top - bottom, rowLength: task.width };
}

/**
 * One period's clear masks over the block with its halo (the morphology needs it), and its composites and indices
 * over the inner block.
 */
function periodComposites(task: ChangeBlockTask, dates: DateBlock[], definitions: IndexDefinition[]) {
  const { width, height } = task;
  const clear = dates.map((date) => clearMask(date, width, height, task.openPx, task.dilatePx, task.bands));
  const days = dates.map((date) => date.day);
  const region = innerRegion(task);
  const pixels = region.width * region.height;
  // No date over the block (no scene reached it): not seen, so NaN composites and zero counts, never zeros.
  const none = () => ({
    median: new Float32Array(pixels).fill(NaN),
    count: new Uint16Array(pixels),
    lastDay: new Int32Array(pixels).fill(-1),
  });
  const composited = [...new Set([...task.bands, ...(task.display?.bands ?? [])])];
  const composites = Object.fromEntries(
    composited.map((band) => {
      const values = dates.map((date) => {
        const array = date.bands[band];
        if (!array) throw new RangeError(`changeBlock: a date lacks the ${band} band`);
        return array;
      });
      return [band, dates.length === 0 ? none() : medianComposite({ values, clear, days, region })];
    }),
  ) as Record<BandName, ReturnType<typeof medianComposite>>;
  const medians = Object.fromEntries(task.bands.map((band) => [band, composites[band].median])) as PeriodBlock['bands'];
  const indices = Object.fromEntries(
    definitions.map((definition) => [definition.name, definition.compute(medians)]),
  ) as PeriodBlock['indices'];
  const display = task.display?.bands.map((band) => composites[band].median);
  // Clear counts from the first band read: red (NIR follows it), or the NDVI of an NDVI export.
  const first = composites[task.bands[0]!];
  return { clear, medians, count: first.count, lastDay: first.lastDay, indices, display };
}

/** A period's colour composite over the inner block as display bytes, nodata outside the AOI. */
function displayPlanes(task: ChangeBlockTask, period: ReturnType<typeof periodComposites>): Uint8Array[] {
  const { top } = task.display!;
  return period.display!.map((median, k) => displayBytes(median, top[k]!, task.inside));
}

/** A period's composites, indices and counts over the inner block. */
function periodBlock(period: ReturnType<typeof periodComposites>): PeriodBlock {
  const bands = period.medians;
  return {
    bands,
    count: period.count,
    lastDay: period.lastDay,
    ndvi: bands.ndvi ?? normalizedDifference(bands.nir, bands.red),
    indices: period.indices,
  };
}

export function changeBlock(task: ChangeBlockTask): ChangeBlockResult {
  const definitions = task.indices.map((name) => {
    const definition = INDICES.find((index) => index.name === name);
    if (!definition) throw new RangeError(`changeBlock: unknown index ${name}`);
    return definition;
  });
  const [left, top, right, bottom] = task.halo;
  const width = task.width - left - right;
  const height = task.height - top - bottom;
  if (task.inside.length !== width * height)
    throw new RangeError(`changeBlock: inside has ${task.inside.length} pixels, expected ${width * height}`);
  const baseline = periodComposites(task, task.baseline, definitions);
  const monitoring = periodComposites(task, task.monitoring, definitions);
  let dates: DateObservation[] | undefined;
  let series: SeriesObservation[] | undefined;
  const block: ProductBlock = {
    width,
    height,
    inside: task.inside,
    baseline: periodBlock(baseline),
    monitoring: periodBlock(monitoring),
    monitoringDates: () =>
      (dates ??= task.monitoring.map((date, d) => ({
        day: date.day,
        clear: crop(monitoring.clear[d]!, task),
        bands: Object.fromEntries(
          Object.entries(date.bands).map(([band, values]) => [band, crop(values, task)]),
        ) as DateObservation['bands'],
      }))),
    series: () =>
      (series ??= (task.series ?? []).map((pass) => ({
        ...pass,
        bands: Object.fromEntries(Object.entries(pass.bands).map(([band, values]) => [band, crop(values, task)])),
      }))),
  };
  const products = Object.fromEntries(
    task.products.map(({ type, params }) => [type, productOf(type).classify(block, params as never)]),
  );
  const display = task.display
    ? { baseline: displayPlanes(task, baseline), monitoring: displayPlanes(task, monitoring) }
    : undefined;
  return {
    width,
    height,
    baseline: block.baseline,
    monitoring: block.monitoring,
    products,
    ...(display && { display }),
  };
}
