import { pixelAreaHaByColumn } from '../aoi/pixel.area.js';
import type { Grid } from '../aoi/rasterize.js';
import { fetchedChangeBlock, type FetchedBlockTask } from './block.dates.js';
import { changeBlock, type ChangeBlockResult, type ChangeBlockTask } from './change.block.js';
import { decodeTilesTask, type DecodeTilesResult, type DecodeTilesTask } from './tile.decode.js';
import { composeChipsTask, type ChipPng, type ComposeChipsTask } from './chip.js';
import { encodeTileTask, type EncodedTile, type EncodeTileTask } from './cog.tile.js';

/** The columns' pixel areas of a grid (aoi/pixel.area.ts), off the main thread at the start of a run. */
export interface PixelAreaTask {
  type: 'pixel-area';
  grid: Grid;
}

/** A task that does nothing: it returns once its thread has loaded the worker modules (ComputePool.ready). */
export interface ReadyTask {
  type: 'ready';
}

/** Every task the worker pool runs, keyed by `type`: one registry, no `if` chains. Pure. */
export type WorkerTask =
  ChangeBlockTask | FetchedBlockTask | DecodeTilesTask | PixelAreaTask | ComposeChipsTask | EncodeTileTask | ReadyTask;

/** What each task type returns. */
interface Results {
  'change-block': ChangeBlockResult;
  'fetched-change-block': ChangeBlockResult;
  'decode-tiles': DecodeTilesResult;
  'pixel-area': { hectares: Float64Array };
  'compose-chips': ChipPng[];
  'encode-tile': EncodedTile;
  ready: { ready: true };
}
export type WorkerResult<T extends WorkerTask = WorkerTask> = Results[T['type']];

const KERNELS: { [K in WorkerTask['type']]: (task: Extract<WorkerTask, { type: K }>) => Results[K] } = {
  'change-block': changeBlock,
  'fetched-change-block': fetchedChangeBlock,
  'decode-tiles': decodeTilesTask,
  'pixel-area': (task) => ({ hectares: pixelAreaHaByColumn(task.grid) }),
  'compose-chips': composeChipsTask,
  'encode-tile': encodeTileTask,
  ready: () => ({ ready: true }),
};

export function runTask<T extends WorkerTask>(task: T): WorkerResult<T> {
  const kernel = KERNELS[task.type] as unknown as ((task: T) => WorkerResult<T>) | undefined;
  if (!kernel) throw new TypeError(`runTask: unknown task type ${JSON.stringify((task as { type?: unknown }).type)}`);
  return kernel(task);
}

/**
 * The ArrayBuffers of a task or result, so the pool can transfer them instead of copying. Shared memory (decoded
 * tiles of the cache) is left out: it is shared, not transferred, and stays usable on both sides.
 */
export function buffersOf(value: unknown, found: Set<ArrayBuffer> = new Set()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (value && typeof value === 'object') for (const child of Object.values(value)) buffersOf(child, found);
  return [...found];
}
