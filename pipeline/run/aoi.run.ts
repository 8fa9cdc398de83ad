import type { TileDecoder } from '../scenes/scene.read.js';
import { totalmem } from 'node:os';
import type { Aoi } from '../../aoi/aoi.schema.js';
import type { Adapters } from '../compose.js';
import { ChangewatchError, outcomeOf } from '../errors.js';
import type { Logger } from '../log.js';
import { itemKey } from '../outputs/layout.js';
import type { ResultItem } from '../outputs/stac.js';
import type { ObjectStore } from '../ports.js';
import { publishedRasters } from '../scenes/store.raster.js';
import { seriesSources } from '../outputs/dossier.series.js';
import { completePublication, publicationGaps, publishedSummary } from '../publish/period.publish.js';
import type { PublishEvent } from '../publish/publish.js';
import { killAfterIfAsked } from './debug.kill.js';
import { findScenes } from '../scenes/scenes.find.js';
import { planPeriod, type PeriodPlan } from './period.plan.js';
import { computeAndPublish } from './period.run.js';
import { periodsFor, planAoi, type AoiPlan } from './run.plan.js';
import { loadState, saveState, type AoiOutcome, type AoiState, type RunRecord } from '../publish/aoi.state.js';
import { AoiLease } from './lease.js';
import { removeWork, stripeReplay, stripesOf, workPrefix } from './stripe.work.js';

/**
 * One AOI of a run: take its lease, plan (which scenes are new, whether the period must be recomputed), execute the
 * plan, record the outcome in its state. Errors decide the outcome through the one table (pipeline/errors.ts).
 */

export interface AoiRunReport {
  aoi: string;
  outcome: AoiOutcome;
  reason?: string;
  itemId?: string;
  digest?: string;
  windows?: { baseline: string; monitoring: string };
  scenes?: { baseline: string[]; monitoring: string[] };
  newScenes?: string[];
  /** The report page published for this AOI and run. */
  report?: string;
  /** Why the state was rebuilt from the published items, if it was. */
  stateRebuilt?: 'lost' | 'corrupt';
  /** Scenes found but not used, with why (a file that disagrees with its STAC item). */
  skipped?: Array<{ id: string; reason: string }>;
  bytesRead: number;
  requests: number;
  blocks: number;
  bytesPublished: number;
  ms: number;
}

export interface RunProgress {
  aoi: string;
  stage: string;
  done?: number;
  total?: number;
  /** Scenes and bytes read so far for this AOI. */
  scenes?: number;
  bytesRead?: number;
}

/** What every AOI of one run shares. */
export interface RunContext {
  adapters: Adapters;
  runId: string;
  started: Date;
  now: () => Date;
  log: Logger;
  force: boolean;
  dryRun: boolean;
  signal?: AbortSignal;
  onProgress?: (event: RunProgress) => void;
  plans: AoiPlan[];
  /** Set when an error the table maps to `usage` (a broken config) stops the run: the AOIs after it do not start. */
  stopped?: string;
  /** The engine's identity of this array task (pipeline/run/shard.ts): a lease of an earlier attempt is taken over. */
  task?: string;
}

export async function publishedItem(
  store: ObjectStore,
  aoiId: string,
  itemId: string,
): Promise<ResultItem | undefined> {
  const bytes = await store.get(itemKey(aoiId, itemId));
  if (!bytes) return undefined;
  try {
    const item = JSON.parse(new TextDecoder().decode(bytes)) as ResultItem;
    return typeof item.properties?.['changewatch:inputs'] === 'string' ? item : undefined;
  } catch {
    return undefined;
  }
}

export function historyRecord(runId: string, started: Date, ended: Date, entry: AoiRunReport): RunRecord {
  return {
    runId,
    startedAt: started.toISOString(),
    endedAt: ended.toISOString(),
    outcome: entry.outcome,
    ...(entry.itemId ? { itemId: entry.itemId } : {}),
    ...(entry.scenes ? { scenes: entry.scenes.baseline.length + entry.scenes.monitoring.length } : {}),
    ...(entry.reason ? { reason: entry.reason } : {}),
  };
}

/**
 * The lease on `id` (an AOI, or a stripe's folder: pipeline/run/lease.ts), renewed in the background; a lost lease
 * aborts the work. Says who holds it when another run does.
 */
export async function holdLease(ctx: RunContext, id: string, abort: AbortController, log: Logger) {
  const { store, config } = ctx.adapters;
  const acquired = await AoiLease.acquire(store, id, {
    runId: ctx.runId,
    minutes: config.run.leaseMinutes,
    now: ctx.now,
    ...(ctx.task ? { task: ctx.task } : {}),
  });
  if (!(acquired instanceof AoiLease)) {
    log.warn({ heldBy: acquired.heldBy }, 'Aoi:Lease:Busy');
    const { runId, host, pid, expiresAt } = acquired.heldBy;
    return { busy: `run ${runId} (${host}, pid ${pid}) holds ${id} until ${expiresAt}` };
  }
  const renewal = setInterval(
    () => {
      acquired.renew(ctx.now()).catch((error: unknown) => {
        log.error({ err: error }, 'Aoi:Lease:Lost');
        abort.abort(error);
      });
    },
    (config.run.leaseMinutes * 60_000) / 3,
  );
  renewal.unref();
  return {
    busy: undefined,
    release: async () => {
      clearInterval(renewal);
      await acquired.release().catch((error: unknown) => log.warn({ err: error }, 'Aoi:Lease:NotReleased'));
    },
  };
}

/** The period plan and the AOI plan: scenes found, identity, products, outputs, and what to do. */
async function planForAoi(ctx: RunContext, aoi: Aoi, state: AoiState, signal: AbortSignal) {
  const { config, finder, store } = ctx.adapters;
  const windows = periodsFor(aoi, ctx.started, config.run);
  ctx.onProgress?.({ aoi: aoi.id, stage: 'searching scenes' });
  const period = planPeriod(
    aoi,
    {
      baseline: {
        window: windows.baseline,
        search: await findScenes(finder, aoi, windows.baseline, config, { signal }),
      },
      monitoring: {
        window: windows.monitoring,
        search: await findScenes(finder, aoi, windows.monitoring, config, { signal }),
      },
    },
    config,
  );
  const item = await publishedItem(store, aoi.id, period.itemId);
  const digest = item?.properties['changewatch:inputs'] as string | undefined;
  // The whole published state decides "nothing new": the item, and everything derived from it.
  const gaps = item && digest === period.digest ? await publicationGaps(store, period.aoi, state, item) : [];
  const plan = planAoi({
    aoi,
    windows,
    scenes: { baseline: period.periods.baseline.search.scenes, monitoring: period.periods.monitoring.search.scenes },
    itemId: period.itemId,
    digest: period.digest,
    published: { ...(digest ? { digest } : {}), scenes: state.items[period.itemId]?.scenes ?? [], gaps },
    force: ctx.force,
    resolution: period.resolution,
    gridPixels: period.grid.width * period.grid.height,
    outputs: period.outputs,
    memoryLimitBytes: (config.analysis.memoryLimitMiB ?? (0.75 * totalmem()) / 1_048_576) * 1_048_576,
  });
  return { period, plan };
}

/** Reports a publish step: to the debug log, the progress line and the crash-consistency test seam. */
function publishEvents(ctx: RunContext, aoiId: string, log: Logger) {
  return (event: PublishEvent) => {
    log.debug(event, 'Publish:Step:Done');
    ctx.onProgress?.({ aoi: aoiId, stage: `publishing ${event.step}` });
    killAfterIfAsked(event);
  };
}

/** The stripes' stored blocks when the period is a striped AOI's and every stripe is finished (the reduce). */
async function replayOf(ctx: RunContext, period: PeriodPlan, log: Logger) {
  const stripes = stripesOf(period.grid, period.blockSize, ctx.adapters.config.run.stripeMinPixels);
  const prefix = workPrefix(period.aoi.id, period.itemId, period.digest);
  const replay = await stripeReplay(ctx.adapters.store, prefix, stripes, period.blockSize);
  if (replay) log.info({ stripes: stripes.length, prefix }, 'Aoi:Stripes:Reduce');
  return replay;
}

/** Computes the period and publishes its assets and item; then completes the publication (publish/period.publish.ts). */
async function executePeriod(
  ctx: RunContext,
  period: PeriodPlan,
  plan: AoiPlan,
  state: AoiState,
  entry: AoiRunReport,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const opener = ctx.adapters.opener();
  const readsBefore = opener.stats();
  const scenes = plan.scenes.baseline.length + plan.scenes.monitoring.length;
  const onPublish = publishEvents(ctx, period.aoi.id, log);
  const replay = await replayOf(ctx, period, log);
  const result = await computeAndPublish(
    period,
    { opener, store: ctx.adapters.store, pool: ctx.adapters.pool(), siteRules: ctx.adapters.config.sites },
    {
      signal,
      onBlock: (event) => {
        log.debug(event, 'Block:Compute:Done');
        const bytesRead = opener.stats().bytes - readsBefore.bytes;
        ctx.onProgress?.({
          aoi: period.aoi.id,
          stage: 'blocks',
          done: event.block,
          total: event.blocks,
          scenes,
          bytesRead,
        });
      },
      onPublish,
      ...(replay ? { replay } : {}),
    },
  );
  const reads = opener.stats();
  Object.assign(entry, {
    bytesRead: reads.bytes - readsBefore.bytes,
    requests: reads.requests - readsBefore.requests,
    blocks: result.run.blocks,
    bytesPublished: result.published.bytes,
    outcome: 'ok',
  });
  if (Object.keys(result.run.notComputed).length > 0)
    log.warn({ notComputed: result.run.notComputed }, 'Aoi:Analyses:NotComputed');
  if (result.run.skipped.length > 0) {
    entry.skipped = result.run.skipped;
    log.warn({ skipped: result.run.skipped }, 'Aoi:Scenes:Skipped');
  }
  entry.report = await completePublication(ctx.adapters.store, {
    aoi: period.aoi,
    itemId: period.itemId,
    digest: period.digest,
    runId: ctx.runId,
    summary: result.summary,
    scenes: [...plan.scenes.baseline, ...plan.scenes.monitoring],
    state,
    siteRules: ctx.adapters.config.sites,
    ...dossierReaders(ctx, period.aoi),
    basemap: ctx.adapters.config.reports.basemap,
    onEvent: onPublish,
  });
}

/** How the publication steps read the items' rasters and find their scenes again (sites, dossiers). */
function dossierReaders(ctx: RunContext, aoi: Aoi) {
  const { finder, config, store } = ctx.adapters;
  const opener = ctx.adapters.opener();
  // The scenes read again for the sites' chips and series have their tiles decoded, and the chips composed, in the
  // run's worker pool.
  // Asked for when first used: a repair with no site to draw or scene to read again starts no worker threads.
  const pool = () => ctx.adapters.pool();
  const decode: TileDecoder = (coding, stored, signal) => pool().decoder(signal)(coding, stored);
  return {
    rasters: publishedRasters(opener, store.url),
    series: seriesSources({ finder, config, aoi, opener, decode }),
    pool,
  };
}

/** Completes the publication of an item a killed run left unfinished, from what the store holds. */
async function repairPeriod(ctx: RunContext, aoi: Aoi, plan: AoiPlan, state: AoiState, log: Logger) {
  const { store } = ctx.adapters;
  const item = (await publishedItem(store, aoi.id, plan.itemId))!;
  log.warn({ reason: plan.reason }, 'Aoi:Publication:Repair');
  return completePublication(store, {
    aoi,
    itemId: plan.itemId,
    digest: plan.digest,
    runId: ctx.runId,
    summary: await publishedSummary(store, aoi.id, item),
    scenes: [...plan.scenes.baseline, ...plan.scenes.monitoring],
    state,
    siteRules: ctx.adapters.config.sites,
    ...dossierReaders(ctx, aoi),
    basemap: ctx.adapters.config.reports.basemap,
    onEvent: publishEvents(ctx, aoi.id, log),
  });
}

/** Plans the AOI and does what the plan says; the entry records the outcome. */
async function planAndExecute(ctx: RunContext, aoi: Aoi, entry: AoiRunReport, signal: AbortSignal, log: Logger) {
  const { state, rebuilt } = await loadState(ctx.adapters.store, aoi.id);
  if (rebuilt) {
    entry.stateRebuilt = rebuilt;
    log.warn({ rebuilt, items: Object.keys(state.items).length }, 'Aoi:State:Rebuilt');
  }
  const { period, plan } = await planForAoi(ctx, aoi, state, signal);
  ctx.plans.push(plan);
  const { itemId, digest } = plan;
  Object.assign(entry, { itemId, digest, windows: plan.windows, scenes: plan.scenes, newScenes: plan.newScenes });
  entry.reason = plan.reason;
  log.info({ action: plan.action, reason: plan.reason, newScenes: plan.newScenes.length }, 'Aoi:Plan:Done');
  if (ctx.dryRun) {
    const outcomes = { compute: 'ok', repair: 'repaired', 'too-large': 'failed' } as const;
    entry.outcome =
      plan.action in outcomes ? outcomes[plan.action as keyof typeof outcomes] : (plan.action as AoiOutcome);
    return;
  }
  if (plan.action === 'too-large') throw new ChangewatchError('E_COMPUTE', `${aoi.id}: ${plan.reason}`);
  if (plan.action === 'compute') await executePeriod(ctx, period, plan, state, entry, signal, log);
  else if (plan.action === 'repair') {
    entry.report = await repairPeriod(ctx, period.aoi, plan, state, log);
    entry.outcome = 'repaired';
  } else entry.outcome = plan.action;
  state.history.push(historyRecord(ctx.runId, ctx.started, ctx.now(), entry));
  await saveState(ctx.adapters.store, state);
  // The item is published: what stripes left for it goes (also after a reduce that died before removing it).
  if (stripesOf(period.grid, period.blockSize, ctx.adapters.config.run.stripeMinPixels).length > 0) {
    const removed = await removeWork(ctx.adapters.store, aoi.id, itemId);
    if (removed > 0) log.info({ removed }, 'Aoi:Stripes:Removed');
  }
}

/** The outcome and reason of an AOI whose run threw, from the one error table (pipeline/errors.ts). */
function failureOf(ctx: RunContext, error: unknown): { outcome: AoiOutcome; reason: string } {
  if (error instanceof ChangewatchError) {
    if (outcomeOf(error) === 'usage') ctx.stopped = error.message;
    return { outcome: outcomeOf(error) === 'no-scenes' ? 'no-scenes' : 'failed', reason: error.message };
  }
  const reason = ctx.signal?.aborted
    ? 'the run was stopped (signal) during this AOI'
    : `unexpected error: ${(error as Error).message}`;
  return { outcome: 'failed', reason };
}

/** The failure goes into the AOI's history (best effort); the published items are untouched. */
async function recordFailure(ctx: RunContext, aoi: Aoi, entry: AoiRunReport, log: Logger) {
  try {
    const { state } = await loadState(ctx.adapters.store, aoi.id);
    state.history.push(historyRecord(ctx.runId, ctx.started, ctx.now(), entry));
    await saveState(ctx.adapters.store, state);
  } catch (stateError) {
    log.warn({ err: stateError }, 'Aoi:State:NotSaved');
  }
}

/** Runs one AOI; never throws: every error becomes the entry's outcome and reason. */
export async function runAoi(ctx: RunContext, aoi: Aoi): Promise<AoiRunReport> {
  const log = ctx.log.child({ aoi: aoi.id });
  const started = Date.now();
  const entry: AoiRunReport = {
    aoi: aoi.id,
    outcome: 'failed',
    bytesRead: 0,
    requests: 0,
    blocks: 0,
    bytesPublished: 0,
    ms: 0,
  };
  if (ctx.signal?.aborted) return { ...entry, reason: 'the run was stopped before this AOI started' };
  const abort = new AbortController();
  const abortAoi = () => abort.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener('abort', abortAoi, { once: true });
  let lease: { release(): Promise<void> } | undefined;
  try {
    if (!ctx.dryRun) {
      const held = await holdLease(ctx, aoi.id, abort, log);
      if (held.busy !== undefined) return { ...entry, outcome: 'busy', reason: held.busy };
      lease = held;
      // Holding the lease, nothing under the AOI is being written by anyone else: what a killed writer left goes.
      // Not the stripes' work: tasks holding only a stripe's lease may be writing there (each cleans its own).
      const removed = await ctx.adapters.store.removeAbandoned(`${aoi.id}/`, `${aoi.id}/work/`);
      if (removed.length > 0) log.warn({ removed }, 'Aoi:Abandoned:Removed');
    }
    await planAndExecute(ctx, aoi, entry, abort.signal, log);
  } catch (error) {
    Object.assign(entry, failureOf(ctx, error));
    if (entry.outcome === 'failed') log.error({ err: error, reason: entry.reason }, 'Aoi:Run:Failed');
    else log.warn({ reason: entry.reason }, 'Aoi:Run:NoScenes');
    if (!ctx.dryRun && lease) await recordFailure(ctx, aoi, entry, log);
  } finally {
    ctx.signal?.removeEventListener('abort', abortAoi);
    entry.ms = Date.now() - started;
    await lease?.release();
    log.info(
      { outcome: entry.outcome, ms: entry.ms, bytesRead: entry.bytesRead, blocks: entry.blocks },
      'Aoi:Run:Done',
    );
  }
  return entry;
}
