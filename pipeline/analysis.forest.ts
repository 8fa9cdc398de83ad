import { fromCrs, toCrs } from '../aoi/aoi.project.js';
import { aoiGrid } from '../aoi/aoi.grid.js';
import type { Aoi } from '../aoi/aoi.schema.js';
import { pixelAreaHaByColumn } from '../aoi/pixel.area.js';
import { gridOutline, rasterizer, type Grid, type PixelWindow } from '../aoi/rasterize.js';
import {
  CONFIDENCE,
  DEFAULT_FOREST_LOSS,
  FOREST_LOSS_CLASSES,
  classifyForestLoss,
  type ForestLossParameters,
} from '../workers/change.js';
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
import { addRowRuns, labelRuns, runsByPatch, RunTable, type Patch } from '../workers/patches.js';
import { runTask } from '../workers/tasks.js';
import {
  addClearArea,
  addZonalStats,
  emptyZonalStats,
  fractionSeen,
  type ClearArea,
  type ZonalStats,
} from '../workers/zonal.js';
import { deflateSync, inflateSync } from 'node:zlib';
import { ChangewatchError } from './errors.js';
import type { ComputePool } from './pool.js';
import type { RasterOpener } from './raster.opener.js';
import { readSceneForAoi, type AoiBand } from './scene.read.js';
import type { Observation } from './scene.select.js';

/**
 * Forest loss for one AOI, streamed so memory does not grow with the AOI: the grid is cut into blocks; for each
 * block, the scenes of each observation date are read over it (plus a halo for the cloud morphology), brought onto
 * the grid and mosaicked, and the block's masks, composites and NDVI computed in the worker pool (or in-process).
 * Each finished block goes to the sinks (COG writers, previews) and is classified; its loss pixels are kept as
 * runs. When all blocks are in, the runs are joined into patches across block seams and the minimum mapping unit
 * decided; a second pass over the blocks' classes (kept compressed) applies it, sends the final classes to the
 * sinks and adds up the zonal statistics. What stays whole-AOI is small: the compressed classes (well under a
 * byte a pixel) and the loss runs.
 */

/** Block edge, pixels: 512 × 512 blocks keep a 23-date, two-band block under 50 MB. */
export const DEFAULT_BLOCK_SIZE = 512;

export interface PeriodComposite {
  /** Observation dates with at least one scene over the AOI (YYYY-MM-DD). */
  dates: string[];
  /** Scene ids that covered some of the AOI. */
  scenes: string[];
}

/** Where a run's blocks go as they are computed: COG writers, previews, a test's whole-AOI arrays. */
export interface ForestLossSink {
  /** Called once, before any block. */
  open(grid: Grid): void;
  /**
   * Pass 1: one block's composites, for every block of the grid in turn (`result` null for blocks wholly outside
   * the AOI); `inside` is 1 inside the AOI polygon.
   */
  composites(window: PixelWindow, inside: Uint8Array, result: ForestBlockResult | null): void;
  /** Pass 2: one block's final classes and confidence (outside the AOI: 255), for every block of the grid. */
  classified(window: PixelWindow, inside: Uint8Array, classes: Uint8Array, confidence: Uint8Array): void;
}

/** The loss patches kept by the minimum mapping unit, numbered 1.. in raster order, with their pixel runs. */
export interface LossPatches {
  table: RunTable;
  patches: Patch[];
  /** Run indices of each kept patch (index = patch id − 1). */
  runs: Int32Array[];
}

export interface ForestLossRun {
  grid: Grid;
  pixelAreaHa: Float64Array;
  baseline: PeriodComposite;
  monitoring: PeriodComposite;
  patches: { kept: number; belowMmu: number };
  lossPatches: LossPatches;
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

/**
 * Masks of full-width strips of `blockSize` rows, the last few kept: blocks of one strip share its burn, and
 * blocks arrive strip by strip.
 */
function stripMasks(burn: (window: PixelWindow) => Uint8Array, grid: Grid, blockSize: number) {
  const strips = new Map<number, Uint8Array>();
  return (window: PixelWindow): Uint8Array => {
    const top = Math.floor(window.y0 / blockSize) * blockSize;
    let strip = strips.get(top);
    if (!strip) {
      strip = burn({ x0: 0, y0: top, x1: grid.width, y1: Math.min(grid.height, top + blockSize) });
      strips.set(top, strip);
      if (strips.size > 4) strips.delete(strips.keys().next().value!);
    }
    const width = window.x1 - window.x0;
    const out = new Uint8Array(width * (window.y1 - window.y0));
    for (let row = window.y0; row < window.y1; row++) {
      const from = (row - top) * grid.width + window.x0;
      out.set(strip.subarray(from, from + width), (row - window.y0) * width);
    }
    return out;
  };
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
  /** Receive the blocks: output writers, previews. */
  sinks?: readonly ForestLossSink[];
  onBlock?: (event: { block: number; blocks: number }) => void;
  /** Stops the run between reads and blocks; running worker tasks are abandoned by the pool. */
  signal?: AbortSignal;
}): Promise<ForestLossRun> {
  const resolution = input.resolution ?? 10;
  const blockSize = input.blockSize ?? DEFAULT_BLOCK_SIZE;
  const parameters = input.forestLoss ?? DEFAULT_FOREST_LOSS;
  const cloud = input.cloud ?? DEFAULT_CLOUD_CLEANUP;
  const sinks = input.sinks ?? [];
  const grid = aoiGrid(input.aoi.geometry, input.aoi.bbox, resolution);
  if (grid.width * grid.height > 2 ** 32 - 1) {
    // Pixel indices and TIFF offsets are 32-bit: over 4 Gpx (400,000 km² at 10 m) an AOI must be split.
    throw new ChangewatchError('E_COMPUTE', `${input.aoi.id}: ${grid.width}×${grid.height} pixels: split the AOI`);
  }
  const pixelAreaHa = pixelAreaHaByColumn(grid);
  const insideOf = stripMasks(rasterizer(input.aoi.geometry, grid), grid, blockSize);
  const zones = input.aoi.zones.map((zone) => ({
    id: zone.id,
    maskOf: stripMasks(rasterizer(zone.geometry, grid), grid, blockSize),
    stats: emptyZonalStats(),
    clear: { baseline: { seenHa: 0, totalHa: 0 }, monitoring: { seenHa: 0, totalHa: 0 } },
  }));
  const aoiStats = emptyZonalStats();
  const aoiClear: Record<'baseline' | 'monitoring', ClearArea> = {
    baseline: { seenHa: 0, totalHa: 0 },
    monitoring: { seenHa: 0, totalHa: 0 },
  };
  const halo = cleanupHalo(cloud.openPx, cloud.dilatePx);
  const used = { baseline: new Set<string>(), monitoring: new Set<string>() };
  const dated = { baseline: new Set<string>(), monitoring: new Set<string>() };
  const [originX, pixelWidth, , originY, , pixelHeight] = grid.transform;
  for (const sink of sinks) sink.open(grid);

  const windows: Array<PixelWindow & { any: boolean }> = [];
  for (let y0 = 0; y0 < grid.height; y0 += blockSize) {
    for (let x0 = 0; x0 < grid.width; x0 += blockSize) {
      const window = { x0, y0, x1: Math.min(grid.width, x0 + blockSize), y1: Math.min(grid.height, y0 + blockSize) };
      windows.push({ ...window, any: insideOf(window).includes(1) });
    }
  }
  const computed = windows.filter((window) => window.any).length;
  /** Each computed block's classes and confidence before the minimum mapping unit, compressed, for pass 2. */
  const classified = new Map<number, { classes: Buffer; confidence: Buffer }>();
  const runs = new RunTable();
  const runBlock: number[] = [];
  const lossCode = FOREST_LOSS_CLASSES.loss;

  const takeBlock = (index: number, window: PixelWindow, result: ForestBlockResult) => {
    const inside = insideOf(window);
    const width = window.x1 - window.x0;
    for (const sink of sinks) sink.composites(window, inside, result);
    const { classes, confidence } = classifyForestLoss(
      {
        baselineNdvi: result.baseline.ndvi,
        monitoringNdvi: result.monitoring.ndvi,
        showing: result.showing,
        inside,
      },
      parameters,
    );
    const blockArea = pixelAreaHa.subarray(window.x0, window.x1);
    for (let row = 0; row < window.y1 - window.y0; row++) {
      const at = row * width;
      const before = runs.length;
      addRowRuns(
        runs,
        window.y0 + row,
        window.x0,
        width,
        (x) => classes[at + x] === lossCode,
        (x) => ({
          hectares: blockArea[x]!,
          high: confidence[at + x] === CONFIDENCE.high,
          clear: result.monitoring.count[at + x]!,
          firstDay: result.firstShowingDay[at + x]!,
        }),
      );
      for (let k = before; k < runs.length; k++) runBlock.push(index);
    }
    for (const period of ['baseline', 'monitoring'] as const) {
      addClearArea(aoiClear[period], result[period].count, inside, width, blockArea);
    }
    for (const zone of zones) {
      const mask = zone.maskOf(window);
      for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! & inside[i]!;
      for (const period of ['baseline', 'monitoring'] as const) {
        addClearArea(zone.clear[period], result[period].count, mask, width, blockArea);
      }
    }
    classified.set(index, { classes: deflateSync(classes), confidence: deflateSync(confidence) });
  };

  const inFlight: Array<Promise<void>> = [];
  const maxInFlight = input.pool ? input.pool.threads + 1 : 1;
  let done = 0;
  try {
    for (const [index, window] of windows.entries()) {
      input.signal?.throwIfAborted();
      if (!window.any) {
        const outside = new Uint8Array((window.x1 - window.x0) * (window.y1 - window.y0));
        for (const sink of sinks) sink.composites(window, outside, null);
        continue;
      }
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
        input.signal?.throwIfAborted();
        takeBlock(index, window, result);
        input.onBlock?.({ block: ++done, blocks: computed });
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

  // Patches across block seams, and the minimum mapping unit on their true areas.
  const labels = labelRuns(runs);
  const keep = new Uint8Array(labels.patches.length + 1);
  const kept: Patch[] = [];
  const byPatch = runsByPatch(labels);
  const keptRuns: Int32Array[] = [];
  for (const patch of labels.patches) {
    if (patch.hectares < parameters.minimumMappingUnitHa) continue;
    keep[patch.id] = 1;
    keptRuns.push(byPatch[patch.id]!);
    kept.push({ ...patch, id: kept.length + 1 });
  }
  const dropsOfBlock = new Map<number, number[]>();
  for (let run = 0; run < runs.length; run++) {
    if (keep[labels.patchOfRun[run]!]) continue;
    const list = dropsOfBlock.get(runBlock[run]!) ?? [];
    list.push(run);
    dropsOfBlock.set(runBlock[run]!, list);
  }

  for (const [index, window] of windows.entries()) {
    input.signal?.throwIfAborted();
    const width = window.x1 - window.x0;
    const pixels = width * (window.y1 - window.y0);
    const stored = classified.get(index);
    if (!stored) {
      const outside = new Uint8Array(pixels).fill(FOREST_LOSS_CLASSES.outside);
      for (const sink of sinks) sink.classified(window, new Uint8Array(pixels), outside, outside);
      continue;
    }
    classified.delete(index);
    const classes = new Uint8Array(inflateSync(stored.classes));
    const confidence = new Uint8Array(inflateSync(stored.confidence));
    for (const run of dropsOfBlock.get(index) ?? []) {
      const at = (runs.row[run]! - window.y0) * width - window.x0;
      classes.fill(FOREST_LOSS_CLASSES.stableForest, at + runs.start[run]!, at + runs.end[run]!);
      confidence.fill(CONFIDENCE.none, at + runs.start[run]!, at + runs.end[run]!);
    }
    const inside = insideOf(window);
    const blockArea = pixelAreaHa.subarray(window.x0, window.x1);
    addZonalStats(aoiStats, { width, classes, confidence, zone: inside, pixelAreaHa: blockArea });
    for (const zone of zones) {
      const mask = zone.maskOf(window);
      for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! & inside[i]!;
      addZonalStats(zone.stats, { width, classes, confidence, zone: mask, pixelAreaHa: blockArea });
    }
    for (const sink of sinks) sink.classified(window, inside, classes, confidence);
  }

  const period = (name: 'baseline' | 'monitoring'): PeriodComposite => ({
    dates: [...dated[name]].sort(),
    scenes: [...used[name]],
  });
  return {
    grid,
    pixelAreaHa,
    baseline: period('baseline'),
    monitoring: period('monitoring'),
    patches: { kept: kept.length, belowMmu: labels.patches.length - kept.length },
    lossPatches: { table: runs, patches: kept, runs: keptRuns },
    stats: {
      aoi: aoiStats,
      zones: Object.fromEntries(
        zones.map((zone) => [
          zone.id,
          {
            ...zone.stats,
            clearFraction: {
              baseline: fractionSeen(zone.clear.baseline),
              monitoring: fractionSeen(zone.clear.monitoring),
            },
          },
        ]),
      ),
      clearFraction: { baseline: fractionSeen(aoiClear.baseline), monitoring: fractionSeen(aoiClear.monitoring) },
    },
    blocks: computed,
    parameters: { forestLoss: parameters, cloud, resolution, blockSize },
  };
}
