import { setTimeout as sleep } from 'node:timers/promises';
import type { AlertDelivery } from '../ports.js';
import { backoffDelay } from './http.retry.js';

/**
 * Retries of one alert send within a run: an `unreachable` answer (refused, timed out, 5xx, a transient SMTP reply)
 * is tried again after a capped exponential backoff with full jitter (http.retry.ts's {@link backoffDelay}), at most
 * `retries` times, so a channel that stays down costs the run a bounded wait and the digest stays pending for the
 * next run. `accepted` and `rejected` answers end the loop at once.
 */
export interface AlertRetryPolicy {
  /** Attempts after the first. Default 3. */
  retries: number;
  /** First backoff, ms; doubles each attempt. Default 500. */
  baseDelayMs: number;
  /** Longest wait between attempts, ms, a server's Retry-After included. Default 8000. */
  maxDelayMs: number;
}

export const DEFAULT_ALERT_RETRY: AlertRetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 8000 };

export interface AlertRetryEvent {
  channel: string;
  target: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

/** A delivery before its attempts are counted (Omit, distributed over the union's members). */
export type AttemptDelivery = AlertDelivery extends infer D ? (D extends unknown ? Omit<D, 'attempts'> : never) : never;

/** One attempt's answer, with the server's `Retry-After` when it sent one. */
export type AttemptResult = { delivery: AttemptDelivery; retryAfter?: string | null };

export async function withAlertRetries(
  attempt: () => Promise<AttemptResult>,
  options: {
    channel: string;
    target: string;
    policy?: Partial<AlertRetryPolicy>;
    signal?: AbortSignal;
    onRetry?: (event: AlertRetryEvent) => void;
  },
): Promise<AlertDelivery> {
  const policy = { ...DEFAULT_ALERT_RETRY, ...options.policy };
  const timing = { ...policy, timeoutMs: 0 };
  for (let tried = 1; ; tried++) {
    const { delivery, retryAfter } = await attempt();
    if (delivery.outcome !== 'unreachable' || tried > policy.retries || options.signal?.aborted) {
      return { ...delivery, attempts: tried } as AlertDelivery;
    }
    const delayMs = backoffDelay(tried, timing, retryAfter);
    options.onRetry?.({
      channel: options.channel,
      target: options.target,
      attempt: tried,
      delayMs,
      reason: delivery.detail,
    });
    try {
      await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : undefined);
    } catch {
      return { ...delivery, attempts: tried } as AlertDelivery;
    }
  }
}
