import type { DisplayComposite } from '../../workers/display.js';
import { aoiGrid } from '../../aoi/aoi.grid.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { pixelAreaHaByColumn } from '../../aoi/pixel.area.js';
import { runRasterizer, type Grid, type PixelWindow } from '../../aoi/rasterize.js';
import {
  cleanupHalo,
  DEFAULT_CLOUD_CLEANUP,
  type CloudCleanup,
  type ChangeBlockResult,
} from '../../workers/change.block.js';
import type { FetchedBlockTask } from '../../workers/block.dates.js';
import {
  addClearArea,
  addLastClear,
  emptyLastClear,
  fractionSeen,
  type ClearArea,
  type LastClearTally,
  type ZonalStats,
} from '../../workers/zonal.js';
import { ChangewatchError } from '../errors.js';
import type { RasterOpener } from '../scenes/raster.opener.js';
import type { Observation } from '../scenes/scene.select.js';
import type { TileDecoder } from '../scenes/scene.read.js';
import { readsForBlock, type PeriodReads } from './block.read.js';
import { concurrencyLimit } from './limit.js';
import { blockWindows, haloGrid, StripMasks, type BlockWindow } from './block.windows.js';
import { computeOn, type ComputePool } from './pool.js';
import { ProductPasses, type FinalClasses, type KeptPatches } from './product.passes.js';
import { inputsOf, selectProducts, sensorOf, type ProductSelection } from './products.select.js';
import { fusable, isRadar, passLevels, seriesForBlock } from './series.read.js';
import { ProductAgreement, type AgreementTally } from './product.agreement.js';
import { productOf } from '../../workers/products/index.js';
import type { BandName } from '../../workers/bands.js';

export type { KeptPatches } from './product.passes.js';

/**
 * The change products of one AOI, streamed so memory does not grow with the AOI: the grid is cut into blocks; for
 * each block, the scenes of each observation date are read over it (plus a halo for the cloud morphology), brought
 * onto the grid and mosaicked, and the worker pool (or this thread) computes the block's masks, composites and
 * indices and classifies it for every product (workers/products/). Each finished block goes to the sinks (COG
 * writers, previews); its change pixels are kept as runs. When all blocks are in, the runs are joined into patches
 * across block seams and each product's patch rules decide; a second pass over the blocks' classes (kept
 * compressed) applies them, sends the final classes to the sinks and adds up the zonal statistics. What stays
 * whole-AOI is small: the compressed classes (well under a byte a pixel) and the change runs.
 */

/** Block edge, pixels: 512 × 512 blocks keep a 23-date, two-band block under 50 MB. */
export const DEFAULT_BLOCK_SIZE = 512;

/**
 * Scene windows read at once: enough to keep both the disk or network and the worker threads busy (the tiles are
 * decoded in the workers as they arrive), few enough to stay well inside an object store's request rates.
 */
export const DEFAULT_READ_CONCURRENCY = 8;

export interface PeriodComposite {
  /** Observation dates with at least one scene over the AOI (YYYY-MM-DD). */
  dates: string[];
  /** Scene ids that covered some of the AOI. */
  scenes: string[];
}

/** One block's final classes by product type (outside the AOI: 255). */
export type BlockClasses = Record<string, FinalClasses>;

/** Where a run's blocks go as they are computed: COG writers, previews, a test's whole-AOI arrays. */
export interface AnalysisSink {
  /**
   * Called once, before any block, with the products this run computes (registry order), their parameters and the
   * colour composite it makes.
   */
  open(grid: Grid, selection: ProductSelection): void;
  /**
   * Pass 1: one block's composites, for every block of the grid in turn (`result` null for blocks wholly outside
   * the AOI); `inside` is 1 inside the AOI polygon.
   */
  composites(window: PixelWindow, inside: Uint8Array, result: ChangeBlockResult | null): void;
  /** Pass 2: one block's final classes, for every block of the grid. */
  classified(window: PixelWindow, inside: Uint8Array, classes: BlockClasses): void;
  /**
   * Resolves once the work the sink set going elsewhere (tiles compressed in the pool) is back within its bound;
   * awaited after each block, so that work cannot pile up in memory.
   */
  drain?(): Promise<void>;
}

/** Every sink's {@link AnalysisSink.drain}, in turn. */
async function drainSinks(sinks: readonly AnalysisSink[]): Promise<void> {
  for (const sink of sinks) await sink.drain?.();
}

/** One product's figures. */
export interface ProductRun {
  type: string;
  params: Record<string, unknown>;
  patches: { kept: number; belowMmu: number };
  stats: { aoi: ZonalStats; zones: Record<string, ZonalStats> };
  /** Where the product it corroborates was computed too: their change pixels by who saw them. */
  agreement?: AgreementTally;
  /** For a product with its own sensor (radar): share of the AOI it observed at least once in each period. */
  observed?: { baseline: number; monitoring: number };
}

export interface AnalysisRun {
  grid: Grid;
  pixelAreaHa: Float64Array;
  baseline: PeriodComposite;
  monitoring: PeriodComposite;
  /** Every product computed, by type, in registry order. */
  products: Record<string, ProductRun>;
  /** Every product's kept patches, for the polygons. */
  keptPatches: KeptPatches[];
  /** Share of the AOI seen clear at least once in each period. */
  clearFraction: { baseline: number; monitoring: number };
  /** The same for each zone. */
  zoneClearFraction: Record<string, { baseline: number; monitoring: number }>;
  /** The AOI's and each zone's pixels by the day of their last clear observation in the monitoring window. */
  lastClear: { aoi: LastClearTally; zones: Record<string, LastClearTally> };
  /** Analyses the AOI asked for that this run could not compute, with why. */
  notComputed: Record<string, string>;
  /**
   * Scenes found for either period but left out, with why (their item and file disagree on the CRS or the
   * footprint), sorted by id. They are in neither period's `scenes`.
   */
  skipped: Array<{ id: string; reason: string }>;
  blocks: number;
  /** `display`: the colour composite made for the map (workers/display.ts), when one was. */
  parameters: { cloud: CloudCleanup; resolution: number; blockSize: number; display?: DisplayComposite };
}

export interface AnalysisInput {
  aoi: Aoi;
  baseline: readonly Observation[];
  monitoring: readonly Observation[];
  opener: RasterOpener;
  pool?: ComputePool;
  /** The plan's grid; default: the AOI's bounding box at the resolution and grid offset. */
  grid?: Grid;
  resolution?: number;
  /** Pixel corners at this offset plus multiples of the resolution (15 for Landsat at 30 m); default 0. */
  gridOffset?: number | [number, number];
  blockSize?: number;
  /** The products to compute (the plan's); default: those the AOI's analyses and scenes allow, with defaults. */
  products?: ProductSelection;
  cloud?: CloudCleanup;
  /** Receive the blocks: output writers, previews. */
  sinks?: readonly AnalysisSink[];
  onBlock?: (event: { block: number; blocks: number }) => void;
  /** Scene windows read at once (each a few range requests). Default {@link DEFAULT_READ_CONCURRENCY}. */
  readConcurrency?: number;
  /** Stops the run between reads and blocks; running worker tasks are abandoned by the pool. */
  signal?: AbortSignal;
  /**
   * The reduce of a striped AOI (README "Scaling out"): every computed block's result as its stripe stored it, and
   * what the stripes' reads found, instead of reading and computing the blocks.
   */
  replay?: StripeReplay;
}

/** What a period's reads found, as a stripe stores it: ids in the order the reads met them. */
export interface StoredReads {
  used: string[];
  dated: string[];
  skipped: Array<[string, string]>;
}

export interface StripeReplay {
  /** One computed block's result, by block index (raster order). */
  result(index: number): Promise<ChangeBlockResult>;
  /** Each stripe's reads, in stripe order. */
  reads: ReadonlyArray<Record<'baseline' | 'monitoring', StoredReads>>;
}

/** A stripe's share of pass 1: the blocks of block rows `rows[0]` to `rows[1]` (excluded). */
export interface StripeBlocks {
  rows: readonly [number, number];
  /** Takes one computed block's result (stores it); called in block order. */
  keep(index: number, result: ChangeBlockResult): Promise<void>;
}

const PERIODS = ['baseline', 'monitoring'] as const;
type PeriodName = (typeof PERIODS)[number];
const clearArea = (): Record<PeriodName, ClearArea> => ({
  baseline: { seenHa: 0, totalHa: 0 },
  monitoring: { seenHa: 0, totalHa: 0 },
});

/** What a run holds while its blocks stream: the grid and its masks, the products' passes, the clear areas. */
class AnalysisState {
  readonly grid: Grid;
  readonly resolution: number;
  readonly blockSize: number;
  readonly cloud: CloudCleanup;
  readonly selection: ProductSelection;
  readonly inputs: ReturnType<typeof inputsOf>;
  private pixelArea: Float64Array | undefined;
  /** The pixel areas being computed in the pool, when the run has one. */
  private readonly pixelAreaInPool: Promise<Float64Array> | undefined;
  readonly insideOf: (window: PixelWindow) => Uint8Array;
  readonly zones: Array<{
    id: string;
    maskOf: (window: PixelWindow) => Uint8Array;
    clear: Record<PeriodName, ClearArea>;
    lastClear: LastClearTally;
  }>;
  readonly aoiClear = clearArea();
  readonly aoiLastClear = emptyLastClear();
  readonly passes: ProductPasses[];
  readonly agreements: ProductAgreement[];
  readonly windows: BlockWindow[];
  /** Tiles decoded in the worker pool, when the run has one. */
  readonly decode: TileDecoder | undefined;
  /** Bounds the scene reads running at once (range requests), apart from the pool's threads (CPU). */
  readonly limitReads: ReturnType<typeof concurrencyLimit>;
  readonly reads: Record<PeriodName, PeriodReads> = {
    baseline: { used: new Set(), dated: new Set(), skipped: new Map() },
    monitoring: { used: new Set(), dated: new Set(), skipped: new Map() },
  };
  /**
   * Each period's optical observations for the composites (none without an optical product), and the passes the
   * series products read (radar, and the optical ones a product fuses with them).
   */
  readonly optical: Record<PeriodName, Observation[]>;
  readonly series: Record<PeriodName, Observation[]>;
  /** Each series pass's level over the AOI (the pre-pass), once computed. */
  levels = new Map<Observation, Partial<Record<BandName, number>>>();

  constructor(readonly input: AnalysisInput) {
    this.resolution = input.resolution ?? 10;
    this.blockSize = input.blockSize ?? DEFAULT_BLOCK_SIZE;
    this.cloud = input.cloud ?? DEFAULT_CLOUD_CLEANUP;
    this.grid = input.grid ?? aoiGrid(input.aoi.geometry, input.aoi.bbox, this.resolution, input.gridOffset ?? 0);
    if (this.grid.width * this.grid.height > 2 ** 32 - 1) {
      // Pixel indices and TIFF offsets are 32-bit: over 4 Gpx (400,000 km² at 10 m) an AOI must be split.
      throw new ChangewatchError(
        'E_COMPUTE',
        `${input.aoi.id}: ${this.grid.width}×${this.grid.height} pixels: split the AOI`,
      );
    }
    const scenes = [...input.baseline, ...input.monitoring].flatMap((observation) => observation.scenes);
    this.selection = input.products ?? selectProducts(input.aoi.analyses, scenes);
    this.inputs = inputsOf(this.selection);
    const aoiMasks = new StripMasks(runRasterizer(input.aoi.geometry, this.grid), this.grid, this.blockSize);
    this.insideOf = (window) => aoiMasks.mask(window);
    this.zones = input.aoi.zones.map((zone) => {
      const masks = new StripMasks(runRasterizer(zone.geometry, this.grid), this.grid, this.blockSize);
      const maskOf = (window: PixelWindow) => masks.mask(window);
      return { id: zone.id, maskOf, clear: clearArea(), lastClear: emptyLastClear() };
    });
    this.passes = this.selection.products.map((selected) => new ProductPasses(selected));
    this.agreements = ProductAgreement.of(this.selection.products);
    this.windows = blockWindows(this.grid, this.blockSize, (window) => aoiMasks.touches(window));
    const split = (period: PeriodName, radar: boolean) =>
      input[period].filter((observation) => isRadar(observation) === radar);
    const products = this.selection.products.map((selected) => ({ ...selected, product: productOf(selected.type) }));
    const composited = products.some(({ product }) => sensorOf(product) === 'optical');
    const fused = products.some(({ product, params }) => product.series?.fusesOptical?.(params as never));
    // Radar passes are read only for a product that reads them; optical ones for the composites, and for fusion
    // where their scenes carry NDVI or red and NIR.
    const radarRead = this.inputs.radarBands.length > 0;
    const seriesOf = (period: PeriodName) => [
      ...(radarRead ? split(period, true) : []),
      ...(radarRead && fused ? split(period, false).filter(fusable) : []),
    ];
    this.optical = {
      baseline: composited ? split('baseline', false) : [],
      monitoring: composited ? split('monitoring', false) : [],
    };
    this.series = { baseline: seriesOf('baseline'), monitoring: seriesOf('monitoring') };
    this.limitReads = concurrencyLimit(input.readConcurrency ?? DEFAULT_READ_CONCURRENCY);
    const { pool, signal } = input;
    this.pixelAreaInPool = pool
      ?.run({ type: 'pixel-area', grid: this.grid }, signal ? { signal } : {})
      .then((result) => result.hectares);
    // Awaited before the first block is taken in; a run that stops before must not leave it unhandled.
    this.pixelAreaInPool?.catch(() => undefined);
    this.decode = pool?.decoder(signal);
  }

  /**
   * Each column's pixel area, hectares. The geodesic areas take tens of milliseconds (a hundred and more on a busy
   * machine): with a pool they are computed there from the start (see {@link pixelAreaReady}), so the main thread
   * goes on fetching; without one, here when first needed.
   */
  get pixelAreaHa(): Float64Array {
    return (this.pixelArea ??= pixelAreaHaByColumn(this.grid));
  }

  /** Waits for the pixel areas the pool computes, if it does. */
  async pixelAreaReady(): Promise<void> {
    if (this.pixelAreaInPool) this.pixelArea ??= await this.pixelAreaInPool;
  }

  blockArea(window: PixelWindow): Float64Array {
    return this.pixelAreaHa.subarray(window.x0, window.x1);
  }

  /** The zones' masks over a block, cut to the AOI. */
  zoneMasks(window: PixelWindow, inside: Uint8Array) {
    return this.zones.map((zone) => {
      const mask = zone.maskOf(window);
      for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! & inside[i]!;
      return { id: zone.id, mask, clear: zone.clear, lastClear: zone.lastClear };
    });
  }
}

/**
 * The worker task of one block: the scenes of its dates fetched over the block with its halo (their tiles decoded
 * in the worker), and the products to classify.
 */
async function blockTask(state: AnalysisState, window: PixelWindow, inside: Uint8Array): Promise<FetchedBlockTask> {
  const { blockGrid, halo } = haloGrid(state.grid, window, cleanupHalo(state.cloud.openPx, state.cloud.dilatePx));
  const { opener, signal } = state.input;
  const { display } = state.selection;
  const options = {
    limit: state.limitReads,
    ...(signal ? { signal } : {}),
    ...(state.decode ? { decode: state.decode } : {}),
  };
  // The display bands are read along (they never decide what is clear: workers/block.dates.ts).
  const read = [...new Set([...state.inputs.bands, ...(display?.bands ?? [])])];
  const readsOf = (period: PeriodName) =>
    readsForBlock(state.optical[period], blockGrid, opener, read, state.reads[period], options);
  const [baseline, monitoring] = await Promise.all([readsOf('baseline'), readsOf('monitoring')]);
  const seriesOf = (period: PeriodName) =>
    seriesForBlock(
      state.series[period],
      blockGrid,
      state.levels,
      { opener, cloud: state.cloud, radarBands: state.inputs.radarBands, reads: state.reads[period] },
      period === 'monitoring',
    );
  const series =
    state.inputs.radarBands.length > 0
      ? { series: [...(await seriesOf('baseline')), ...(await seriesOf('monitoring'))].sort((a, b) => a.day - b.day) }
      : {};
  return {
    type: 'fetched-change-block',
    grid: blockGrid,
    halo,
    baseline,
    monitoring,
    excludeSnow: state.cloud.excludeSnow,
    inside,
    openPx: state.cloud.openPx,
    dilatePx: state.cloud.dilatePx,
    bands: state.inputs.bands,
    indices: state.inputs.indices,
    products: state.selection.products.map(({ type, params }) => ({ type, params })),
    ...(display && { display }),
    ...series,
  };
}

/** The pre-pass of the series products: each pass's level over the whole AOI, before any block. */
async function levelPrePass(state: AnalysisState): Promise<void> {
  const series = state.selection.products.find((selected) => productOf(selected.type).series);
  if (!series || state.inputs.radarBands.length === 0) return;
  state.levels = await passLevels({
    grid: state.grid,
    windows: state.windows,
    insideOf: state.insideOf,
    passes: PERIODS.flatMap((period) =>
      state.series[period].map((observation) => ({ observation, reads: state.reads[period] })),
    ),
    read: { opener: state.input.opener, cloud: state.cloud, radarBands: state.inputs.radarBands },
    quantile: productOf(series.type).series!.levelQuantile(series.params),
    ...(state.input.signal ? { signal: state.input.signal } : {}),
  });
}

/** Pass 1 for one computed block: composites to the sinks, change runs to the products, clear areas added up. */
function takeBlock(state: AnalysisState, index: number, window: PixelWindow, result: ChangeBlockResult): void {
  const inside = state.insideOf(window);
  const width = window.x1 - window.x0;
  for (const sink of state.input.sinks ?? []) sink.composites(window, inside, result);
  const blockArea = state.blockArea(window);
  for (const passes of state.passes) passes.collect(index, window, result, blockArea, inside);
  for (const period of PERIODS) addClearArea(state.aoiClear[period], result[period].count, inside, width, blockArea);
  addLastClear(state.aoiLastClear, result.monitoring.lastDay, inside);
  for (const zone of state.zoneMasks(window, inside)) {
    for (const period of PERIODS) addClearArea(zone.clear[period], result[period].count, zone.mask, width, blockArea);
    addLastClear(zone.lastClear, result.monitoring.lastDay, zone.mask);
  }
}

/**
 * Pass 1 for a block inside the AOI, started: replayed from its stripe, or read (awaited here, so blocks read in
 * raster order) and computed by the pool or this thread (not awaited).
 */
async function startBlock(state: AnalysisState, index: number, window: PixelWindow) {
  const { input } = state;
  if (input.replay) return { result: input.replay.result(index) };
  const task = await blockTask(state, window, state.insideOf(window));
  return { result: computeOn(input.pool, task, input.signal ? { signal: input.signal } : {}) };
}

/**
 * Pass 1 over every block (or a stripe's): reads and worker tasks, a few in flight, results taken in raster order
 * whatever order the workers finish in, so the sums and run tables never depend on thread timing and a reduce
 * replaying stored blocks gets the same bytes.
 */
async function computeBlocks(state: AnalysisState, stripe?: StripeBlocks): Promise<number> {
  const { input } = state;
  const sinks = input.sinks ?? [];
  const inStripe = (window: PixelWindow) =>
    !stripe || (window.y0 >= stripe.rows[0] * state.blockSize && window.y0 < stripe.rows[1] * state.blockSize);
  const computed = state.windows.filter((window) => window.any && inStripe(window)).length;
  const inFlight: Array<Promise<void>> = [];
  const maxInFlight = input.pool ? input.pool.threads + 1 : 1;
  let done = 0;
  let taken: Promise<void> = Promise.resolve();
  try {
    for (const [index, window] of state.windows.entries()) {
      input.signal?.throwIfAborted();
      if (!inStripe(window)) continue;
      if (!window.any) {
        const outside = new Uint8Array((window.x1 - window.x0) * (window.y1 - window.y0));
        for (const sink of sinks) sink.composites(window, outside, null);
        await drainSinks(sinks);
        continue;
      }
      const compute = (await startBlock(state, index, window)).result;
      const before = taken;
      const placed = Promise.all([compute, before]).then(async ([result]) => {
        await state.pixelAreaReady();
        input.signal?.throwIfAborted();
        if (stripe) await stripe.keep(index, result);
        else takeBlock(state, index, window, result);
        await drainSinks(sinks);
        input.onBlock?.({ block: ++done, blocks: computed });
      });
      taken = placed;
      // Marked handled now: if the run stops early (cancelled, a read failed), blocks still in flight must not
      // surface as unhandled rejections; they are awaited below.
      placed.catch(() => undefined);
      compute.catch(() => undefined);
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
  return computed;
}

/** Pass 2 over every block: final classes to the sinks, zonal statistics added up. */
async function classifyBlocks(state: AnalysisState): Promise<void> {
  const { input } = state;
  const sinks = input.sinks ?? [];
  for (const [index, window] of state.windows.entries()) {
    input.signal?.throwIfAborted();
    const pixels = (window.x1 - window.x0) * (window.y1 - window.y0);
    if (!window.any) {
      // Every product's code for outside the AOI is 255 (the rasters' nodata), and so is its confidence's.
      const outside = new Uint8Array(pixels).fill(255);
      const classes: BlockClasses = {};
      for (const passes of state.passes) {
        classes[passes.product.type] = {
          classes: outside,
          ...(passes.product.confidence ? { confidence: outside } : {}),
        };
      }
      for (const sink of sinks) sink.classified(window, new Uint8Array(pixels), classes);
      await drainSinks(sinks);
      continue;
    }
    const inside = state.insideOf(window);
    const masks = { inside, zones: state.zoneMasks(window, inside) };
    const classes: BlockClasses = {};
    for (const passes of state.passes) {
      classes[passes.product.type] = passes.finalise(index, window, masks, state.blockArea(window));
    }
    for (const agreement of state.agreements) agreement.add(window, inside, classes, state.blockArea(window));
    for (const sink of sinks) sink.classified(window, inside, classes);
    await drainSinks(sinks);
  }
}

const agreementOf = (state: AnalysisState, type: string) => {
  const agreement = state.agreements.find((candidate) => candidate.type === type);
  return agreement ? { agreement: agreement.tally } : {};
};

function analysisRun(state: AnalysisState, keptPatches: KeptPatches[], blocks: number): AnalysisRun {
  const period = (name: PeriodName): PeriodComposite => ({
    dates: [...state.reads[name].dated].sort(),
    scenes: [...state.reads[name].used],
  });
  const skipped = PERIODS.flatMap((name) =>
    [...state.reads[name].skipped].map(([id, reason]) => ({ id, reason })),
  ).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const fractions = (clear: Record<PeriodName, ClearArea>) => ({
    baseline: fractionSeen(clear.baseline),
    monitoring: fractionSeen(clear.monitoring),
  });
  const products: Record<string, ProductRun> = {};
  for (const passes of state.passes) {
    products[passes.product.type] = {
      type: passes.product.type,
      params: passes.selected.params,
      patches: passes.patchCounts,
      ...agreementOf(state, passes.product.type),
      ...(passes.observed
        ? {
            observed: {
              baseline: fractionSeen(passes.observed.baseline),
              monitoring: fractionSeen(passes.observed.monitoring),
            },
          }
        : {}),
      stats: {
        aoi: passes.stats,
        zones: Object.fromEntries(state.zones.map((zone) => [zone.id, passes.zoneStatsOf(zone.id)])),
      },
    };
  }
  return {
    grid: state.grid,
    pixelAreaHa: state.pixelAreaHa,
    baseline: period('baseline'),
    monitoring: period('monitoring'),
    products,
    keptPatches,
    clearFraction: fractions(state.aoiClear),
    zoneClearFraction: Object.fromEntries(state.zones.map((zone) => [zone.id, fractions(zone.clear)])),
    lastClear: {
      aoi: state.aoiLastClear,
      zones: Object.fromEntries(state.zones.map((zone) => [zone.id, zone.lastClear])),
    },
    notComputed: state.selection.notComputed,
    skipped,
    blocks,
    parameters: {
      cloud: state.cloud,
      resolution: state.resolution,
      blockSize: state.blockSize,
      ...(state.selection.display && { display: state.selection.display }),
    },
  };
}

/** What a period's reads found, as a stripe stores it. */
function storedReads(reads: PeriodReads): StoredReads {
  return { used: [...reads.used], dated: [...reads.dated], skipped: [...reads.skipped] };
}

/**
 * The reduce's reads: the stripes' in stripe order. Every stripe read the blocks of its rows in raster order after
 * the same pre-pass, so the ids come in the order a single run over every block meets them.
 */
function replayReads(state: AnalysisState, replay: StripeReplay): void {
  for (const stripe of replay.reads) {
    for (const period of PERIODS) {
      const into = state.reads[period];
      for (const id of stripe[period].used) into.used.add(id);
      for (const date of stripe[period].dated) into.dated.add(date);
      for (const [id, reason] of stripe[period].skipped) if (!into.skipped.has(id)) into.skipped.set(id, reason);
    }
  }
}

/**
 * A stripe of a large AOI (README "Scaling out"): pass 1 for the blocks of its band of block rows, each result
 * handed to `stripe.keep` instead of the sinks and patch passes. The pre-pass runs over the whole AOI, as in a
 * single run, so every stripe computes its blocks with the same levels. Returns the blocks computed and what the
 * reads found.
 */
export async function computeStripe(
  input: AnalysisInput,
  stripe: StripeBlocks,
): Promise<{ blocks: number; reads: Record<PeriodName, StoredReads> }> {
  const state = new AnalysisState({ ...input, sinks: [] });
  await levelPrePass(state);
  const blocks = await computeBlocks(state, stripe);
  return {
    blocks,
    reads: { baseline: storedReads(state.reads.baseline), monitoring: storedReads(state.reads.monitoring) },
  };
}

export async function runAnalysis(input: AnalysisInput): Promise<AnalysisRun> {
  const state = new AnalysisState(input);
  for (const sink of input.sinks ?? []) sink.open(state.grid, state.selection);
  // The reduce takes the stripes' results: the levels only served their computation.
  if (input.replay) replayReads(state, input.replay);
  else await levelPrePass(state);
  const blocks = await computeBlocks(state);
  await state.pixelAreaReady();
  // Patches across block seams, and the minimum mapping unit (and other patch rules) on their true areas.
  const keptPatches = state.passes.flatMap((passes) => passes.decide());
  await classifyBlocks(state);
  return analysisRun(state, keptPatches, blocks);
}
