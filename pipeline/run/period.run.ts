import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Aoi } from '../../aoi/aoi.schema.js';
import type { Config } from '../../config/config.schema.js';
import {
  computeStripe,
  runAnalysis,
  type AnalysisInput,
  type AnalysisRun,
  type StripeBlocks,
  type StripeReplay,
} from '../analysis/analysis.js';
import type { Grid } from '../../aoi/rasterize.js';
import type { OutputFile } from '../outputs/output.file.js';
import { periodOutputs, type PendingPeriod } from '../outputs/period.outputs.js';
import { noSpaceLeft, RasterOutputSink } from '../outputs/raster.sink.js';
import { resultItem, type ResultItem } from '../outputs/stac.js';
import type { SiteCounts, Summary } from '../../reports/summary.js';
import type { ComputePool } from '../analysis/pool.js';
import type { ObjectStore } from '../ports.js';
import { publishItem, type PublishEvent } from '../publish/publish.js';
import { countSitesWith } from '../publish/sites.publish.js';
import { publishedRasters } from '../scenes/store.raster.js';
import type { RasterOpener } from '../scenes/raster.opener.js';
import type { PeriodPlan, PeriodScenes } from './period.plan.js';
import { ChangewatchError } from '../errors.js';
import { processAlive } from '../host.js';

/**
 * One AOI and monitoring period, from the scenes found to the published item: compute, build the outputs,
 * publish them in the safe order. The digest of the inputs names the item's asset folder and is recorded in the
 * item, which is how a later run knows whether this period must be recomputed.
 */

export type { PeriodScenes } from './period.plan.js';

export interface PeriodResult {
  itemId: string;
  digest: string;
  item: ResultItem;
  summary: Summary;
  run: AnalysisRun;
  published: { bytes: number; objects: number };
}

/**
 * The STAC item of a period's outputs; `derived_from` links name the source scenes' items that other machines can
 * reach (http(s) and s3), not paths local to this one.
 */
export function periodItem(input: {
  aoi: Aoi;
  periods: PeriodScenes;
  grid: Grid;
  itemId: string;
  digest: string;
  files: readonly OutputFile[];
}): ResultItem {
  const { periods } = input;
  const sources = [...periods.baseline.search.scenes, ...periods.monitoring.search.scenes]
    .map((scene) => scene.href)
    .filter((href): href is string => typeof href === 'string' && /^(https?|s3):\/\//.test(href));
  return resultItem({
    aoi: input.aoi,
    itemId: input.itemId,
    digest: input.digest,
    grid: input.grid,
    windows: { baseline: periods.baseline.window, monitoring: periods.monitoring.window },
    files: input.files,
    sources,
  });
}

const WORK_DIR_PREFIX = 'changewatch-';

/**
 * Removes the work folders that runs killed on this host left behind (their process is gone): a killed run cannot
 * clean up, and a large AOI's rasters take hundreds of megabytes. Folders of live processes are left alone.
 */
export function removeAbandonedWorkDirs(root = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = Number(new RegExp(`^${WORK_DIR_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * The catalog found scenes whose footprints touch the AOI's box, but none of a period's scenes had data over the
 * AOI itself: nothing was observed, so there is nothing to publish (an item of "not seen" everywhere would only
 * bury the reason).
 */
function refuseUnseen(aoiId: string, run: AnalysisRun, periods: PeriodScenes): void {
  for (const period of ['baseline', 'monitoring'] as const) {
    if (run[period].dates.length > 0) continue;
    const found = new Set(periods[period].search.scenes.map((scene) => scene.id));
    const skipped = run.skipped.filter((skip) => found.has(skip.id));
    const why =
      skipped.length > 0
        ? `${skipped.length} of its ${found.size} scene(s) were skipped (${skipped[0]!.reason})${skipped.length < found.size ? ' and the others have no data over it' : ''}`
        : 'their footprints only touch its bounding box';
    throw new ChangewatchError(
      'E_NO_SCENES',
      `${aoiId}: none of the ${period} scenes has usable data over the AOI (${why}): nothing to compute until a scene covers it`,
    );
  }
}

/** The period's scratch folder under TMPDIR; a full disk is said as such, with the folder and what to do. */
function makeWorkDir(aoiId: string): string {
  try {
    return mkdtempSync(join(tmpdir(), `${WORK_DIR_PREFIX}${process.pid}-${aoiId}-`));
  } catch (error) {
    throw noSpaceLeft(error, tmpdir());
  }
}

/** Where a period runs: the adapters of the composition root (pipeline/compose.ts) it needs. */
export interface PeriodAdapters {
  opener: RasterOpener;
  store: ObjectStore;
  pool?: ComputePool;
  /** How sites are matched and aged (`sites` in the config): the summary counts the sites. */
  siteRules: Config['sites'];
}

export interface PeriodRunOptions {
  signal?: AbortSignal;
  onBlock?: (event: { block: number; blocks: number }) => void;
  onPublish?: (event: PublishEvent) => void;
  /** The reduce of a striped AOI: the stripes' stored blocks instead of reading and computing them. */
  replay?: StripeReplay;
}

/** The block driver's input for a period's plan (sinks apart). */
function analysisInput(
  plan: PeriodPlan,
  adapters: Pick<PeriodAdapters, 'opener' | 'pool'>,
  options: PeriodRunOptions,
): AnalysisInput {
  const { aoi, periods } = plan;
  return {
    aoi,
    baseline: periods.baseline.search.observations,
    monitoring: periods.monitoring.search.observations,
    opener: adapters.opener,
    ...(adapters.pool ? { pool: adapters.pool } : {}),
    grid: plan.grid,
    resolution: plan.resolution,
    blockSize: plan.blockSize,
    products: plan.products,
    cloud: plan.cloud,
    ...(options.onBlock ? { onBlock: options.onBlock } : {}),
    ...(options.replay ? { replay: options.replay } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** A stripe of a period's plan (README "Scaling out"): pass 1 over its block rows, each result to `stripe.keep`. */
export function computePeriodStripe(
  plan: PeriodPlan,
  adapters: Pick<PeriodAdapters, 'opener' | 'pool'>,
  stripe: StripeBlocks,
  options: Pick<PeriodRunOptions, 'signal' | 'onBlock'> = {},
) {
  return computeStripe(analysisInput(plan, adapters, options), stripe);
}

/**
 * Counts the AOI's sites with a period about to be published folded in (its summary's `sites`): the store's items
 * and rasters, and the period's own rasters from the work folder, read through the run's opener.
 */
export function siteCounter(
  adapters: Pick<PeriodAdapters, 'opener' | 'store' | 'siteRules'>,
  aoi: Aoi,
): (period: PendingPeriod) => Promise<SiteCounts> {
  const { opener, store, siteRules } = adapters;
  const workRasters = (path: string) => publishedRasters(opener, `file://${dirname(path)}`)(basename(path));
  return (period) =>
    countSitesWith(store, aoi, siteRules, publishedRasters(opener, store.url), { period, workRasters });
}

/** Executes a period's plan: compute its products, build the outputs, publish them in the safe order. */
export async function computeAndPublish(
  plan: PeriodPlan,
  adapters: PeriodAdapters,
  options: PeriodRunOptions = {},
): Promise<PeriodResult> {
  const { aoi, periods, itemId, digest } = plan;
  // Rasters are written to files as the blocks stream, then uploaded from them: nothing AOI-sized stays in memory.
  // The folder follows TMPDIR; it needs room for the rasters of one period (about 3 bytes a pixel).
  const workDir = makeWorkDir(aoi.id);
  const windows = { baseline: periods.baseline.window.text, monitoring: periods.monitoring.window.text };
  // Their tiles are compressed in the pool while the blocks go on and this thread takes them in.
  const encode = adapters.pool?.tileEncoder(options.signal);
  const rasters = new RasterOutputSink(workDir, windows, plan.resolution, encode);
  const signal = options.signal ? { signal: options.signal } : {};
  try {
    const run = await runAnalysis({ ...analysisInput(plan, adapters, options), sinks: [rasters] });
    refuseUnseen(aoi.id, run, periods);
    const outputs = { aoi, run, rasters, periods, itemId, digest, countSites: siteCounter(adapters, aoi) };
    const { files, summary } = await periodOutputs(outputs);
    const item = periodItem({ aoi, periods, grid: run.grid, itemId, digest, files });
    const onEvent = options.onPublish ? { onEvent: options.onPublish } : {};
    const published = await publishItem(adapters.store, { aoi, item, digest, files, ...onEvent, ...signal });
    return { itemId, digest, item, summary, run, published };
  } finally {
    rasters.abort();
    rmSync(workDir, { recursive: true, force: true });
  }
}
