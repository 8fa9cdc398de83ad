import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { buffersOf, runTask, type WorkerResult, type WorkerTask } from '../../workers/tasks.js';
import { ChangewatchError } from '../errors.js';
import type { TileDecoder } from '../scenes/scene.read.js';
import type { TileEncoder } from '../../workers/cog.tile.js';
import { concurrencyLimit } from './limit.js';

/**
 * The one worker pool of a run. Tasks go in with their buffers transferred, results come back the same way;
 * `maxQueue` bounds how much work waits, and a rejection (whose class and code do not survive postMessage) comes
 * back as E_COMPUTE with the worker's message and the original as cause.
 */
export interface PoolOptions {
  /** The compiled entry (`dist/workers/pool.entry.js`): Node 20 cannot load TypeScript in worker threads. */
  entry: string | URL;
  /** Worker threads. Default: the machine's parallelism. */
  maxThreads?: number;
  /** Tasks waiting beyond the running ones. Default: 2 per thread. */
  maxQueue?: number;
}

export class ComputePool {
  private readonly pool: Piscina;
  /** Tasks may wait here for room rather than be refused by piscina's full queue. */
  private readonly room: <T>(call: () => Promise<T>) => Promise<T>;

  constructor(options: PoolOptions) {
    const maxThreads = options.maxThreads ?? availableParallelism();
    if (!Number.isInteger(maxThreads) || maxThreads < 1) {
      throw new ChangewatchError(
        'E_CONFIG',
        `pool: maxThreads must be a whole number ≥ 1, got ${String(options.maxThreads)}`,
      );
    }
    // A worker that cannot load its module never answers: check the file first and say what to do.
    const path = options.entry instanceof URL ? fileURLToPath(options.entry) : options.entry;
    if (!existsSync(path)) {
      throw new ChangewatchError('E_CONFIG', `pool: ${path} does not exist: run "npm run build" first`);
    }
    const maxQueue = options.maxQueue ?? maxThreads * 2;
    this.room = concurrencyLimit(maxThreads + maxQueue);
    this.pool = new Piscina({
      filename: options.entry instanceof URL ? options.entry.href : options.entry,
      // Every thread from the start and kept: piscina ends an idle thread above minThreads at once (idleTimeout
      // 0), and each new one loads the worker modules again (about 0.1 s), which between blocks cost more than
      // the second thread gave (the chain benchmark profiled five worker threads over a two-thread run).
      minThreads: maxThreads,
      maxThreads,
      maxQueue,
    });
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  /**
   * Resolves once every thread has loaded the worker modules (a few hundred milliseconds: zod, proj4 and the
   * products): one empty task per thread, which piscina hands to idle threads one each. A run need not wait for it;
   * a benchmark does, as its peer's time starts after its imports.
   */
  async ready(): Promise<void> {
    await Promise.all(Array.from({ length: this.threads }, () => this.run({ type: 'ready' })));
  }

  /**
   * Runs a task; its typed arrays are transferred (the caller must not use them afterwards), shared memory is
   * shared. When the threads are busy and the queue full, the task waits for room here (backpressure).
   */
  run<T extends WorkerTask>(task: T, options: { signal?: AbortSignal } = {}): Promise<WorkerResult<T>> {
    return this.room(() => this.submit(task, options));
  }

  private async submit<T extends WorkerTask>(task: T, options: { signal?: AbortSignal }): Promise<WorkerResult<T>> {
    try {
      return (await this.pool.run(task, {
        transferList: buffersOf(task),
        ...(options.signal ? { signal: options.signal } : {}),
      })) as WorkerResult<T>;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ChangewatchError('E_COMPUTE', `worker task ${task.type}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** A tile decoder that decodes in this pool's threads (a read's tiles then arrive in shared memory). */
  decoder(signal?: AbortSignal): TileDecoder {
    return async (coding, stored) =>
      (await this.run({ type: 'decode-tiles', coding, stored }, signal ? { signal } : {})).tiles;
  }

  /** A COG tile encoder that compresses in this pool's threads (the tile is transferred there and back). */
  tileEncoder(signal?: AbortSignal): TileEncoder {
    return (tile, tileSize, samples, dataType) =>
      this.run({ type: 'encode-tile', tile, tileSize, samples, dataType }, signal ? { signal } : {});
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}

/** Runs a task in the pool when there is one, else on this thread: the same kernel, the same result. */
export function computeOn<T extends WorkerTask>(
  pool: ComputePool | undefined,
  task: T,
  options: { signal?: AbortSignal } = {},
): Promise<WorkerResult<T>> {
  return pool ? pool.run(task, options) : Promise.resolve(runTask(task));
}
