import { open, type FileHandle } from 'node:fs/promises';
import { ChangewatchError } from '../errors.js';
import type { ByteSource } from '../ports.js';

/** A local file read with positioned reads; the handle opens on first use and is shared by later reads. */
export class FileByteSource implements ByteSource {
  private handle: Promise<FileHandle> | undefined;
  private fileSize: number | undefined;

  constructor(readonly path: string) {}

  get url(): string {
    return this.path;
  }

  get size(): number | undefined {
    return this.fileSize;
  }

  private async file(): Promise<FileHandle> {
    this.handle ??= open(this.path, 'r').then(async (handle) => {
      this.fileSize = (await handle.stat()).size;
      return handle;
    });
    try {
      return await this.handle;
    } catch (error) {
      this.handle = undefined;
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new ChangewatchError('E_READ', `${this.path}: cannot open (${code}): check the path`, { cause: error });
    }
  }

  async fetch(offset: number, length: number): Promise<Uint8Array> {
    const handle = await this.file();
    const size = this.fileSize!;
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
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle).close();
  }
}
