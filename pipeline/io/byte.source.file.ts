import { open } from 'node:fs/promises';
import { ChangewatchError } from '../errors.js';
import type { ByteSource } from '../ports.js';

/**
 * A local file read with positioned reads. Each fetch opens and closes the file: reads are few (the coalescing
 * source merges them), and no handle outlives a read however a caller abandons it.
 */
export class FileByteSource implements ByteSource {
  private fileSize: number | undefined;

  constructor(readonly path: string) {}

  get url(): string {
    return this.path;
  }

  get size(): number | undefined {
    return this.fileSize;
  }

  async fetch(offset: number, length: number): Promise<Uint8Array> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new ChangewatchError('E_READ', `${this.path}: cannot open (${code}): check the path`, { cause: error });
    }
    try {
      const size = (await handle.stat()).size;
      this.fileSize = size;
      if (offset >= size) {
        throw new ChangewatchError(
          'E_READ',
          `${this.path}: read at byte ${offset} is past the end of the file (${size} bytes): the file is truncated; fetch it again`,
        );
      }
      const wanted = Math.min(length, size - offset);
      const buffer = new Uint8Array(wanted);
      let done = 0;
      while (done < wanted) {
        const { bytesRead } = await handle.read(buffer, done, wanted - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === wanted ? buffer : buffer.subarray(0, done);
    } finally {
      await handle.close();
    }
  }
}
