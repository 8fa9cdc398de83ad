import { fromCrs, toCrs } from '../../aoi/aoi.project.js';
import { aoiGrid } from '../../aoi/aoi.grid.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { pixelAreaHaByColumn } from '../../aoi/pixel.area.js';
import { gridOutline, rasterizer, type Grid, type PixelWindow } from '../../aoi/rasterize.js';
import {
  CONFIDENCE,
  DEFAULT_FOREST_LOSS,
  FOREST_LOSS_CLASSES,
  classifyForestLoss,
  type ForestLossParameters,
} from '../../workers/change.js';
import {
  cleanupHalo,
  DEFAULT_CLOUD_CLEANUP,
  type CloudCleanup,
  type DateBlock,
  type ChangeBlockResult,
  type ChangeBlockTask,
} from '../../workers/change.block.js';
import type { Analysis } from '../../aoi/aoi.schema.js';
import type { BandName } from '../../workers/bands.js';
import type { IndexName } from '../../workers/indices.js';
import { CLEAR, NOT_OBSERVED, fmaskStates, qaPixelStates, sclStates } from '../../workers/masks.js';
import {
  DEFAULT_MINING,
  DEFAULT_SETTLEMENT,
  MINING_CLASSES,
  SETTLEMENT_PATCH_SETS,
  classifyMining,
  classifySettlement,
  keepMiningPatch,
  type MiningParameters,
  type SettlementParameters,
} from '../../workers/settlement.js';
import { resampleToGrid, type PointTransformer } from '../../workers/resample.js';
import { addRowRuns, labelRuns, runsByPatch, RunTable, type Patch } from '../../workers/patches.js';
import { runTask } from '../../workers/tasks.js';
import {
  addClearArea,
  addZonalStats,
  emptyZonalStats,
  fractionSeen,
  type ClearArea,
  type ZonalStats,
} from '../../workers/zonal.js';
import { deflateSync, inflateSync } from 'node:zlib';
import { ChangewatchError } from '../errors.js';
import type { ComputePool } from './pool.js';
import type { RasterOpener } from '../scenes/raster.opener.js';
import { readSceneForAoi, type AoiBand } from '../scenes/scene.read.js';
import type { Observation } from '../scenes/scene.select.js';

/**
 * The change products of one AOI (forest loss always; settlement change and mining expansion when the AOI asks
 * and the scenes carry the bands), streamed so memory does not grow with the AOI: the grid is cut into blocks; for each
 * block, the scenes of each observation date are read over it (plus a halo for the cloud morphology), brought onto
 * the grid and mosaicked, and the block's masks, composites and NDVI computed in the worker pool (or in-process).
 * Each finished block goes to the sinks (COG writers, previews) and is classified; its change pixels are kept as
 * runs. When all blocks are in, the runs are joined into patches across block seams and the minimum mapping unit
 * decided; a second pass over the blocks' classes (kept compressed) applies it, sends the final classes to the
 * sinks and adds up the zonal statistics. What stays whole-AOI is small: the compressed classes (well under a
 * byte a pixel) and the change runs.
 */

/** Block edge, pixels: 512 × 512 blocks keep a 23-date, two-band block under 50 MB. */
export const DEFAULT_BLOCK_SIZE = 512;

export interface PeriodComposite {
  /** Observation dates with at least one scene over the AOI (YYYY-MM-DD). */
  dates: string[];
  /** Scene ids that covered some of the AOI. */
  scenes: string[];
}

export type ProductName = Analysis;

/** One block's final classes per product (outside the AOI: 255); confidence for forest loss. */
export type BlockClasses = { 'forest-loss': { classes: Uint8Array; confidence: Uint8Array } } & Partial<
  Record<Exclude<ProductName, 'forest-loss'>, { classes: Uint8Array }>
>;

/** Where a run's blocks go as they are computed: COG writers, previews, a test's whole-AOI arrays. */
export interface AnalysisSink {
  /** Called once, before any block, with the products this run computes. */
  open(grid: Grid, products: readonly ProductName[]): void;
  /**
   * Pass 1: one block's composites, for every block of the grid in turn (`result` null for blocks wholly outside
   * the AOI); `inside` is 1 inside the AOI polygon.
   */
  composites(window: PixelWindow, inside: Uint8Array, result: ChangeBlockResult | null): void;
  /** Pass 2: one block's final classes, for every block of the grid. */
  classified(window: PixelWindow, inside: Uint8Array, classes: BlockClasses): void;
}

/** The patches of one kind kept by the patch rule, numbered 1.. in raster order, with their pixel runs. */
export interface KeptPatches {
  product: ProductName;
  /** What the patches are: `forest-loss`, `built-lost`, `built-gained`, `mining-expansion`. */
  className: string;
  table: RunTable;
  patches: Patch[];
  /** Run indices of each kept patch (index = patch id − 1). */
  runs: Int32Array[];
}

/** A product besides forest loss: its patches and statistics. */
export interface ProductRun {
  patches: { kept: number; belowMmu: number };
  stats: { aoi: ZonalStats; zones: Record<string, ZonalStats> };
  parameters: SettlementParameters | MiningParameters;
}

export interface AnalysisRun {
  grid: Grid;
  pixelAreaHa: Float64Array;
  baseline: PeriodComposite;
  monitoring: PeriodComposite;
  /** Forest loss (always computed): its patches. */
  patches: { kept: number; belowMmu: number };
  /** Every product's kept patches, forest loss first, for the polygons. */
  keptPatches: KeptPatches[];
  /** Forest loss statistics, and the clear fraction of each period. */
  stats: {
    aoi: ZonalStats;
    zones: Record<string, ZonalStats & { clearFraction: { baseline: number; monitoring: number } }>;
    clearFraction: { baseline: number; monitoring: number };
  };
  /** The other products computed. */
  products: Partial<Record<Exclude<ProductName, 'forest-loss'>, ProductRun>>;
  /** Analyses the AOI asked for that this run could not compute, with why. */
  notComputed: Record<string, string>;
  blocks: number;
  parameters: { forestLoss: ForestLossParameters; cloud: CloudCleanup; resolution: number; blockSize: number };
}

/** What each product needs beyond red and NIR, and the indices it reads. */
const PRODUCT_NEEDS: Record<Exclude<ProductName, 'forest-loss'>, { bands: BandName[]; indices: IndexName[] }> = {
  'settlement-change': { bands: ['swir16'], indices: ['ndbi'] },
  'mining-expansion': { bands: ['swir16', 'green'], indices: ['ndbi', 'mndwi'] },
};

/**
 * The products an AOI's analyses and scenes allow: forest loss always; the others when every scene of both periods
 * carries the bands they need (a composite of mixed inputs would mix observations), else the reason.
 */
export function productsFor(
  analyses: readonly Analysis[],
  scenes: ReadonlyArray<{ id: string; bands: Partial<Record<BandName, unknown>> }>,
): { products: ProductName[]; notComputed: Record<string, string> } {
  const products: ProductName[] = ['forest-loss'];
  const notComputed: Record<string, string> = {};
  for (const analysis of analyses) {
    if (analysis === 'forest-loss') continue;
    const needs = PRODUCT_NEEDS[analysis];
    const lacking = scenes.filter((scene) => needs.bands.some((band) => !scene.bands[band]));
    if (scenes.length > 0 && lacking.length === 0) {
      products.push(analysis);
      continue;
    }
    const missing = needs.bands.filter((band) => lacking.some((scene) => !scene.bands[band]));
    notComputed[analysis] =
      scenes.length === 0
        ? 'no scenes'
        : `${lacking.length} of ${scenes.length} scenes have no ${missing.join(' or ')} band (e.g. ${lacking[0]!.id}): ${analysis} needs ${needs.indices.join(' and ').toUpperCase()} composites; no ${analysis} figure here means "not analysed", not "no change"`;
  }
  return { products, notComputed };
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
  bands: readonly BandName[],
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
        bands,
        mask: true,
        open: opener.open,
        ...(signal ? { signal } : {}),
      });
      if (!read) continue;
      used.add(scene.id);
      dated.add(observation.date);
      const values = Object.fromEntries(
        bands.map((band) => [band, bandOnGrid(read.bands[band]!, grid, 'bilinear', true)]),
      ) as DateBlock['bands'];
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
        block = { day: Math.floor(Date.parse(`${observation.date}T00:00:00Z`) / DAY_MS), bands: values, states };
        continue;
      }
      // Tiles of one pass: the first scene that observed a pixel in every band wins it.
      const mosaic = block;
      for (let i = 0; i < pixels; i++) {
        const missing =
          mosaic.states[i] === NOT_OBSERVED || bands.some((band) => Number.isNaN(mosaic.bands[band]![i]!));
        if (missing && states[i] !== NOT_OBSERVED) {
          for (const band of bands) mosaic.bands[band]![i] = values[band]![i]!;
          mosaic.states[i] = states[i]!;
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

interface PatchSet {
  className: string;
  codes: readonly number[];
  replacement: number;
  keep(patch: Patch): boolean;
  table: RunTable;
  /** Index of the block each run came from. */
  runBlock: number[];
}

/** A product being computed: how a block is classified, its patch sets and its running statistics. */
interface ProductState {
  name: ProductName;
  classify(result: ChangeBlockResult, inside: Uint8Array): { classes: Uint8Array; confidence?: Uint8Array };
  sets: PatchSet[];
  stats: ZonalStats;
  zoneStats: Map<string, ZonalStats>;
  /** Pass-1 classes (and confidence) of each computed block, compressed, for pass 2. */
  stored: Map<number, { classes: Buffer; confidence?: Buffer }>;
}

function patchSet(
  className: string,
  codes: readonly number[],
  replacement: number,
  keep: (patch: Patch) => boolean,
): PatchSet {
  return { className, codes, replacement, keep, table: new RunTable(), runBlock: [] };
}

export async function runAnalysis(input: {
  aoi: Aoi;
  baseline: readonly Observation[];
  monitoring: readonly Observation[];
  opener: RasterOpener;
  pool?: ComputePool;
  resolution?: number;
  /** Pixel corners at this offset plus multiples of the resolution (15 for Landsat at 30 m); default 0. */
  gridOffset?: number;
  blockSize?: number;
  forestLoss?: ForestLossParameters;
  settlement?: SettlementParameters;
  mining?: MiningParameters;
  cloud?: CloudCleanup;
  /** Receive the blocks: output writers, previews. */
  sinks?: readonly AnalysisSink[];
  onBlock?: (event: { block: number; blocks: number }) => void;
  /** Stops the run between reads and blocks; running worker tasks are abandoned by the pool. */
  signal?: AbortSignal;
}): Promise<AnalysisRun> {
  const resolution = input.resolution ?? 10;
  const blockSize = input.blockSize ?? DEFAULT_BLOCK_SIZE;
  const parameters = input.forestLoss ?? DEFAULT_FOREST_LOSS;
  const settlement = input.settlement ?? DEFAULT_SETTLEMENT;
  const mining = input.mining ?? DEFAULT_MINING;
  const cloud = input.cloud ?? DEFAULT_CLOUD_CLEANUP;
  const sinks = input.sinks ?? [];
  const grid = aoiGrid(input.aoi.geometry, input.aoi.bbox, resolution, input.gridOffset ?? 0);
  if (grid.width * grid.height > 2 ** 32 - 1) {
    // Pixel indices and TIFF offsets are 32-bit: over 4 Gpx (400,000 km² at 10 m) an AOI must be split.
    throw new ChangewatchError('E_COMPUTE', `${input.aoi.id}: ${grid.width}×${grid.height} pixels: split the AOI`);
  }
  const scenes = [...input.baseline, ...input.monitoring].flatMap((observation) => observation.scenes);
  const { products, notComputed } = productsFor(input.aoi.analyses, scenes);
  const bands: BandName[] = ['red', 'nir'];
  const indices: IndexName[] = [];
  for (const product of products) {
    if (product === 'forest-loss') continue;
    for (const band of PRODUCT_NEEDS[product].bands) if (!bands.includes(band)) bands.push(band);
    for (const index of PRODUCT_NEEDS[product].indices) if (!indices.includes(index)) indices.push(index);
  }
  const pixelAreaHa = pixelAreaHaByColumn(grid);
  const insideOf = stripMasks(rasterizer(input.aoi.geometry, grid), grid, blockSize);
  const zones = input.aoi.zones.map((zone) => ({
    id: zone.id,
    maskOf: stripMasks(rasterizer(zone.geometry, grid), grid, blockSize),
    clear: { baseline: { seenHa: 0, totalHa: 0 }, monitoring: { seenHa: 0, totalHa: 0 } },
  }));
  const aoiClear: Record<'baseline' | 'monitoring', ClearArea> = {
    baseline: { seenHa: 0, totalHa: 0 },
    monitoring: { seenHa: 0, totalHa: 0 },
  };

  const atLeastMmu = (mmuHa: number) => (patch: Patch) => patch.hectares >= mmuHa;
  const states: ProductState[] = products.map((name) => {
    const common = { name, stats: emptyZonalStats(), zoneStats: new Map<string, ZonalStats>(), stored: new Map() };
    if (name === 'forest-loss') {
      return {
        ...common,
        classify: (result, inside) =>
          classifyForestLoss(
            {
              baselineNdvi: result.baseline.ndvi,
              monitoringNdvi: result.monitoring.ndvi,
              showing: result.showing,
              inside,
            },
            parameters,
          ),
        sets: [
          patchSet(
            'forest-loss',
            [FOREST_LOSS_CLASSES.loss],
            FOREST_LOSS_CLASSES.stableForest,
            atLeastMmu(parameters.minimumMappingUnitHa),
          ),
        ],
      };
    }
    const indicesOf = (result: ChangeBlockResult, inside: Uint8Array) => ({
      ndviBefore: result.baseline.ndvi,
      ndviAfter: result.monitoring.ndvi,
      ndbiBefore: result.baseline.indices.ndbi!,
      ndbiAfter: result.monitoring.indices.ndbi!,
      inside,
    });
    if (name === 'settlement-change') {
      return {
        ...common,
        classify: (result, inside) => ({ classes: classifySettlement(indicesOf(result, inside), settlement) }),
        sets: SETTLEMENT_PATCH_SETS.map((set) =>
          patchSet(set.name, set.codes, set.replacement, atLeastMmu(settlement.minimumMappingUnitHa)),
        ),
      };
    }
    return {
      ...common,
      classify: (result, inside) => ({
        classes: classifyMining(
          {
            ...indicesOf(result, inside),
            mndwiBefore: result.baseline.indices.mndwi!,
            mndwiAfter: result.monitoring.indices.mndwi!,
          },
          mining,
        ),
      }),
      // Flags: bit 1 new bare soil, bit 2 new water (the codes' order).
      sets: [
        patchSet(
          'mining-expansion',
          [MINING_CLASSES.newBare, MINING_CLASSES.newWater],
          MINING_CLASSES.noChange,
          (patch) =>
            keepMiningPatch(
              { hasBare: (patch.flags & 1) !== 0, hasWater: (patch.flags & 2) !== 0, hectares: patch.hectares },
              mining.minimumMappingUnitHa,
            ),
        ),
      ],
    };
  });
  const halo = cleanupHalo(cloud.openPx, cloud.dilatePx);
  const used = { baseline: new Set<string>(), monitoring: new Set<string>() };
  const dated = { baseline: new Set<string>(), monitoring: new Set<string>() };
  const [originX, pixelWidth, , originY, , pixelHeight] = grid.transform;
  for (const sink of sinks) sink.open(grid, products);

  const windows: Array<PixelWindow & { any: boolean }> = [];
  for (let y0 = 0; y0 < grid.height; y0 += blockSize) {
    for (let x0 = 0; x0 < grid.width; x0 += blockSize) {
      const window = { x0, y0, x1: Math.min(grid.width, x0 + blockSize), y1: Math.min(grid.height, y0 + blockSize) };
      windows.push({ ...window, any: insideOf(window).includes(1) });
    }
  }
  const computed = windows.filter((window) => window.any).length;

  const takeBlock = (index: number, window: PixelWindow, result: ChangeBlockResult) => {
    const inside = insideOf(window);
    const width = window.x1 - window.x0;
    for (const sink of sinks) sink.composites(window, inside, result);
    const blockArea = pixelAreaHa.subarray(window.x0, window.x1);
    for (const state of states) {
      const { classes, confidence } = state.classify(result, inside);
      for (const set of state.sets) {
        const [first, second] = set.codes;
        for (let row = 0; row < window.y1 - window.y0; row++) {
          const at = row * width;
          const before = set.table.length;
          addRowRuns(
            set.table,
            window.y0 + row,
            window.x0,
            width,
            (x) => classes[at + x] === first || (second !== undefined && classes[at + x] === second),
            (x) => ({
              hectares: blockArea[x]!,
              high: confidence?.[at + x] === CONFIDENCE.high,
              clear: result.monitoring.count[at + x]!,
              firstDay: state.name === 'forest-loss' ? result.firstShowingDay[at + x]! : -1,
              flags: classes[at + x] === first ? 1 : 2,
            }),
          );
          for (let k = before; k < set.table.length; k++) set.runBlock.push(index);
        }
      }
      state.stored.set(index, {
        classes: deflateSync(classes),
        ...(confidence ? { confidence: deflateSync(confidence) } : {}),
      });
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
      const datesOf = (period: 'baseline' | 'monitoring') =>
        datesForBlock(input[period], blockGrid, input.opener, cloud, bands, used[period], dated[period]);
      const task: ChangeBlockTask = {
        type: 'change-block',
        width: blockGrid.width,
        height: blockGrid.height,
        halo: [window.x0 - hx0, window.y0 - hy0, hx1 - window.x1, hy1 - window.y1],
        baseline: await datesOf('baseline'),
        monitoring: await datesOf('monitoring'),
        openPx: cloud.openPx,
        dilatePx: cloud.dilatePx,
        ndviDrop: parameters.ndviDrop,
        bands,
        indices,
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
    // Cancelled: the reason the caller gave, whichever in-flight task noticed first (the pool's own abort error
    // can win the race).
    if (input.signal?.aborted) throw input.signal.reason;
    throw error;
  }
  input.signal?.throwIfAborted();

  // Patches across block seams, and the minimum mapping unit (and the mining rule) on their true areas.
  const keptPatches: KeptPatches[] = [];
  const patchCounts = new Map<ProductName, { kept: number; belowMmu: number }>();
  const dropsOfBlock = new Map<ProductState, Map<number, Array<{ set: PatchSet; run: number }>>>();
  for (const state of states) {
    const counts = { kept: 0, belowMmu: 0 };
    const drops = new Map<number, Array<{ set: PatchSet; run: number }>>();
    for (const set of state.sets) {
      const labels = labelRuns(set.table);
      const keep = new Uint8Array(labels.patches.length + 1);
      const kept: Patch[] = [];
      const keptRuns: Int32Array[] = [];
      const byPatch = runsByPatch(labels);
      for (const patch of labels.patches) {
        if (!set.keep(patch)) continue;
        keep[patch.id] = 1;
        keptRuns.push(byPatch[patch.id]!);
        kept.push({ ...patch, id: kept.length + 1 });
      }
      counts.kept += kept.length;
      counts.belowMmu += labels.patches.length - kept.length;
      keptPatches.push({
        product: state.name,
        className: set.className,
        table: set.table,
        patches: kept,
        runs: keptRuns,
      });
      for (let run = 0; run < set.table.length; run++) {
        if (keep[labels.patchOfRun[run]!]) continue;
        const block = set.runBlock[run]!;
        const list = drops.get(block) ?? [];
        list.push({ set, run });
        drops.set(block, list);
      }
    }
    patchCounts.set(state.name, counts);
    dropsOfBlock.set(state, drops);
  }

  for (const [index, window] of windows.entries()) {
    input.signal?.throwIfAborted();
    const width = window.x1 - window.x0;
    const pixels = width * (window.y1 - window.y0);
    if (!window.any) {
      const outside = new Uint8Array(pixels).fill(FOREST_LOSS_CLASSES.outside);
      const classes = Object.fromEntries(
        products.map((name) => [
          name,
          { classes: outside, ...(name === 'forest-loss' ? { confidence: outside } : {}) },
        ]),
      ) as BlockClasses;
      for (const sink of sinks) sink.classified(window, new Uint8Array(pixels), classes);
      continue;
    }
    const inside = insideOf(window);
    const blockArea = pixelAreaHa.subarray(window.x0, window.x1);
    const zoneMasks = zones.map((zone) => {
      const mask = zone.maskOf(window);
      for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! & inside[i]!;
      return { id: zone.id, mask };
    });
    const block: Record<string, { classes: Uint8Array; confidence?: Uint8Array }> = {};
    for (const state of states) {
      const stored = state.stored.get(index)!;
      state.stored.delete(index);
      const classes = new Uint8Array(inflateSync(stored.classes));
      const confidence = stored.confidence ? new Uint8Array(inflateSync(stored.confidence)) : undefined;
      for (const { set, run } of dropsOfBlock.get(state)!.get(index) ?? []) {
        const at = (set.table.row[run]! - window.y0) * width - window.x0;
        classes.fill(set.replacement, at + set.table.start[run]!, at + set.table.end[run]!);
        confidence?.fill(CONFIDENCE.none, at + set.table.start[run]!, at + set.table.end[run]!);
      }
      addZonalStats(state.stats, {
        width,
        classes,
        ...(confidence ? { confidence } : {}),
        zone: inside,
        pixelAreaHa: blockArea,
      });
      for (const { id, mask } of zoneMasks) {
        const stats = state.zoneStats.get(id) ?? emptyZonalStats();
        state.zoneStats.set(id, stats);
        addZonalStats(stats, {
          width,
          classes,
          ...(confidence ? { confidence } : {}),
          zone: mask,
          pixelAreaHa: blockArea,
        });
      }
      block[state.name] = { classes, ...(confidence ? { confidence } : {}) };
    }
    for (const sink of sinks) sink.classified(window, inside, block as BlockClasses);
  }

  const period = (name: 'baseline' | 'monitoring'): PeriodComposite => ({
    dates: [...dated[name]].sort(),
    scenes: [...used[name]],
  });
  const forest = states[0]!;
  const zoneStatsOf = (state: ProductState, id: string) => state.zoneStats.get(id) ?? emptyZonalStats();
  const others: AnalysisRun['products'] = {};
  for (const state of states) {
    if (state.name === 'forest-loss') continue;
    others[state.name] = {
      patches: patchCounts.get(state.name)!,
      stats: {
        aoi: state.stats,
        zones: Object.fromEntries(zones.map((zone) => [zone.id, zoneStatsOf(state, zone.id)])),
      },
      parameters: state.name === 'settlement-change' ? settlement : mining,
    };
  }
  return {
    grid,
    pixelAreaHa,
    baseline: period('baseline'),
    monitoring: period('monitoring'),
    patches: patchCounts.get('forest-loss')!,
    keptPatches,
    stats: {
      aoi: forest.stats,
      zones: Object.fromEntries(
        zones.map((zone) => [
          zone.id,
          {
            ...zoneStatsOf(forest, zone.id),
            clearFraction: {
              baseline: fractionSeen(zone.clear.baseline),
              monitoring: fractionSeen(zone.clear.monitoring),
            },
          },
        ]),
      ),
      clearFraction: { baseline: fractionSeen(aoiClear.baseline), monitoring: fractionSeen(aoiClear.monitoring) },
    },
    products: others,
    notComputed,
    blocks: computed,
    parameters: { forestLoss: parameters, cloud, resolution, blockSize },
  };
}
