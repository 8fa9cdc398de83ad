import { closeSync, openSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ChangewatchError } from '../../../pipeline/errors.js';
import { noSpaceLeft } from '../../../pipeline/io/cog.writer.js';

/** A real ENOSPC: Linux's /dev/full answers every write with "no space left on device". */
function enospc(): unknown {
  const fd = openSync('/dev/full', 'w');
  try {
    writeSync(fd, new Uint8Array(16));
  } catch (error) {
    return error;
  } finally {
    closeSync(fd);
  }
  throw new Error('/dev/full accepted a write');
}

describe('noSpaceLeft', () => {
  it('turns a real ENOSPC (a write to /dev/full) into E_WRITE naming the folder and what to do', () => {
    const error = enospc();
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect((error as Error).message).toBe('ENOSPC: no space left on device, write'); // no path: why it is mapped
    const mapped = noSpaceLeft(error, '/tmp/changewatch-123-kibali-abc');
    expect(mapped).toBeInstanceOf(ChangewatchError);
    expect((mapped as ChangewatchError).code).toBe('E_WRITE');
    expect((mapped as Error).message).toBe(
      '/tmp/changewatch-123-kibali-abc: no space left on the device: free space or point TMPDIR at a larger disk',
    );
    expect((mapped as Error).cause).toBe(error);
  });

  it('maps EDQUOT (a spent quota) the same way, and returns other errors unchanged', () => {
    const quota = Object.assign(new Error('EDQUOT: disk quota exceeded, write'), { code: 'EDQUOT' });
    expect((noSpaceLeft(quota, '/w') as ChangewatchError).code).toBe('E_WRITE');
    const other = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(noSpaceLeft(other, '/w')).toBe(other);
    const plain = new RangeError('not a file-system error');
    expect(noSpaceLeft(plain, '/w')).toBe(plain);
  });
});
