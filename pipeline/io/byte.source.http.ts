import { ChangewatchError, redactUrl } from '../errors.js';
import type { ByteSource } from '../ports.js';
import { fetchWithRetry, type RetryEvent, type RetryPolicy } from './http.retry.js';

/** `bytes start-end/total` → numbers; total may be `*`. */
function parseContentRange(value: string | null): { start: number; end: number; total?: number } | undefined {
  const match = value ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim()) : null;
  if (!match) return undefined;
  return {
    start: Number(match[1]),
    end: Number(match[2]),
    ...(match[3] !== '*' ? { total: Number(match[3]) } : {}),
  };
}

/** HTTP(S) range requests, with retries of transient faults and checks that the server honoured the range. */
export class HttpByteSource implements ByteSource {
  private fileSize: number | undefined;

  constructor(
    readonly url: string,
    private readonly options: {
      headers?: Record<string, string>;
      policy?: Partial<RetryPolicy>;
      onRetry?: (event: RetryEvent) => void;
    } = {},
  ) {}

  get size(): number | undefined {
    return this.fileSize;
  }

  async fetch(offset: number, length: number, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const shown = redactUrl(this.url);
    const range = `bytes=${offset}-${offset + length - 1}`;
    return fetchWithRetry(
      this.url,
      { headers: { ...this.options.headers, range } },
      async (response) => {
        if (response.status !== 206) {
          await response.body?.cancel().catch(() => undefined);
          throw new ChangewatchError(
            'E_READ',
            `${shown}: the server answered ${response.status} to a range request (${range}), not 206: it does not serve byte ranges; use a server or store that does`,
          );
        }
        const contentRange = parseContentRange(response.headers.get('content-range'));
        if (!contentRange || contentRange.start !== offset) {
          await response.body?.cancel().catch(() => undefined);
          throw new ChangewatchError(
            'E_READ',
            `${shown}: Content-Range "${response.headers.get('content-range')}" does not answer ${range}`,
          );
        }
        if (contentRange.total !== undefined) this.fileSize = contentRange.total;
        const body = new Uint8Array(await response.arrayBuffer());
        const promised = contentRange.end - contentRange.start + 1;
        if (body.length !== promised) {
          // The connection dropped mid-body: transient, worth another attempt.
          throw new ChangewatchError('E_NETWORK', `${shown}: body cut short (${body.length} of ${promised} bytes)`);
        }
        return body;
      },
      {
        kind: 'E_READ',
        ...(this.options.policy ? { policy: this.options.policy } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(this.options.onRetry ? { onRetry: this.options.onRetry } : {}),
      },
    ).catch((error: unknown) => {
      if (error instanceof ChangewatchError && /HTTP 416/.test(error.message)) {
        throw new ChangewatchError(
          'E_READ',
          `${shown}: read at byte ${offset} is past the end of the file: the file is truncated; fetch it again`,
          { cause: error },
        );
      }
      throw error;
    });
  }
}
