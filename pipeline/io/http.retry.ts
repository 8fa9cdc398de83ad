import { setTimeout as sleep } from 'node:timers/promises';
import { ChangewatchError, redactUrl } from '../errors.js';

/**
 * HTTP with the manners a nightly job needs: a timeout per attempt, retries of transient failures (network
 * errors, 5xx, 429) with capped exponential backoff and full jitter, and `Retry-After` honoured.
 */
export interface RetryPolicy {
  /** Attempts after the first. Default 4. */
  retries: number;
  /** First backoff, ms; doubles each attempt. Default 250. */
  baseDelayMs: number;
  /** Longest wait between attempts, ms, including a server's Retry-After. Default 20000. */
  maxDelayMs: number;
  /** Timeout of one attempt (headers and body), ms. Default 30000. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 250, maxDelayMs: 20_000, timeoutMs: 30_000 };

export interface RetryEvent {
  url: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Delay before retry `attempt` (1-based): full jitter over a capped exponential, or the server's Retry-After. */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfter?: string | null,
  random = Math.random,
): number {
  const fromServer = parseRetryAfter(retryAfter);
  if (fromServer !== undefined) return Math.min(fromServer, policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Whether a response's body is close-delimited (RFC 9112 §6.3: neither Content-Length nor chunked transfer coding,
 * so the body ends where the connection closes). A connection dropped mid-body then looks like a complete, shorter
 * body, and only its content can tell: a body that is cut but says nothing of it is the one fetch cannot refuse.
 */
export function closeDelimited(response: Response): boolean {
  return !response.headers.has('content-length') && !/chunked/i.test(response.headers.get('transfer-encoding') ?? '');
}

/** Reads a whole body under the attempt's signal; a stalled or cut body becomes an error, not a hang. */
export type ResponseHandler<T> = (response: Response) => Promise<T>;

/**
 * Fetches `url`, retrying transient failures, and hands each successful response (2xx) to `handle`. Errors thrown
 * by `handle` that are ChangewatchErrors with outcome `retry` are retried too (a body cut short, say).
 * A non-transient HTTP status rejects with E_STAC/E_READ (`kind`) naming the status and the redacted URL.
 */
export async function fetchWithRetry<T>(
  url: string,
  init: RequestInit,
  handle: ResponseHandler<T>,
  options: {
    policy?: Partial<RetryPolicy>;
    signal?: AbortSignal;
    kind?: 'E_STAC' | 'E_READ';
    onRetry?: (event: RetryEvent) => void;
  } = {},
): Promise<T> {
  const policy = { ...DEFAULT_RETRY, ...options.policy };
  const kind = options.kind ?? 'E_READ';
  const shown = redactUrl(url);
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let failure: ChangewatchError;
    let retryAfter: string | null = null;
    try {
      const response = await fetch(url, { ...init, signal });
      if (response.ok) return await handle(response);
      retryAfter = response.headers.get('retry-after');
      await response.body?.cancel().catch(() => undefined);
      const message = `${shown}: HTTP ${response.status} ${response.statusText}`.trim();
      if (!TRANSIENT_STATUS.has(response.status)) {
        throw new ChangewatchError(kind, `${message}: ${hintFor(response.status)}`);
      }
      failure = new ChangewatchError('E_NETWORK', message);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof ChangewatchError) {
        if (error.outcome !== 'retry') throw error;
        failure = error;
      } else if (timeout.aborted) {
        failure = new ChangewatchError('E_NETWORK', `${shown}: no complete answer within ${policy.timeoutMs} ms`, {
          cause: error,
        });
      } else {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const detail = cause?.code ?? cause?.message ?? (error as Error).message;
        failure = new ChangewatchError('E_NETWORK', `${shown}: network error (${detail})`, { cause: error });
      }
    }
    if (attempt >= policy.retries) {
      throw new ChangewatchError(
        'E_NETWORK',
        `${failure.message}: gave up after ${attempt + 1} attempts: check the network or the server, the next run retries`,
        { cause: failure },
      );
    }
    const delayMs = backoffDelay(attempt + 1, policy, retryAfter);
    options.onRetry?.({ url: shown, attempt: attempt + 1, delayMs, reason: failure.message });
    await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : undefined);
  }
}

function hintFor(status: number): string {
  if (status === 401 || status === 403) return 'access denied: check credentials, tokens or requester-pays settings';
  if (status === 404) return 'not found: check the URL';
  if (status === 416) return 'range not satisfiable: the file is shorter than its header says (truncated?)';
  return 'the server refused the request';
}
