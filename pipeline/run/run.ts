import { randomBytes } from 'node:crypto';
import { totalmem } from 'node:os';
import { aoiGrid } from '../../aoi/aoi.grid.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { formatProblem } from '../../aoi/aoi.schema.js';
import type { Config } from '../../config/config.schema.js';
import { loadAoiDir } from '../io/aoi.repository.js';
import { ChangewatchError, redactUrl } from '../errors.js';
import { itemKey } from '../outputs/layout.js';
import type { ResultItem } from '../outputs/stac.js';
import { computeAndPublish, periodIdentity, periodParameters, type PeriodScenes } from './period.run.js';
import type { ObjectStore } from '../ports.js';
import type { Adapters } from '../compose.js';
import { periodsFor, planAoi, type AoiPlan } from './run.plan.js';
import { publishAoiReport, publishIndex } from '../publish/report.publish.js';
import { AoiLease, headlineOf, loadState, saveState, type AoiOutcome, type RunRecord } from './run.state.js';
import { findScenes } from '../scenes/scenes.find.js';
import { VERSION } from '../version.js';

/**
 * One run over the configured AOIs: for each, take its lease, plan (which scenes are new, which period must be
 * recomputed), execute the plan, record the outcome in its state; one AOI failing does not stop the others.
 * Every run writes `runs/<run id>.json` to the store.
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
  bytesRead: number;
  requests: number;
  blocks: number;
  bytesPublished: number;
  ms: number;
}

export interface RunReport {
  runId: string;
  software: { name: 'changewatch'; version: string };
  startedAt: string;
  endedAt: string;
  dryRun: boolean;
  force: boolean;
  store: string;
  stac: string;
  aois: AoiRunReport[];
  plans: AoiPlan[];
}

export interface RunOptions {
  aoiIds?: readonly string[];
  force?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
  now?: () => Date;
  /** Progress per AOI, for a TTY. */
  onProgress?: (event: RunProgress) => void;
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

export const runKey = (runId: string) => `runs/${runId}.json`;

export function newRunId(now: Date): string {
  // Sortable to the millisecond, so runs started within one second list in the order they started.
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}

async function publishedDigest(store: ObjectStore, aoiId: string, itemId: string): Promise<string | undefined> {
  const bytes = await store.get(itemKey(aoiId, itemId));
  if (!bytes) return undefined;
  try {
    const item = JSON.parse(new TextDecoder().decode(bytes)) as ResultItem;
    const digest = item.properties['changewatch:inputs'];
    return typeof digest === 'string' ? digest : undefined;
  } catch {
    return undefined;
  }
}

async function selectAois(config: Config, ids: readonly string[] | undefined): Promise<Aoi[]> {
  const { aois, problems } = await loadAoiDir(config.aoi.dir, { maxAreaKm2: config.aoi.maxAreaKm2 });
  const wanted = ids && ids.length > 0 ? new Set(ids) : undefined;
  const chosen = wanted ? aois.filter((aoi) => wanted.has(aoi.id)) : aois;
  const unknown = wanted ? [...wanted].filter((id) => !aois.some((aoi) => aoi.id === id)) : [];
  const relevant = problems.filter((problem) => !wanted || chosen.some((aoi) => aoi.file === problem.file));
  if (unknown.length > 0 || (wanted && relevant.length > 0)) {
    throw new ChangewatchError(
      'E_AOI',
      [
        ...relevant.map(formatProblem),
        ...unknown.map(
          (id) =>
            `--aoi ${id}: no AOI with that id in ${config.aoi.dir} (${aois.map((a) => a.id).join(', ') || 'none'})`,
        ),
      ].join('\n'),
    );
  }
  if (!wanted && problems.length > 0) {
    // An invalid file in the folder must not stop the valid AOIs from running; it is reported loudly.
    throw new ChangewatchError(
      'E_AOI',
      `${problems.map(formatProblem).join('\n')}\nfix these AOI files, or run the others with --aoi ID`,
    );
  }
  return chosen;
}

/**
 * Runs the AOIs with the adapters of one composition (pipeline/compose.ts). The worker pool and open rasters are
 * released at the end (made again on the next run); the store and finder stay usable.
 */
export async function runAll(adapters: Adapters, options: RunOptions = {}): Promise<RunReport> {
  const { config, log, store, finder } = adapters;
  const now = options.now ?? (() => new Date());
  const started = now();
  const runId = newRunId(started);
  const runLog = log.child({ runId });
  const aois = await selectAois(config, options.aoiIds);
  const report: RunReport = {
    runId,
    software: { name: 'changewatch', version: VERSION },
    startedAt: started.toISOString(),
    endedAt: started.toISOString(),
    dryRun: options.dryRun ?? false,
    force: options.force ?? false,
    store: redactUrl(store.url),
    stac: redactUrl(finder.url),
    aois: [],
    plans: [],
  };
  runLog.info({ aois: aois.map((aoi) => aoi.id), store: report.store, dryRun: report.dryRun }, 'Run:Start');
  try {
    for (const aoi of aois) {
      const aoiLog = runLog.child({ aoi: aoi.id });
      const aoiStarted = Date.now();
      const entry: AoiRunReport = {
        aoi: aoi.id,
        outcome: 'failed',
        bytesRead: 0,
        requests: 0,
        blocks: 0,
        bytesPublished: 0,
        ms: 0,
      };
      report.aois.push(entry);
      if (options.signal?.aborted) {
        entry.reason = 'the run was stopped before this AOI started';
        continue;
      }
      let lease: AoiLease | undefined;
      let renewal: NodeJS.Timeout | undefined;
      const aoiAbort = new AbortController();
      const abortAoi = () => aoiAbort.abort(options.signal?.reason);
      options.signal?.addEventListener('abort', abortAoi, { once: true });
      try {
        if (!options.dryRun) {
          const acquired = await AoiLease.acquire(store, aoi.id, { runId, minutes: config.run.leaseMinutes, now });
          if (!(acquired instanceof AoiLease)) {
            entry.outcome = 'busy';
            entry.reason = `run ${acquired.heldBy.runId} (${acquired.heldBy.host}, pid ${acquired.heldBy.pid}) holds this AOI until ${acquired.heldBy.expiresAt}`;
            aoiLog.warn({ heldBy: acquired.heldBy }, 'Aoi:Lease:Busy');
            continue;
          }
          lease = acquired;
          const renewEvery = (config.run.leaseMinutes * 60_000) / 3;
          renewal = setInterval(() => {
            lease!.renew(now()).catch((error: unknown) => {
              aoiLog.error({ err: error }, 'Aoi:Lease:Lost');
              aoiAbort.abort(error);
            });
          }, renewEvery);
          renewal.unref();
        }
        const { state, rebuilt } = await loadState(store, aoi.id);
        if (rebuilt) {
          entry.stateRebuilt = rebuilt;
          aoiLog.warn({ rebuilt, items: Object.keys(state.items).length }, 'Aoi:State:Rebuilt');
        }
        const windows = periodsFor(aoi, started, config.run);
        options.onProgress?.({ aoi: aoi.id, stage: 'searching scenes' });
        const search = {
          baseline: await findScenes(finder, aoi, windows.baseline, config, { signal: aoiAbort.signal }),
          monitoring: await findScenes(finder, aoi, windows.monitoring, config, { signal: aoiAbort.signal }),
        };
        const periods: PeriodScenes = {
          baseline: { window: windows.baseline, search: search.baseline },
          monitoring: { window: windows.monitoring, search: search.monitoring },
        };
        const { itemId, digest } = periodIdentity(aoi, periods, config);
        const { resolution, gridOffset } = periodParameters(config, periods);
        const plan = planAoi({
          aoi,
          windows,
          scenes: { baseline: search.baseline.scenes, monitoring: search.monitoring.scenes },
          itemId,
          digest,
          published: {
            ...(await publishedDigest(store, aoi.id, itemId).then((d) => (d ? { digest: d } : {}))),
            scenes: state.items[itemId]?.scenes ?? [],
          },
          force: options.force ?? false,
          resolution: resolution,
          gridPixels: (() => {
            const grid = aoiGrid(aoi.geometry, aoi.bbox, resolution, gridOffset);
            return grid.width * grid.height;
          })(),
          memoryLimitBytes: (config.analysis.memoryLimitMiB ?? (0.75 * totalmem()) / 1_048_576) * 1_048_576,
        });
        report.plans.push(plan);
        Object.assign(entry, {
          itemId,
          digest,
          windows: plan.windows,
          scenes: plan.scenes,
          newScenes: plan.newScenes,
          reason: plan.reason,
        });
        aoiLog.info({ action: plan.action, reason: plan.reason, newScenes: plan.newScenes.length }, 'Aoi:Plan:Done');
        if (options.dryRun) {
          entry.outcome = plan.action === 'compute' ? 'ok' : plan.action === 'too-large' ? 'failed' : plan.action;
          continue;
        }
        if (plan.action === 'too-large') {
          throw new ChangewatchError('E_COMPUTE', `${aoi.id}: ${plan.reason}`);
        }
        if (plan.action !== 'compute') {
          entry.outcome = plan.action;
        } else {
          const opener = adapters.opener();
          const pool = adapters.pool();
          const readsBefore = opener.stats();
          const result = await computeAndPublish({
            aoi,
            periods,
            config,
            opener,
            store,
            pool,
            signal: aoiAbort.signal,
            onBlock: (event) => {
              aoiLog.debug(event, 'Block:Compute:Done');
              options.onProgress?.({
                aoi: aoi.id,
                stage: 'blocks',
                done: event.block,
                total: event.blocks,
                scenes: plan.scenes.baseline.length + plan.scenes.monitoring.length,
                bytesRead: opener.stats().bytes - readsBefore.bytes,
              });
            },
            onPublish: (event) => {
              aoiLog.debug(event, 'Publish:Step:Done');
              options.onProgress?.({ aoi: aoi.id, stage: `publishing ${event.step}` });
            },
          });
          const reads = opener.stats();
          entry.bytesRead = reads.bytes - readsBefore.bytes;
          entry.requests = reads.requests - readsBefore.requests;
          entry.blocks = result.run.blocks;
          entry.bytesPublished = result.published.bytes;
          entry.outcome = 'ok';
          if (Object.keys(result.run.notComputed).length > 0)
            aoiLog.warn({ notComputed: result.run.notComputed }, 'Aoi:Analyses:NotComputed');
          const headline = headlineOf(result.summary);
          state.items[itemId] = {
            digest,
            scenes: [...new Set([...plan.scenes.baseline, ...plan.scenes.monitoring])],
            runId,
            ...(headline ? { headline } : {}),
          };
          const reportKey = await publishAoiReport(store, {
            aoi,
            runId,
            itemId,
            digest,
            summary: result.summary,
            state,
          });
          if (headline) state.reports = [...(state.reports ?? []), { runId, itemId, digest, key: reportKey, headline }];
          entry.report = reportKey;
        }
        entry.ms = Date.now() - aoiStarted;
        state.history.push(historyRecord(runId, started, now(), entry));
        await saveState(store, state);
      } catch (error) {
        entry.outcome = 'failed';
        entry.reason =
          error instanceof ChangewatchError
            ? error.message
            : options.signal?.aborted
              ? 'the run was stopped (signal) during this AOI'
              : `unexpected error: ${(error as Error).message}`;
        aoiLog.error({ err: error, reason: entry.reason }, 'Aoi:Run:Failed');
        if (!options.dryRun && lease) {
          // Best effort: the failure goes into the AOI's history; the published items are untouched.
          try {
            const { state } = await loadState(store, aoi.id);
            state.history.push(historyRecord(runId, started, now(), entry));
            await saveState(store, state);
          } catch (stateError) {
            aoiLog.warn({ err: stateError }, 'Aoi:State:NotSaved');
          }
        }
      } finally {
        options.signal?.removeEventListener('abort', abortAoi);
        if (renewal) clearInterval(renewal);
        entry.ms = Date.now() - aoiStarted;
        if (lease)
          await lease.release().catch((error: unknown) => aoiLog.warn({ err: error }, 'Aoi:Lease:NotReleased'));
        aoiLog.info(
          { outcome: entry.outcome, ms: entry.ms, bytesRead: entry.bytesRead, blocks: entry.blocks },
          'Aoi:Run:Done',
        );
      }
    }
  } finally {
    // Worker threads and open rasters are not kept between runs (the scheduler runs once a night).
    await adapters.close();
  }
  report.endedAt = now().toISOString();
  if (!options.dryRun) {
    try {
      await publishIndex(store, aois);
    } catch (error) {
      runLog.error({ err: error }, 'Run:Index:Failed');
    }
    await store.put(runKey(runId), `${JSON.stringify(report, null, 2)}\n`, {
      contentType: 'application/json',
      cacheControl: 'no-cache',
    });
  }
  runLog.info({ outcomes: Object.fromEntries(report.aois.map((entry) => [entry.aoi, entry.outcome])) }, 'Run:Done');
  return report;
}

function historyRecord(runId: string, started: Date, ended: Date, entry: AoiRunReport): RunRecord {
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
