import type { Aoi } from '../../aoi/aoi.schema.js';
import type { TimeInterval } from '../../aoi/interval.js';
import type { Config } from '../../config/config.schema.js';
import type { BandName } from '../../workers/bands.js';
import { PRODUCTS } from '../../workers/products/index.js';
import type { Scene } from '../scenes/stac.profiles.js';

/**
 * What a run will do for one AOI, decided before anything is read or written. Pure: the scenes found and what is
 * already published go in, the decision comes out, so `run --dry-run` prints exactly what `run` would do.
 */

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The AOI's periods: its explicit windows, or a rolling monitoring window of `monitoringDays` whole UTC days
 * ending with the run date's day, and a baseline of the same calendar days `baselineYearsBack` years earlier —
 * the same season, so the wet/dry cycle of eastern DR Congo is not mistaken for change.
 */
export function periodsFor(
  aoi: Pick<Aoi, 'windows'>,
  runDate: Date,
  run: Pick<Config['run'], 'monitoringDays' | 'baselineYearsBack'>,
): { baseline: TimeInterval; monitoring: TimeInterval } {
  const endMs = Date.UTC(runDate.getUTCFullYear(), runDate.getUTCMonth(), runDate.getUTCDate()) + DAY_MS;
  const startMs = endMs - run.monitoringDays * DAY_MS;
  const interval = (start: number, end: number): TimeInterval => ({
    text: `${isoDay(start)}/${isoDay(end - DAY_MS)}`,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
  });
  const yearsBack = (ms: number) => {
    const date = new Date(ms);
    date.setUTCFullYear(date.getUTCFullYear() - run.baselineYearsBack);
    return date.getTime();
  };
  return {
    monitoring: aoi.windows.monitoring ?? interval(startMs, endMs),
    baseline: aoi.windows.baseline ?? interval(yearsBack(startMs), yearsBack(endMs)),
  };
}

/** What the store says about the period's item, as far as planning needs. */
export interface PublishedPeriod {
  /** Inputs digest recorded in the published item, if there is one. */
  digest?: string;
  /** Scene ids the last successful computation of this item used. */
  scenes: readonly string[];
  /** What the publication of the item with that digest still lacks (publish/period.publish.ts); none: complete. */
  gaps?: ReadonlyArray<{ step: string; why: string }>;
}

export interface AoiPlan {
  aoi: string;
  itemId: string;
  digest: string;
  action: 'compute' | 'nothing-new' | 'repair' | 'no-scenes' | 'too-large';
  /** Why, in one sentence for the run report. */
  reason: string;
  windows: { baseline: string; monitoring: string };
  scenes: { baseline: string[]; monitoring: string[] };
  /** Scenes not used by the published item. */
  newScenes: string[];
  /** Estimate of the bytes to read: the AOI's window of each band file of each scene ({@link estimateReadBytes}). */
  estimatedBytes: number;
  /** Asset keys the computation will publish. */
  outputs: string[];
  /** Estimated peak memory of the computation, bytes ({@link RUN_BYTES_PER_PIXEL}). */
  estimatedMemoryBytes: number;
}

/**
 * Peak memory of a period's computation. Blocks stream to the COG writers, so what stays is a base (the blocks
 * in flight with their scenes, the preview cells, capped at 2048 px a side, the tiles being filled) plus what the
 * whole AOI keeps: each block's classes compressed and the loss runs, well under a byte per pixel. `npm run bench`
 * measures 220-450 MiB from 4 to 170 Mpx grids without imagery; the demo with 9 scenes peaks near 350 MiB. Both
 * figures are rounded up so the estimate errs high.
 */
export const RUN_BYTES_PER_PIXEL = 1;
export const RUN_BASE_BYTES = 768 * 1_048_576;

/**
 * What reading costs, as the reader reads (pipeline/scenes/scene.read.ts, io/cog.reader.ts): each file's header in
 * one 64 KiB request, then only the tiles of the AOI's window, at the overview matching the output resolution (a
 * coarser band at its own resolution), each tile fetched once (the blocks share a tile cache).
 */
export const READ_ESTIMATE = {
  /** The reader's first request of a file (io/cog.reader.ts DEFAULT_HEADER_BYTES). */
  headerBytes: 64 * 1024,
  /**
   * Compressed size over raw size of the image's pixels, rounded up from measured files so the estimate errs high:
   * integer reflectance 0.8 (Sentinel-2 L2A COGs, DEFLATE uint16, ../shared/data/s2l2a-morocco: 0.75 for B04 and
   * B08, 0.78 for B11 and B12), floats 0.5 (the Bukavu float32 LZW exports the demo reads: 0.26-0.49, the cloudier
   * the smaller, clouds being NaN), masks 0.1 (SCL: 0.02).
   */
  compression: { integer: 0.8, float: 0.5, mask: 0.1 },
} as const;

/**
 * Native resolution (m) and sample size (bytes) of a band, where the sensor says: Sentinel-2 L2A 10 m blue, green,
 * red, NIR and 20 m SWIR and SCL, uint16 bands and uint8 SCL (ESA, Sentinel-2 L2A product specification); Landsat
 * C2 L2 30 m uint16 bands and QA_PIXEL (USGS). Scenes of unknown sensor (exports, generic items) are taken at the
 * output resolution as float32, as the demo's are. Returns bytes per output pixel, compressed.
 */
function compressedBytesPerPixel(scene: Scene, band: BandName | 'mask', resolution: number): number {
  const text = `${scene.platform ?? ''} ${scene.collection}`;
  const sensor = /sentinel-?2/i.test(text) ? 's2' : /landsat/i.test(text) ? 'landsat' : undefined;
  const { integer, float, mask } = READ_ESTIMATE.compression;
  let metres: number | undefined;
  let bytes: number;
  if (band === 'mask') {
    metres = scene.mask?.kind === 'scl' ? 20 : sensor === 'landsat' ? 30 : undefined;
    bytes = (scene.mask?.kind === 'qa_pixel' ? 2 : 1) * mask;
  } else if (sensor) {
    metres = sensor === 'landsat' ? 30 : band === 'swir16' || band === 'swir22' ? 20 : 10;
    bytes = 2 * integer;
  } else {
    bytes = 4 * float;
  }
  return bytes * (resolution / Math.max(metres ?? resolution, resolution)) ** 2;
}

/**
 * Bytes a computation reads: for each scene, each file holding a band the products read (red and NIR always) or the
 * mask: its header and the AOI's window (the `gridPixels` of the output grid at `resolution`: the AOI's bounding
 * box) at the file's resolution, compressed ({@link READ_ESTIMATE}). Bands of one file (a multi-band export) share
 * its header. `products` are the product types to compute (the plan's outputs name them). Not counted: the tiles at
 * the window's edges, read whole (a small AOI pays for whole tiles), and requests retried.
 */
export function estimateReadBytes(
  scenes: readonly Scene[],
  products: readonly string[],
  gridPixels: number,
  resolution: number,
): number {
  const bands = new Set<BandName>(['red', 'nir']);
  for (const product of PRODUCTS) if (products.includes(product.type)) product.needs.bands.forEach((b) => bands.add(b));
  let total = 0;
  for (const scene of scenes) {
    const files = new Map<string, number>();
    const add = (href: string, perPixel: number) => files.set(href, (files.get(href) ?? 0) + perPixel);
    for (const band of bands) {
      const asset = scene.bands[band];
      if (asset) add(asset.href, compressedBytesPerPixel(scene, band, resolution));
    }
    if (scene.mask) add(scene.mask.asset.href, compressedBytesPerPixel(scene, 'mask', resolution));
    for (const perPixel of files.values()) total += READ_ESTIMATE.headerBytes + gridPixels * perPixel;
  }
  return Math.round(total);
}

export interface AoiPlanInput {
  aoi: Pick<Aoi, 'id' | 'areaHa'>;
  windows: { baseline: TimeInterval; monitoring: TimeInterval };
  scenes: { baseline: readonly Scene[]; monitoring: readonly Scene[] };
  itemId: string;
  digest: string;
  published: PublishedPeriod;
  force: boolean;
  resolution: number;
  /** Pixels of the AOI's output grid (its bounding box at the resolution). */
  gridPixels: number;
  /** The asset keys the computation would publish (the period plan's). */
  outputs: readonly string[];
  memoryLimitBytes: number;
}

type Decision = Pick<AoiPlan, 'action' | 'reason'>;

function noScenes(input: AoiPlanInput): Decision | undefined {
  const empty = (['baseline', 'monitoring'] as const).find((period) => input.scenes[period].length === 0);
  if (!empty) return undefined;
  const reason = `no usable scene in the ${empty} window ${input.windows[empty].text}: nothing can be computed yet`;
  return { action: 'no-scenes', reason };
}

/** The item is there; whatever a killed run left undone after it is completed, never recomputed. */
function publishedAlready(input: AoiPlanInput): Decision | undefined {
  const gaps = input.published.gaps ?? [];
  if (input.force || input.published.digest !== input.digest || gaps.some((gap) => gap.step === 'assets')) {
    return undefined;
  }
  if (gaps.length === 0) {
    return { action: 'nothing-new', reason: `item ${input.itemId} is published from these scenes and parameters` };
  }
  const why = gaps.map((gap) => gap.why).join('; ');
  return {
    action: 'repair',
    reason: `item ${input.itemId} is published but its publication is incomplete (${why}): completing it`,
  };
}

function tooLarge(input: AoiPlanInput, estimatedMemoryBytes: number): Decision | undefined {
  if (estimatedMemoryBytes <= input.memoryLimitBytes) return undefined;
  const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
  const grid = `the ${(input.gridPixels / 1e6).toFixed(0)} Mpx grid needs about ${gib(estimatedMemoryBytes)} GiB`;
  return {
    action: 'too-large',
    reason: `${grid}, over the limit of ${gib(input.memoryLimitBytes)} GiB: raise analysis.memoryLimitMiB, use a coarser analysis.resolution, or split the AOI`,
  };
}

/** Why the item is computed (again). */
function computeReason(input: AoiPlanInput, newScenes: readonly string[]): string {
  const lost = (input.published.gaps ?? []).find((gap) => gap.step === 'assets');
  if (input.force) return 'recomputation forced (--force)';
  if (lost) return `item ${input.itemId} is published but ${lost.why}: recomputing`;
  if (input.published.digest === undefined) return `item ${input.itemId} is not published yet`;
  if (newScenes.length > 0) return `${newScenes.length} new scene(s) since the published item`;
  return 'parameters or software changed since the published item';
}

export function planAoi(input: AoiPlanInput): AoiPlan {
  const ids = {
    baseline: input.scenes.baseline.map((scene) => scene.id),
    monitoring: input.scenes.monitoring.map((scene) => scene.id),
  };
  const used = new Set(input.published.scenes);
  const newScenes = [...new Set([...ids.baseline, ...ids.monitoring])].filter((id) => !used.has(id));
  const estimatedMemoryBytes = Math.round(RUN_BASE_BYTES + input.gridPixels * RUN_BYTES_PER_PIXEL);
  const base = {
    estimatedMemoryBytes,
    aoi: input.aoi.id,
    itemId: input.itemId,
    digest: input.digest,
    windows: { baseline: input.windows.baseline.text, monitoring: input.windows.monitoring.text },
    scenes: ids,
    newScenes,
  };
  const held = noScenes(input) ?? publishedAlready(input) ?? tooLarge(input, estimatedMemoryBytes);
  if (held) return { ...base, ...held, estimatedBytes: 0, outputs: [] };
  const scenes = [...input.scenes.baseline, ...input.scenes.monitoring];
  const estimatedBytes = estimateReadBytes(scenes, input.outputs, input.gridPixels, input.resolution);
  return {
    ...base,
    action: 'compute',
    reason: computeReason(input, newScenes),
    estimatedBytes,
    outputs: [...input.outputs],
  };
}
