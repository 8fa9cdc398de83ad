import { describe, expect, it } from 'vitest';
import { allSettled } from '../../../pipeline/settle.js';

describe('allSettled', () => {
  it('returns every value in order', async () => {
    expect(await allSettled(Promise.resolve(1), Promise.resolve('two'))).toEqual([1, 'two']);
  });

  it('throws the first failure in argument order, only once every promise has settled', async () => {
    let lateDone = false;
    const late = new Promise<number>((resolve) =>
      setTimeout(() => {
        lateDone = true;
        resolve(3);
      }, 30),
    );
    const failures = allSettled(late, Promise.reject(new Error('first')), Promise.reject(new Error('second')));
    await expect(failures).rejects.toThrow('first');
    expect(lateDone).toBe(true);
  });
});
