import { fromCrs, toCrs } from '../aoi/aoi.project.js';
import { aoiGrid } from '../aoi/aoi.grid.js';
import type { Aoi } from '../aoi/aoi.schema.js';
import { pixelAreaHaByColumn } from '../aoi/pixel.area.js';
import { gridOutline, rasterize, type Grid } from '../aoi/rasterize.js';
import { DEFAULT_FOREST_LOSS, forestLoss, type ForestLoss, type ForestLossParameters } from '../workers/change.js';
import {
  cleanupHalo,
  DEFAULT_CLOUD_CLEANUP,
  type CloudCleanup,
  type DateBlock,
  type ForestBlockResult,
  type ForestBlockTask,
} from '../workers/forest.block.js';
import { CLEAR, NOT_OBSERVED, fmaskStates, qaPixelStates, sclStates } from '../workers/masks.js';
import { resampleToGrid, type PointTransformer } from '../workers/resample.js';
import { runTask } from '../workers/tasks.js';
import { clearFraction, zonalStats, type ZonalStats } from '../workers/zonal.js';
import { ChangewatchError } from './errors.js';
import type { ComputePool } from './pool.js';
import type { RasterOpener } from './raster.opener.js';
import { readSceneForAoi, type AoiBand } from './scene.read.js';
import type { Observation } from './scene.select.js';

/**
 * Forest loss for one AOI: the AOI grid cut into blocks; for each block, the scenes of each observation date read
 * over the block (plus a halo for the cloud morphology), brought onto the grid and mosaicked; the block's masks,
 * composites and NDVI computed in the worker pool (or in-process without one); then, over the whole AOI, the
 * change classes with the minimum mapping unit (patches cross blocks) and the zonal statistics.
 */

/** Block edge, pixels: 512 × 512 blocks keep a 23-date, two-band block under 50 MB. */
export const DEFAULT_BLOCK_SIZE = 512;

export interface PeriodComposite {
  /** Observation dates with at least one scene over the AOI (YYYY-MM-DD). */
  dates: string[];
  /** Scene ids that covered some of the AOI. */
  scenes: string[];
  /** Median red and NIR reflectance: kept only when asked ({@link runForestLoss}'s `keepBandComposites`). */
  red?: Float32Array;
  nir?: Float32Array;
  count: Uint16Array;
  lastDay: Int32Array;
  ndvi: Float32Array;
}

export interface ForestLossRun {
  grid: Grid;
  inside: Uint8Array;
  pixelAreaHa: Float64Array;
  baseline: PeriodComposite;
  monitoring: PeriodComposite;
  change: ForestLoss;
  /** Day (since 1970-01-01) of the first clear monitoring observation showing the NDVI drop, -1 for none. */
  firstShowingDay: Int32Array;
  stats: {
    aoi: ZonalStats;
    zones: Record<string, ZonalStats & { clearFraction: { baseline: number; monitoring: number } }>;
    clearFraction: { baseline: number; monitoring: number };
  };
  blocks: number;
  parameters: { forestLoss: ForestLossParameters; cloud: CloudCleanup; resolution: number; blockSize: number };
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

/** The observation dates of a period over one block: tiles of a pass mosaicked, first observed value wins. */
async function datesForBlock(
  observations: readonly Observation[],
  grid: Grid,
  opener: RasterOpener,
  cloud: CloudCleanup,
  used: Set<string>,
  dated: Set<string>,
  signal?: AbortSignal,
): Promise<DateBlock[]> {
  const outline: Pick<Aoi, 'geometry'> = { geometry: { type: 'Polygon', coordinates: [gridOutline(grid)] } };
  const pixels = grid.width * grid.height;
  const blocks: DateBlock[] = [];
  for (const observation of observations) {
    let block: DateBlock | undefined;
    for (const scene of observation.scenes) {
      signal?.throwIfAborted();
      const read = await readSceneForAoi(scene, outline, {
        bands: ['red', 'nir'],
        mask: true,
        open: opener.open,
        ...(signal ? { signal } : {}),
      });
      if (!read) continue;
      used.add(scene.id);
      dated.add(observation.date);
      const red = bandOnGrid(read.bands.red!, grid, 'bilinear', true);
      const nir = bandOnGrid(read.bands.nir!, grid, 'bilinear', true);
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
        for (let i = 0; i < pixels; i++) if (Number.isNaN(mask[i]!)) states[i] = NOT_OBSERVED;
      } else {
        states = new Uint8Array(pixels).fill(CLEAR);
      }
      if (!block) {
        block = { day: Math.floor(Date.parse(`${observation.date}T00:00:00Z`) / DAY_MS), red, nir, states };
        continue;
      }
      for (let i = 0; i < pixels; i++) {
        const missing = block.states[i] === NOT_OBSERVED || Number.isNaN(block.red[i]!) || Number.isNaN(block.nir[i]!);
        if (missing && states[i] !== NOT_OBSERVED) {
          block.red[i] = red[i]!;
          block.nir[i] = nir[i]!;
          block.states[i] = states[i]!;
        }
      }
    }
    if (block) blocks.push(block);
  }
  return blocks;
}

function emptyPeriod(pixels: number, keepBands: boolean): PeriodComposite {
  return {
    dates: [],
    scenes: [],
    ...(keepBands ? { red: new Float32Array(pixels).fill(NaN), nir: new Float32Array(pixels).fill(NaN) } : {}),
    count: new Uint16Array(pixels),
    lastDay: new Int32Array(pixels).fill(-1),
    ndvi: new Float32Array(pixels).fill(NaN),
  };
}

function paste(
  target: PeriodComposite,
  source: ForestBlockResult['baseline'],
  grid: Grid,
  x0: number,
  y0: number,
  width: number,
  height: number,
): void {
  for (let row = 0; row < height; row++) {
    const at = (y0 + row) * grid.width + x0;
    const from = row * width;
    target.red?.set(source.red.subarray(from, from + width), at);
    target.nir?.set(source.nir.subarray(from, from + width), at);
    target.count.set(source.count.subarray(from, from + width), at);
    target.lastDay.set(source.lastDay.subarray(from, from + width), at);
    target.ndvi.set(source.ndvi.subarray(from, from + width), at);
  }
}

export async function runForestLoss(input: {
  aoi: Aoi;
  baseline: readonly Observation[];
  monitoring: readonly Observation[];
  opener: RasterOpener;
  pool?: ComputePool;
  resolution?: number;
  blockSize?: number;
  forestLoss?: ForestLossParameters;
  cloud?: CloudCleanup;
  onBlock?: (event: { block: number; blocks: number }) => void;
  /**
   * Keep the whole-AOI red and NIR median composites in the result (16 bytes a pixel; nothing publishes them yet,
   * the peer test compares them). Default false.
   */
  keepBandComposites?: boolean;
  /** Stops the run between reads and blocks; running worker tasks are abandoned by the pool. */
  signal?: AbortSignal;
}): Promise<ForestLossRun> {
  const resolution = input.resolution ?? 10;
  const blockSize = input.blockSize ?? DEFAULT_BLOCK_SIZE;
  const parameters = input.forestLoss ?? DEFAULT_FOREST_LOSS;
  const cloud = input.cloud ?? DEFAULT_CLOUD_CLEANUP;
  const grid = aoiGrid(input.aoi.geometry, input.aoi.bbox, resolution);
  const pixels = grid.width * grid.height;
  if (pixels > 200_000_000) {
    throw new ChangewatchError(
      'E_COMPUTE',
      `${input.aoi.id}: ${grid.width}×${grid.height} pixels: split the AOI (limit 200 Mpx)`,
    );
  }
  const inside = rasterize(input.aoi.geometry, grid);
  const pixelAreaHa = pixelAreaHaByColumn(grid);
  const keepBands = input.keepBandComposites ?? false;
  const baseline = emptyPeriod(pixels, keepBands);
  const monitoring = emptyPeriod(pixels, keepBands);
  const showing = new Uint8Array(pixels);
  const firstShowingDay = new Int32Array(pixels).fill(-1);
  const halo = cleanupHalo(cloud.openPx, cloud.dilatePx);
  const used = { baseline: new Set<string>(), monitoring: new Set<string>() };
  const dated = { baseline: new Set<string>(), monitoring: new Set<string>() };
  const [originX, pixelWidth, , originY, , pixelHeight] = grid.transform;

  const windows: Array<{ x0: number; y0: number; x1: number; y1: number }> = [];
  for (let y0 = 0; y0 < grid.height; y0 += blockSize) {
    for (let x0 = 0; x0 < grid.width; x0 += blockSize) {
      const x1 = Math.min(grid.width, x0 + blockSize);
      const y1 = Math.min(grid.height, y0 + blockSize);
      let any = false;
      for (let row = y0; row < y1 && !any; row++)
        for (let column = x0; column < x1 && !any; column++) any = inside[row * grid.width + column] === 1;
      if (any) windows.push({ x0, y0, x1, y1 });
    }
  }

  const inFlight: Array<Promise<void>> = [];
  const maxInFlight = input.pool ? input.pool.threads + 1 : 1;
  try {
    for (const [index, window] of windows.entries()) {
      input.signal?.throwIfAborted();
      const hx0 = Math.max(0, window.x0 - halo);
      const hy0 = Math.max(0, window.y0 - halo);
      const hx1 = Math.min(grid.width, window.x1 + halo);
      const hy1 = Math.min(grid.height, window.y1 + halo);
      const blockGrid: Grid = {
        epsg: grid.epsg,
        width: hx1 - hx0,
        height: hy1 - hy0,
        transform: [originX + hx0 * pixelWidth, pixelWidth, 0, originY + hy0 * pixelHeight, 0, pixelHeight],
      };
      const task: ForestBlockTask = {
        type: 'forest-block',
        width: blockGrid.width,
        height: blockGrid.height,
        halo: [window.x0 - hx0, window.y0 - hy0, hx1 - window.x1, hy1 - window.y1],
        baseline: await datesForBlock(input.baseline, blockGrid, input.opener, cloud, used.baseline, dated.baseline),
        monitoring: await datesForBlock(
          input.monitoring,
          blockGrid,
          input.opener,
          cloud,
          used.monitoring,
          dated.monitoring,
        ),
        openPx: cloud.openPx,
        dilatePx: cloud.dilatePx,
        ndviDrop: parameters.ndviDrop,
      };
      const compute = input.pool
        ? input.pool.run(task, input.signal ? { signal: input.signal } : {})
        : Promise.resolve(runTask(task));
      const placed = compute.then((result) => {
        const width = window.x1 - window.x0;
        const height = window.y1 - window.y0;
        paste(baseline, result.baseline, grid, window.x0, window.y0, width, height);
        paste(monitoring, result.monitoring, grid, window.x0, window.y0, width, height);
        for (let row = 0; row < height; row++) {
          const at = (window.y0 + row) * grid.width + window.x0;
          showing.set(result.showing.subarray(row * width, (row + 1) * width), at);
          firstShowingDay.set(result.firstShowingDay.subarray(row * width, (row + 1) * width), at);
        }
        input.onBlock?.({ block: index + 1, blocks: windows.length });
      });
      // Marked handled now: if the run stops early (cancelled, a read failed), blocks still in flight must not
      // surface as unhandled rejections; they are awaited below.
      placed.catch(() => undefined);
      inFlight.push(placed);
      if (inFlight.length >= maxInFlight) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } catch (error) {
    await Promise.allSettled(inFlight);
    throw error;
  }
  input.signal?.throwIfAborted();
  baseline.scenes = [...used.baseline];
  monitoring.scenes = [...used.monitoring];
  baseline.dates = [...dated.baseline].sort();
  monitoring.dates = [...dated.monitoring].sort();

  const change = forestLoss(
    {
      width: grid.width,
      height: grid.height,
      baselineNdvi: baseline.ndvi,
      monitoringNdvi: monitoring.ndvi,
      showing,
      inside,
      pixelAreaHa,
    },
    parameters,
  );
  const zones: ForestLossRun['stats']['zones'] = {};
  for (const zone of input.aoi.zones) {
    const mask = rasterize(zone.geometry, grid);
    for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! & inside[i]!;
    zones[zone.id] = {
      ...zonalStats({
        width: grid.width,
        classes: change.classes,
        confidence: change.confidence,
        zone: mask,
        pixelAreaHa,
      }),
      clearFraction: {
        baseline: clearFraction(baseline.count, mask, grid.width, pixelAreaHa),
        monitoring: clearFraction(monitoring.count, mask, grid.width, pixelAreaHa),
      },
    };
  }
  return {
    grid,
    inside,
    pixelAreaHa,
    baseline,
    monitoring,
    change,
    firstShowingDay,
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
        baseline: clearFraction(baseline.count, inside, grid.width, pixelAreaHa),
        monitoring: clearFraction(monitoring.count, inside, grid.width, pixelAreaHa),
      },
    },
    blocks: windows.length,
    parameters: { forestLoss: parameters, cloud, resolution, blockSize },
  };
}
