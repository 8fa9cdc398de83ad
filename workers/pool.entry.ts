import { move, transferableSymbol, valueSymbol } from 'piscina';
import { buffersOf, runTask, type WorkerTask } from './tasks.js';

/**
 * The piscina entry: runs one task and hands its typed arrays back by transfer, not copy. Workers are silent:
 * no logging, no clock; the main thread logs.
 */
export default function handle(task: WorkerTask): unknown {
  const result = runTask(task);
  return move({ [transferableSymbol]: buffersOf(result), [valueSymbol]: result } as never);
}
