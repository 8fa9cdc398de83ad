import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { buffersOf, type WorkerResult, type WorkerTask } from '../../workers/tasks.js';
import { ChangewatchError } from '../errors.js';

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
    this.pool = new Piscina({
      filename: options.entry instanceof URL ? options.entry.href : options.entry,
      minThreads: 1,
      maxThreads,
      maxQueue: options.maxQueue ?? maxThreads * 2,
    });
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  /** Runs a task; its typed arrays are transferred (the caller must not use them afterwards). */
  async run(task: WorkerTask, options: { signal?: AbortSignal } = {}): Promise<WorkerResult> {
    try {
      return (await this.pool.run(task, {
        transferList: buffersOf(task),
        ...(options.signal ? { signal: options.signal } : {}),
      })) as WorkerResult;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ChangewatchError('E_COMPUTE', `worker task ${task.type}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
