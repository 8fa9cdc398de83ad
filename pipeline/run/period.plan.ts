import { displayFor, type DisplayComposite } from '../../workers/display.js';
import { aoiGrid } from '../../aoi/aoi.grid.js';
import { aoiForWindow } from '../../aoi/zone.versions.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import type { TimeInterval } from '../../aoi/interval.js';
import type { Grid } from '../../aoi/rasterize.js';
import type { Config } from '../../config/config.schema.js';
import type { CloudCleanup } from '../../workers/change.block.js';
import { PRODUCTS } from '../../workers/products/index.js';
import { selectProducts, type ProductSelection } from '../analysis/products.select.js';
import { inputsDigest, itemIdFor } from '../outputs/layout.js';
import { plannedOutputs } from '../outputs/period.outputs.js';
import type { SceneSearch } from '../scenes/scenes.find.js';
import { VERSION } from '../version.js';

/**
 * What one AOI and period will compute, decided once from the config and the scenes found: the item id and inputs
 * digest, the resolution and grid, the products (and why any asked for cannot be), and the assets it will
 * publish. Pure. The executor (period.run.ts) takes this plan and nothing else, so `run --dry-run` lists exactly
 * what `run` writes.
 */

export interface PeriodScenes {
  baseline: { window: TimeInterval; search: SceneSearch };
  monitoring: { window: TimeInterval; search: SceneSearch };
}

export interface PeriodPlan {
  aoi: Aoi;
  periods: PeriodScenes;
  itemId: string;
  digest: string;
  resolution: number;
  /** Pixel corners at this offset (x and y, or both) plus multiples of the resolution. */
  gridOffset: number | [number, number];
  grid: Grid;
  blockSize: number;
  cloud: CloudCleanup;
  products: ProductSelection;
  /** Asset keys the item will have, in the order they are written. */
  outputs: string[];
}

/** Landsat by its platform (landsat-5…9) or collection id (landsat-c2-l2…). */
const isLandsat = (scene: { platform?: string; collection: string }) =>
  /^landsat/i.test(scene.platform ?? '') || /landsat/i.test(scene.collection);

/**
 * The output pixel size: the configured one, or for `auto` the scenes' own when they all state one grid (radar
 * scenes), 30 m when every scene is Landsat (its native grid) and 10 m otherwise (Sentinel-2, or scenes whose sensor
 * is not stated).
 */
export function analysisResolution(configured: Config['analysis']['resolution'], scenes: readonly GridScene[]): number {
  if (configured !== 'auto') return configured;
  const shared = sharedSceneGrid(scenes);
  if (shared) return shared.resolution;
  return scenes.length > 0 && scenes.every(isLandsat) ? 30 : 10;
}

type GridScene = { platform?: string; collection: string; transform?: readonly number[]; sar?: unknown };

/**
 * The one north-up grid every scene of a run with radar scenes states (`Scene.transform`: radar scenes and NDVI
 * exports), as its pixel size and the corners' offsets from its multiples; undefined without radar scenes, or when
 * any scene states none or they differ.
 */
export function sharedSceneGrid(
  scenes: readonly GridScene[],
): { resolution: number; offset: [number, number] } | undefined {
  // Only where radar is read: the optical runs keep their grids (and their items' digests) as they were.
  if (!scenes.some((scene) => scene.sar)) return undefined;
  const first = scenes[0]?.transform;
  if (!first || first[2] !== 0 || first[4] !== 0 || first[1]! <= 0 || first[5] !== -first[1]!) return undefined;
  const resolution = first[1]!;
  const offsetOf = (value: number) => ((value % resolution) + resolution) % resolution;
  const offset: [number, number] = [offsetOf(first[0]!), offsetOf(first[3]!)];
  const same = (transform: readonly number[] | undefined) =>
    transform !== undefined &&
    transform[1] === resolution &&
    transform[5] === -resolution &&
    transform[2] === 0 &&
    transform[4] === 0 &&
    offsetOf(transform[0]!) === offset[0] &&
    offsetOf(transform[3]!) === offset[1];
  return scenes.every((scene) => same(scene.transform)) ? { resolution, offset } : undefined;
}

/**
 * Landsat pixel corners lie 15 m off the multiples of 30 m: a 30 m grid of Landsat-only scenes follows them. Radar
 * scenes that all state one grid of that pixel size: their grid's offsets (x, y).
 */
export function gridOffset(resolution: number, scenes: readonly GridScene[]): number | [number, number] {
  const shared = sharedSceneGrid(scenes);
  if (shared && shared.resolution === resolution) return shared.offset;
  return resolution === 30 && scenes.length > 0 && scenes.every(isLandsat) ? 15 : 0;
}

const scenesOf = (periods: PeriodScenes) => [...periods.baseline.search.scenes, ...periods.monitoring.search.scenes];

/**
 * The parameters behind an item's figures, as the inputs digest covers them: grid and cloud settings, and each
 * product's parameters where they can change its outputs (see `inEveryDigest` in workers/products/product.ts).
 */
function digestParameters(
  aoi: Aoi,
  config: Config,
  periods: PeriodScenes,
  resolution: number,
  display: DisplayComposite | undefined,
) {
  const analysis = config.analysis as unknown as Record<string, unknown>;
  const products = PRODUCTS.filter(
    (product) => ('inEveryDigest' in product && product.inEveryDigest) || aoi.analyses.includes(product.type),
  ).map((product) => [product.configKey, analysis[product.configKey]]);
  return {
    resolution,
    gridOffset: gridOffset(resolution, scenesOf(periods)),
    blockSize: config.analysis.blockSize,
    cloud: config.analysis.cloud,
    ...Object.fromEntries(products),
    maxCloudCover: [periods.baseline.search.maxCloudCover, periods.monitoring.search.maxCloudCover],
    // Only when one is made: items without composites keep the digest they had.
    ...(display && { composite: display.kind }),
  };
}

export function planPeriod(anyDay: Aoi, periods: PeriodScenes, config: Config): PeriodPlan {
  // Zones as they were at the end of the monitoring window: every figure of the period uses those versions.
  const aoi = aoiForWindow(anyDay, periods.monitoring.window);
  const scenes = scenesOf(periods);
  const resolution = analysisResolution(config.analysis.resolution, scenes);
  const offset = gridOffset(resolution, scenes);
  // The colour composite is of the optical scenes (radar scenes carry no colour; an AOI may have both).
  const display = config.reports.composites ? displayFor(scenes.filter((scene) => !scene.sar)) : undefined;
  const digest = inputsDigest({
    version: VERSION,
    aoi,
    scenes: {
      baseline: periods.baseline.search.scenes.map((scene) => scene.id),
      monitoring: periods.monitoring.search.scenes.map((scene) => scene.id),
    },
    windows: { baseline: periods.baseline.window, monitoring: periods.monitoring.window },
    parameters: digestParameters(aoi, config, periods, resolution, display),
  });
  const products = { ...selectProducts(aoi.analyses, scenes, config.analysis), ...(display && { display }) };
  return {
    aoi,
    periods,
    itemId: itemIdFor(aoi.id, periods.monitoring.window),
    digest,
    resolution,
    gridOffset: offset,
    grid: aoiGrid(aoi.geometry, aoi.bbox, resolution, offset),
    blockSize: config.analysis.blockSize,
    cloud: config.analysis.cloud,
    products,
    outputs: plannedOutputs(products),
  };
}
