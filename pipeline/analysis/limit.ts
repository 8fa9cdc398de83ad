/**
 * At most `limit` calls running at once; the others wait their turn in call order. Bounds a run's range reads
 * apart from its CPU (the worker pool's threads): reads wait on the network, so more of them run than threads.
 */
export function concurrencyLimit(limit: number): <T>(call: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`concurrencyLimit: ${limit} is not a whole number ≥ 1`);
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (call) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await call();
    } finally {
      // The slot passes straight to the next waiter, if any (running stays the same).
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
