import type { ByteSource } from '../../pipeline/ports.js';

/** Wraps a ByteSource and records every range it is asked for (cogeotiff's way of testing reads). */
export class RecordingSource implements ByteSource {
  readonly requests: Array<{ offset: number; length: number }> = [];
  constructor(private readonly inner: ByteSource) {}
  get url(): string {
    return this.inner.url;
  }
  get size(): number | undefined {
    return this.inner.size;
  }
  fetch(offset: number, length: number, options?: { signal?: AbortSignal }): Promise<Uint8Array> {
    this.requests.push({ offset, length });
    return this.inner.fetch(offset, length, options);
  }
}
