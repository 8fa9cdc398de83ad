import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Aoi } from '../../aoi/aoi.schema.js';
import type { TimeInterval } from '../../aoi/interval.js';
import type { Config } from '../../config/config.schema.js';
import { runAnalysis, type AnalysisRun } from '../analysis/analysis.js';
import type { Grid } from '../../aoi/rasterize.js';
import { RasterOutputSink, forestLossOutputs, type OutputFile } from '../outputs/forest.outputs.js';
import { inputsDigest, itemIdFor } from '../outputs/layout.js';
import { resultItem, type ResultItem } from '../outputs/stac.js';
import type { Summary } from '../../reports/summary.js';
import type { ComputePool } from '../analysis/pool.js';
import type { ObjectStore } from '../ports.js';
import { publishItem, type PublishEvent } from '../publish/publish.js';
import type { RasterOpener } from '../scenes/raster.opener.js';
import type { SceneSearch } from '../scenes/scenes.find.js';
import { processAlive } from './run.state.js';
import { VERSION } from '../version.js';

/**
 * One AOI and monitoring period, from the scenes found to the published item: compute, build the outputs,
 * publish them in the safe order. The digest of the inputs names the item's asset folder and is recorded in the
 * item, which is how a later run knows whether this period must be recomputed.
 */

export interface PeriodScenes {
  baseline: { window: TimeInterval; search: SceneSearch };
  monitoring: { window: TimeInterval; search: SceneSearch };
}

/** Landsat by its platform (landsat-5…9) or collection id (landsat-c2-l2…). */
const isLandsat = (scene: { platform?: string; collection: string }) =>
  /^landsat/i.test(scene.platform ?? '') || /landsat/i.test(scene.collection);

/**
 * The output pixel size: the configured one, or for `auto` 30 m when every scene is Landsat (its native grid) and
 * 10 m otherwise (Sentinel-2, or scenes whose sensor is not stated).
 */
export function analysisResolution(
  configured: Config['analysis']['resolution'],
  scenes: ReadonlyArray<{ platform?: string; collection: string }>,
): number {
  if (configured !== 'auto') return configured;
  return scenes.length > 0 && scenes.every(isLandsat) ? 30 : 10;
}

/** Landsat pixel corners lie 15 m off the multiples of 30 m: a 30 m grid of Landsat-only scenes follows them. */
export function gridOffset(resolution: number, scenes: ReadonlyArray<{ platform?: string; collection: string }>) {
  return resolution === 30 && scenes.length > 0 && scenes.every(isLandsat) ? 15 : 0;
}

export function periodParameters(config: Config, periods: PeriodScenes) {
  const scenes = [...periods.baseline.search.scenes, ...periods.monitoring.search.scenes];
  const resolution = analysisResolution(config.analysis.resolution, scenes);
  return {
    resolution,
    gridOffset: gridOffset(resolution, scenes),
    blockSize: config.analysis.blockSize,
    cloud: config.analysis.cloud,
    forestLoss: config.analysis.forestLoss,
    settlementChange: config.analysis.settlementChange,
    miningExpansion: config.analysis.miningExpansion,
  };
}

/** The item id and inputs digest a period would be published under. */
export function periodIdentity(aoi: Aoi, periods: PeriodScenes, config: Config): { itemId: string; digest: string } {
  return {
    itemId: itemIdFor(aoi.id, periods.monitoring.window),
    digest: inputsDigest({
      version: VERSION,
      aoi,
      scenes: {
        baseline: periods.baseline.search.scenes.map((scene) => scene.id),
        monitoring: periods.monitoring.search.scenes.map((scene) => scene.id),
      },
      windows: { baseline: periods.baseline.window, monitoring: periods.monitoring.window },
      parameters: {
        ...periodParameters(config, periods),
        maxCloudCover: [periods.baseline.search.maxCloudCover, periods.monitoring.search.maxCloudCover],
      },
    }),
  };
}

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

export async function computeAndPublish(input: {
  aoi: Aoi;
  periods: PeriodScenes;
  config: Config;
  opener: RasterOpener;
  store: ObjectStore;
  pool?: ComputePool;
  signal?: AbortSignal;
  onBlock?: (event: { block: number; blocks: number }) => void;
  onPublish?: (event: PublishEvent) => void;
}): Promise<PeriodResult> {
  const { aoi, periods, config } = input;
  const { itemId, digest } = periodIdentity(aoi, periods, config);
  const parameters = periodParameters(config, periods);
  // Rasters are written to files as the blocks stream, then uploaded from them: nothing AOI-sized stays in memory.
  // The folder follows TMPDIR; it needs room for the rasters of one period (about 3 bytes a pixel).
  removeAbandonedWorkDirs();
  const workDir = mkdtempSync(join(tmpdir(), `${WORK_DIR_PREFIX}${process.pid}-${aoi.id}-`));
  const rasters = new RasterOutputSink(workDir, periods, parameters);
  try {
    const run = await runAnalysis({
      aoi,
      baseline: periods.baseline.search.observations,
      monitoring: periods.monitoring.search.observations,
      opener: input.opener,
      ...(input.pool ? { pool: input.pool } : {}),
      resolution: parameters.resolution,
      gridOffset: parameters.gridOffset,
      blockSize: parameters.blockSize,
      forestLoss: parameters.forestLoss,
      settlement: parameters.settlementChange,
      mining: parameters.miningExpansion,
      cloud: parameters.cloud,
      sinks: [rasters],
      ...(input.onBlock ? { onBlock: input.onBlock } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
    });
    const { files, summary } = await forestLossOutputs({ aoi, run, rasters, periods, itemId, digest });
    const item = periodItem({ aoi, periods, grid: run.grid, itemId, digest, files });
    const published = await publishItem(input.store, {
      aoi,
      item,
      digest,
      files,
      ...(input.onPublish ? { onEvent: input.onPublish } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
    });
    return { itemId, digest, item, summary, run, published };
  } finally {
    rasters.abort();
    rmSync(workDir, { recursive: true, force: true });
  }
}
