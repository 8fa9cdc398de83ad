/**
 * Awaits every promise, then throws the first failure in argument order, or returns every value. Unlike
 * `Promise.all`, nothing the caller started is still running when it hears of a failure: a pool it then closes, or
 * writers it aborts, are not used afterwards by work it had forgotten.
 */
export async function allSettled<T extends readonly unknown[]>(
  ...promises: { readonly [K in keyof T]: PromiseLike<T[K]> }
): Promise<T> {
  const results = await Promise.allSettled(promises);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
