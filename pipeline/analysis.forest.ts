import { fromCrs, toCrs } from '../aoi/aoi.project.js';
import { aoiGrid } from '../aoi/aoi.grid.js';
import type { Aoi } from '../aoi/aoi.schema.js';
import { pixelAreaHaByColumn } from '../aoi/pixel.area.js';
import { rasterize, type Grid } from '../aoi/rasterize.js';
import { medianComposite, type Composite } from '../workers/composite.js';
import { DEFAULT_FOREST_LOSS, forestLoss, type ForestLoss, type ForestLossParameters } from '../workers/change.js';
import { normalizedDifference } from '../workers/indices.js';
import { CLEAR, CLOUD, fmaskStates, markMissing, qaPixelStates, sclStates } from '../workers/masks.js';
import { dilate, open } from '../workers/morphology.js';
import { resampleToGrid, type PointTransformer } from '../workers/resample.js';
import { clearFraction, zonalStats, type ZonalStats } from '../workers/zonal.js';
import { ChangewatchError } from './errors.js';
import type { RasterOpener } from './raster.opener.js';
import { readSceneForAoi, type AoiBand } from './scene.read.js';
import type { Observation } from './scene.select.js';

/**
 * Forest loss for one AOI, composed from the pure kernels: scenes read over the AOI, brought onto the AOI grid,
 * masked (quality layer and NaN; cloud opened then dilated), mosaicked per observation date, composited per period
 * (median of clear observations), NDVI from the composites, change with confidence and MMU, zonal statistics.
 *
 * This is the single-threaded composition on whole-AOI arrays; block-wise streaming through the worker pool is
 * built on the same kernels.
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

export interface PeriodComposite {
  /** Observation dates used (YYYY-MM-DD), in order. */
  dates: string[];
  /** Scene ids used. */
  scenes: string[];
  red: Composite;
  nir: Composite;
  ndvi: Float32Array;
  /** Per observation date: NDVI of that date and the clear mask. */
  perDate: Array<{ date: string; ndvi: Float32Array; clear: Uint8Array }>;
}

export interface ForestLossRun {
  grid: Grid;
  inside: Uint8Array;
  pixelAreaHa: Float64Array;
  baseline: PeriodComposite;
  monitoring: PeriodComposite;
  change: ForestLoss;
  stats: {
    aoi: ZonalStats;
    zones: Record<string, ZonalStats>;
    clearFraction: { baseline: number; monitoring: number };
  };
  parameters: { forestLoss: ForestLossParameters; cloud: CloudCleanup; resolution: number };
}

const DAY_MS = 86_400_000;

/** Physical values on the grid: DN × scale + offset, nodata → NaN before resampling so it never blends in. */
function bandOnGrid(band: AoiBand, grid: Grid, method: 'nearest' | 'bilinear', physical: boolean): Float32Array {
  const values = new Float32Array(band.data.length);
  for (let i = 0; i < values.length; i++) {
    const raw = band.data[i]!;
    values[i] =
      Number.isNaN(raw) || (band.nodata !== undefined && raw === band.nodata)
        ? NaN
        : physical
          ? raw * band.scale + band.offset
          : raw;
  }
  let transformer: PointTransformer | undefined;
  if (band.epsg !== grid.epsg) {
    const inverse = fromCrs(grid.epsg);
    const forward = toCrs(band.epsg);
    transformer = (x, y) => forward(inverse([x, y]));
  }
  return resampleToGrid(
    { data: values, width: band.width, height: band.height, transform: band.transform },
    grid,
    method,
    transformer ? { transformer } : {},
  );
}

/** Clear mask of one scene on the grid: quality states, NaN bands unobserved, cloud opened then dilated. */
function clearOnGrid(
  states: Uint8Array,
  red: Float32Array,
  nir: Float32Array,
  grid: Grid,
  cloud: CloudCleanup,
): Uint8Array {
  markMissing(states, red);
  markMissing(states, nir);
  const cloudMask = new Uint8Array(states.length);
  for (let i = 0; i < states.length; i++) cloudMask[i] = states[i] === CLOUD ? 1 : 0;
  const opened = open(cloudMask, grid.width, grid.height, cloud.openPx);
  const grown = dilate(opened, grid.width, grid.height, cloud.dilatePx);
  const clear = new Uint8Array(states.length);
  for (let i = 0; i < states.length; i++) {
    // A cloud speck removed by the opening is a false detection: the pixel counts as clear (ODC mask_cleanup).
    const state = states[i]!;
    clear[i] = (state === CLEAR || (state === CLOUD && opened[i] === 0)) && grown[i] === 0 ? 1 : 0;
  }
  return clear;
}

async function compositePeriod(
  observations: readonly Observation[],
  aoi: Aoi,
  grid: Grid,
  opener: RasterOpener,
  cloud: CloudCleanup,
): Promise<PeriodComposite> {
  const redDates: Float32Array[] = [];
  const nirDates: Float32Array[] = [];
  const clearDates: Uint8Array[] = [];
  const days: number[] = [];
  const dates: string[] = [];
  const scenes: string[] = [];
  const pixels = grid.width * grid.height;
  for (const observation of observations) {
    const red = new Float32Array(pixels).fill(NaN);
    const nir = new Float32Array(pixels).fill(NaN);
    const clear = new Uint8Array(pixels);
    let used = false;
    for (const scene of observation.scenes) {
      const read = await readSceneForAoi(scene, aoi, { bands: ['red', 'nir'], mask: true, open: opener.open });
      if (!read) continue;
      used = true;
      scenes.push(scene.id);
      const sceneRed = bandOnGrid(read.bands.red!, grid, 'bilinear', true);
      const sceneNir = bandOnGrid(read.bands.nir!, grid, 'bilinear', true);
      let states: Uint8Array;
      if (read.mask && scene.mask) {
        const mask = bandOnGrid(read.mask, grid, 'nearest', false);
        const options = { excludeSnow: cloud.excludeSnow };
        states =
          scene.mask.kind === 'scl'
            ? sclStates(mask, options)
            : scene.mask.kind === 'qa_pixel'
              ? qaPixelStates(mask, options)
              : fmaskStates(mask, options);
        // Resampled-away mask pixels (NaN) are unobserved.
        for (let i = 0; i < mask.length; i++) if (Number.isNaN(mask[i]!)) states[i] = 0;
      } else {
        states = new Uint8Array(pixels).fill(CLEAR);
      }
      const sceneClear = clearOnGrid(states, sceneRed, sceneNir, grid, cloud);
      // Mosaic the tiles of one pass: the first clear value of a pixel wins.
      for (let i = 0; i < pixels; i++) {
        if (clear[i] === 1 || sceneClear[i] !== 1) continue;
        clear[i] = 1;
        red[i] = sceneRed[i]!;
        nir[i] = sceneNir[i]!;
      }
    }
    if (!used) continue;
    redDates.push(red);
    nirDates.push(nir);
    clearDates.push(clear);
    days.push(Math.floor(Date.parse(`${observation.date}T00:00:00Z`) / DAY_MS));
    dates.push(observation.date);
  }
  const red = medianComposite({ values: redDates, clear: clearDates, days });
  const nir = medianComposite({ values: nirDates, clear: clearDates, days });
  return {
    dates,
    scenes,
    red,
    nir,
    ndvi: normalizedDifference(nir.median, red.median),
    perDate: dates.map((date, d) => ({
      date,
      ndvi: normalizedDifference(nirDates[d]!, redDates[d]!),
      clear: clearDates[d]!,
    })),
  };
}

export async function runForestLoss(input: {
  aoi: Aoi;
  baseline: readonly Observation[];
  monitoring: readonly Observation[];
  opener: RasterOpener;
  resolution?: number;
  forestLoss?: ForestLossParameters;
  cloud?: CloudCleanup;
}): Promise<ForestLossRun> {
  const resolution = input.resolution ?? 10;
  const parameters = input.forestLoss ?? DEFAULT_FOREST_LOSS;
  const cloud = input.cloud ?? DEFAULT_CLOUD_CLEANUP;
  const grid = aoiGrid(input.aoi.geometry, input.aoi.bbox, resolution);
  if (grid.width * grid.height > 50_000_000) {
    throw new ChangewatchError(
      'E_COMPUTE',
      `${input.aoi.id}: ${grid.width}×${grid.height} pixels is too large for whole-AOI processing: use the block-wise run`,
    );
  }
  const inside = rasterize(input.aoi.geometry, grid);
  const pixelAreaHa = pixelAreaHaByColumn(grid);
  const baseline = await compositePeriod(input.baseline, input.aoi, grid, input.opener, cloud);
  const monitoring = await compositePeriod(input.monitoring, input.aoi, grid, input.opener, cloud);
  const change = forestLoss(
    {
      width: grid.width,
      height: grid.height,
      baselineNdvi: baseline.ndvi,
      monitoringNdvi: monitoring.ndvi,
      monitoringDates: monitoring.perDate,
      inside,
      pixelAreaHa,
    },
    parameters,
  );
  const zones: Record<string, ZonalStats> = {};
  for (const zone of input.aoi.zones) {
    const mask = rasterize(zone.geometry, grid);
    for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! & inside[i]!;
    zones[zone.id] = zonalStats({
      width: grid.width,
      classes: change.classes,
      confidence: change.confidence,
      zone: mask,
      pixelAreaHa,
    });
  }
  return {
    grid,
    inside,
    pixelAreaHa,
    baseline,
    monitoring,
    change,
    stats: {
      aoi: zonalStats({
        width: grid.width,
        classes: change.classes,
        confidence: change.confidence,
        zone: inside,
        pixelAreaHa,
      }),
      zones,
      clearFraction: {
        baseline: clearFraction(baseline.red.count, inside, grid.width, pixelAreaHa),
        monitoring: clearFraction(monitoring.red.count, inside, grid.width, pixelAreaHa),
      },
    },
    parameters: { forestLoss: parameters, cloud, resolution },
  };
}
