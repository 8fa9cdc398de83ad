import type { PublishEvent } from '../publish/publish.js';

/**
 * A test seam for crash consistency: `CW_DEBUG_KILL_AFTER=<step>[#n]` kills this process with SIGKILL right after
 * the n-th (default the first) publish step of that name (asset, item, collection, catalog, prune, report, state,
 * index) or stored block of a stripe (`stripe-block`), so a test can stop a real run at every step in turn and check that the next run converges. It is not a
 * setting (no `CHANGEWATCH_` prefix, never in a config file) and does nothing when unset.
 */
const seen = new Map<string, number>();

export function killAfterIfAsked(event: Pick<PublishEvent, 'step'> | { step: 'index' | 'stripe-block' }): void {
  const wanted = process.env['CW_DEBUG_KILL_AFTER'];
  if (!wanted) return;
  const [step, nth = '1'] = wanted.split('#');
  const count = (seen.get(event.step) ?? 0) + 1;
  seen.set(event.step, count);
  if (event.step === step && count === Number(nth)) process.kill(process.pid, 'SIGKILL');
}
