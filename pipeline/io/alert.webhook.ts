import { createHmac } from 'node:crypto';
import type { AlertChannel, AlertMessage } from '../ports.js';
import { VERSION } from '../version.js';
import { withAlertRetries, type AlertRetryEvent, type AlertRetryPolicy, type AttemptResult } from './alert.retry.js';

/**
 * The webhook channel: each digest is one JSON POST, signed so the receiver can tell it came from this deployment
 * (`X-Changewatch-Signature: sha256=<hex HMAC-SHA256 of the body bytes>`, GitHub's webhook scheme) and carrying an
 * `Idempotency-Key` that stays the same across retries and runs, so a receiver can drop a digest it already has.
 * Refused connections, timeouts, 408, 429 and 5xx are retried with backoff (alert.retry.ts), then left pending; any
 * other answer outside 2xx (a 4xx, a redirect) is the user's to fix.
 */

export const SIGNATURE_HEADER = 'X-Changewatch-Signature';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the shared secret. */
export function signBody(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookChannelOptions {
  url: string;
  /** The HMAC secret, read from the environment by the caller; undefined when the variable is unset. */
  secret: string | undefined;
  /** The variable's name, for the message when it is unset. */
  secretEnv: string;
  timeoutMs: number;
  retry?: Partial<AlertRetryPolicy>;
  onRetry?: (event: AlertRetryEvent) => void;
}

const isTransient = (status: number) => status >= 500 || status === 408 || status === 429;

async function postOnce(
  options: WebhookChannelOptions & { secret: string },
  message: AlertMessage,
  body: string,
  signal?: AbortSignal,
): Promise<AttemptResult> {
  const shown = webhookTarget(options.url);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetch(options.url, {
      method: 'POST',
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'User-Agent': `changewatch/${VERSION}`,
        [SIGNATURE_HEADER]: signBody(body, options.secret),
        [IDEMPOTENCY_HEADER]: message.id,
      },
      body,
    });
    await response.body?.cancel().catch(() => undefined);
    const status = `HTTP ${response.status}`;
    if (response.ok) return { delivery: { outcome: 'accepted', detail: `${shown}: ${status}` } };
    if (isTransient(response.status)) {
      return {
        delivery: { outcome: 'unreachable', detail: `${shown}: ${status}` },
        retryAfter: response.headers.get('retry-after'),
      };
    }
    const where = response.headers.get('location');
    const fix =
      response.status >= 300 && response.status < 400
        ? `the URL redirects${where ? ` to ${webhookTarget(new URL(where, options.url).href)}` : ''}: set alerts.webhook.url to the final URL`
        : 'check alerts.webhook.url and the receiver (its secret must match the one in the environment)';
    return { delivery: { outcome: 'rejected', status, detail: `${shown}: the receiver answered ${status}: ${fix}` } };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = timeout.aborted
      ? `no answer within ${options.timeoutMs} ms`
      : `network error (${cause?.code ?? cause?.message ?? (error as Error).message})`;
    return { delivery: { outcome: 'unreachable', detail: `${shown}: ${reason}` } };
  }
}

/** The webhook's origin, with `/…` when it has a path: receivers often carry their token in the path or query. */
export function webhookTarget(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname !== '/' || parsed.search ? '/…' : ''}`;
}

export function webhookChannel(options: WebhookChannelOptions): AlertChannel {
  const target = webhookTarget(options.url);
  return {
    name: 'webhook',
    target,
    async send(message, sendOptions = {}) {
      const { secret } = options;
      if (!secret) {
        return {
          outcome: 'rejected',
          attempts: 0,
          status: 'no secret',
          detail: `alerts.webhook.secretEnv: the variable ${options.secretEnv} is not set: export it with the webhook's HMAC secret`,
        };
      }
      const body = JSON.stringify(message.json);
      return withAlertRetries(() => postOnce({ ...options, secret }, message, body, sendOptions.signal), {
        channel: 'webhook',
        target,
        ...(options.retry ? { policy: options.retry } : {}),
        ...(sendOptions.signal ? { signal: sendOptions.signal } : {}),
        ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      });
    },
  };
}
