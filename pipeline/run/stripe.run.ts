import type { Aoi } from '../../aoi/aoi.schema.js';
import { ChangewatchError } from '../errors.js';
import { killAfterIfAsked } from './debug.kill.js';
import { holdLease, publishedItem, type RunContext } from './aoi.run.js';
import { computePeriodStripe } from './period.run.js';
import {
  putBlock,
  putManifest,
  stripeDone,
  manifestKey,
  stripeFolder,
  stripesOf,
  workPrefix,
  type Stripe,
  type StripeManifest,
} from './stripe.work.js';
import { periodOf, type WorkUnit } from './units.plan.js';

/**
 * A stripe unit of a large AOI (README "Scaling out"): pass 1 over its block rows, each block's result stored under
 * the AOI's work prefix, then its manifest. Idempotent: a stripe whose manifest is there, or whose item is already
 * published with the same inputs, is not computed again. The stripe's own lease keeps two attempts apart; the AOI's
 * lease is the reduce's.
 */

export interface StripeRunReport {
  unit: string;
  aoi: string;
  /** `computed`; `done` (its manifest was there); `published` (the item is); `busy` (leased); `failed`. */
  outcome: 'computed' | 'done' | 'published' | 'busy' | 'failed' | 'planned';
  reason?: string;
  blocks: number;
  bytesStored: number;
  ms: number;
}

/** Pass 1 over the stripe's blocks, each stored as it is taken; the manifest last. */
async function computeAndStore(
  ctx: RunContext,
  period: Awaited<ReturnType<typeof periodOf>>['period'],
  stripe: Stripe,
  signal: AbortSignal,
) {
  const { store } = ctx.adapters;
  const prefix = workPrefix(period.aoi.id, period.itemId, period.digest);
  const blocks: StripeManifest['blocks'] = [];
  const { reads } = await computePeriodStripe(
    period,
    { opener: ctx.adapters.opener(), pool: ctx.adapters.pool() },
    {
      rows: stripe.rows,
      keep: async (index, result) => {
        blocks.push(await putBlock(store, prefix, stripe, index, result));
        killAfterIfAsked({ step: 'stripe-block' });
      },
    },
    { signal },
  );
  await putManifest(store, prefix, { stripe, blockSize: period.blockSize, blocks, reads, runId: ctx.runId });
  return blocks;
}

/** Runs one stripe unit; never throws: an error becomes the report's outcome and reason. */
export async function runStripe(ctx: RunContext, aoi: Aoi, unit: WorkUnit): Promise<StripeRunReport> {
  const log = ctx.log.child({ aoi: aoi.id, unit: unit.id });
  const started = Date.now();
  const report: StripeRunReport = { unit: unit.id, aoi: aoi.id, outcome: 'failed', blocks: 0, bytesStored: 0, ms: 0 };
  const abort = new AbortController();
  const abortStripe = () => abort.abort(ctx.signal?.reason);
  // An abort before the stripe starts must stop it too: the listener alone would never fire.
  if (ctx.signal?.aborted) abortStripe();
  else ctx.signal?.addEventListener('abort', abortStripe, { once: true });
  let lease: { release(): Promise<void> } | undefined;
  try {
    const { store } = ctx.adapters;
    const { period } = await periodOf(ctx.adapters, aoi, ctx.started, abort.signal);
    const stripe = stripesOf(period.grid, period.blockSize, ctx.adapters.config.run.stripeMinPixels).find(
      (planned) => `${period.itemId}/stripe-${planned.index}-of-${planned.count}` === unit.id,
    );
    if (!stripe) throw new ChangewatchError('E_COMPUTE', `${unit.id}: the AOI's plan has no such stripe any more`);
    const prefix = workPrefix(aoi.id, period.itemId, period.digest);
    const item = await publishedItem(store, aoi.id, period.itemId);
    if (item?.properties['changewatch:inputs'] === period.digest) report.outcome = 'published';
    else if (await stripeDone(store, prefix, stripe)) report.outcome = 'done';
    else if (ctx.dryRun) report.outcome = 'planned';
    else {
      const held = await holdLease(ctx, stripeFolder(prefix, stripe), abort, log);
      if (held.busy !== undefined) return Object.assign(report, { outcome: 'busy', reason: held.busy });
      lease = held;
      // Holding the stripe's lease: what a killed attempt of this stripe left half-written goes.
      const removed = [
        ...(await store.removeAbandoned(`${stripeFolder(prefix, stripe)}/`)),
        ...(await store.removeAbandoned(manifestKey(prefix, stripe))),
      ];
      if (removed.length > 0) log.warn({ removed }, 'Stripe:Abandoned:Removed');
      // Another attempt may have finished it between the look and the lease.
      if (await stripeDone(store, prefix, stripe)) report.outcome = 'done';
      else {
        const blocks = await computeAndStore(ctx, period, stripe, abort.signal);
        Object.assign(report, {
          outcome: 'computed',
          blocks: blocks.length,
          bytesStored: blocks.reduce((sum, block) => sum + block.bytes, 0),
        });
      }
    }
  } catch (error) {
    report.reason = error instanceof Error ? error.message : String(error);
    log.error({ err: error }, 'Stripe:Run:Failed');
  } finally {
    ctx.signal?.removeEventListener('abort', abortStripe);
    report.ms = Date.now() - started;
    await lease?.release();
    log.info({ outcome: report.outcome, ms: report.ms, blocks: report.blocks }, 'Stripe:Run:Done');
  }
  return report;
}
