import type { Aoi } from '../../aoi/aoi.schema.js';
import type { TimeInterval } from '../../aoi/interval.js';
import type { Config } from '../../config/config.schema.js';
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
  run: Config['run'],
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
  /** Rough estimate of the bytes to read: AOI pixels × 3 bands × scenes × 2 bytes (tiles read whole and block halos add more). */
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

export function planAoi(input: {
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
}): AoiPlan {
  const ids = {
    baseline: input.scenes.baseline.map((scene) => scene.id),
    monitoring: input.scenes.monitoring.map((scene) => scene.id),
  };
  const used = new Set(input.published.scenes);
  const newScenes = [...new Set([...ids.baseline, ...ids.monitoring])].filter((id) => !used.has(id));
  // Red, NIR and a mask per scene, 2 bytes a sample, over the AOI at the output resolution.
  const pixels = (input.aoi.areaHa * 10_000) / (input.resolution * input.resolution);
  const estimatedBytes = Math.round(pixels * 3 * 2 * (ids.baseline.length + ids.monitoring.length));
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
  if (ids.baseline.length === 0 || ids.monitoring.length === 0) {
    const empty = ids.baseline.length === 0 ? 'baseline' : 'monitoring';
    return {
      ...base,
      action: 'no-scenes',
      reason: `no usable scene in the ${empty} window ${input.windows[empty].text}: nothing can be computed yet`,
      estimatedBytes: 0,
      outputs: [],
    };
  }
  const gaps = input.published.gaps ?? [];
  const assetsLost = gaps.some((gap) => gap.step === 'assets');
  if (!input.force && input.published.digest === input.digest && !assetsLost) {
    // The item is there; whatever a killed run left undone after it is completed, never recomputed.
    const repair = gaps.length > 0;
    return {
      ...base,
      action: repair ? 'repair' : 'nothing-new',
      reason: repair
        ? `item ${input.itemId} is published but its publication is incomplete (${gaps.map((gap) => gap.why).join('; ')}): completing it`
        : `item ${input.itemId} is published from these scenes and parameters`,
      estimatedBytes: 0,
      outputs: [],
    };
  }
  if (estimatedMemoryBytes > input.memoryLimitBytes) {
    const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
    return {
      ...base,
      action: 'too-large',
      reason: `the ${(input.gridPixels / 1e6).toFixed(0)} Mpx grid needs about ${gib(estimatedMemoryBytes)} GiB, over the limit of ${gib(input.memoryLimitBytes)} GiB: raise analysis.memoryLimitMiB, use a coarser analysis.resolution, or split the AOI`,
      estimatedBytes: 0,
      outputs: [],
    };
  }
  const reason = input.force
    ? 'recomputation forced (--force)'
    : assetsLost
      ? `item ${input.itemId} is published but ${gaps.find((gap) => gap.step === 'assets')!.why}: recomputing`
      : input.published.digest === undefined
        ? `item ${input.itemId} is not published yet`
        : newScenes.length > 0
          ? `${newScenes.length} new scene(s) since the published item`
          : 'parameters or software changed since the published item';
  return { ...base, action: 'compute', reason, estimatedBytes, outputs: [...input.outputs] };
}
