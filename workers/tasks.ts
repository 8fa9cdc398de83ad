import { changeBlock, type ChangeBlockResult, type ChangeBlockTask } from './change.block.js';

/** Every task the worker pool runs, keyed by `type`: one registry, no `if` chains. Pure. */
export type WorkerTask = ChangeBlockTask;
export type WorkerResult = ChangeBlockResult;

const KERNELS: { [K in WorkerTask['type']]: (task: Extract<WorkerTask, { type: K }>) => WorkerResult } = {
  'change-block': changeBlock,
};

export function runTask(task: WorkerTask): WorkerResult {
  const kernel = KERNELS[task.type];
  if (!kernel) throw new TypeError(`runTask: unknown task type ${JSON.stringify((task as { type?: unknown }).type)}`);
  return kernel(task);
}

/** The ArrayBuffers of a result, so the pool can transfer them instead of copying. */
export function buffersOf(value: unknown, found: Set<ArrayBuffer> = new Set()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) found.add(value.buffer as ArrayBuffer);
  else if (value && typeof value === 'object') for (const child of Object.values(value)) buffersOf(child, found);
  return [...found];
}
