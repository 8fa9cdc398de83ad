import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { formatProblem, isAoiPath } from '../../aoi/aoi.schema.js';
import type { Adapters } from '../compose.js';
import { INFLATE_ENGINE } from '../../workers/inflate.native.js';
import { ChangewatchError, redactUrl } from '../errors.js';
import { convergeIndex } from '../publish/index.converge.js';
import { VERSION } from '../version.js';
import { sendRunAlerts } from './alerts.run.js';
import { runAoi, type AoiRunReport, type RunContext, type RunProgress } from './aoi.run.js';
import { killAfterIfAsked } from './debug.kill.js';
import { removeAbandonedWorkDirs } from './period.run.js';
import type { AoiPlan } from './run.plan.js';
import type { Shard } from './shard.js';
import { runStripe, type StripeRunReport } from './stripe.run.js';
import { stripeDone, stripesOf, workPrefix } from './stripe.work.js';
import { periodOf, shareOf, type ShardReport, type WorkUnit } from './units.plan.js';

export type { AoiRunReport, RunProgress } from './aoi.run.js';

/**
 * One run over the configured AOIs (pipeline/run/aoi.run.ts for each); one AOI failing does not stop the others,
 * a broken configuration does. Every run writes `runs/<run id>.json` to the store and refreshes `index.html`.
 */

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
  /** Why the run stopped before its last AOI (a usage or configuration error), if it did. */
  stopped?: string;
  /** An array task's share of the night (README "Scaling out"), when the run is one. */
  shard?: ShardReport;
  /** The stripe units of large AOIs this task ran (the reduces are among `aois`). */
  stripes?: StripeRunReport[];
}

export interface RunOptions {
  /** The AOIs to run, by id (from `aoi.dir`) or by path to an AOI file; none: every AOI of `aoi.dir`. */
  aoiIds?: readonly string[];
  force?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
  now?: () => Date;
  /** Progress per AOI, for a TTY. */
  onProgress?: (event: RunProgress) => void;
  /** Run only this array task's share of the night's units (pipeline/run/shard.ts). */
  shard?: Shard;
  /** The engine's identity of this task, the same on every attempt: its leases are taken over by a retry. */
  task?: string;
}

export const runKey = (runId: string) => `runs/${runId}.json`;

export function newRunId(now: Date): string {
  // Sortable to the millisecond, so runs started within one second list in the order they started.
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}

/** The AOIs of `aoi.dir` named by id (all when none is); an unknown id or a problem in a chosen file stops the run. */
async function aoisFromDir(adapters: Adapters, ids: readonly string[]): Promise<Aoi[]> {
  const { config } = adapters;
  const { aois, problems } = await adapters.loadAois();
  const wanted = ids.length > 0 ? new Set(ids) : undefined;
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
            `--aoi ${id}: no AOI with that id in ${config.aoi.dir} (${aois.map((a) => a.id).join(', ') || 'none'}): give an id from "changewatch aoi list" or a path to a .geojson file`,
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

/** AOIs named by path (`--aoi ./new-area.geojson`), checked as `aoi validate` checks them; a problem stops the run. */
async function aoisFromFiles(adapters: Adapters, paths: readonly string[]): Promise<Aoi[]> {
  if (paths.length === 0) return [];
  const { aois, problems } = await adapters.loadAois([...new Set(paths)]);
  if (problems.length > 0) throw new ChangewatchError('E_AOI', problems.map(formatProblem).join('\n'));
  return aois;
}

/**
 * The AOIs to run: `--aoi` takes ids from `aoi.dir` and paths to AOI files (README "Areas of interest"), mixed;
 * none means every AOI of the folder. One AOI named twice (by id and by its file) runs once; two files with one id
 * stop the run.
 */
export async function selectAois(adapters: Adapters, references: readonly string[] | undefined): Promise<Aoi[]> {
  const paths = (references ?? []).filter(isAoiPath);
  const ids = (references ?? []).filter((reference) => !isAoiPath(reference));
  const fromFiles = await aoisFromFiles(adapters, paths);
  const chosen = paths.length > 0 && ids.length === 0 ? [] : await aoisFromDir(adapters, ids);
  for (const aoi of fromFiles) {
    const same = chosen.find((other) => other.id === aoi.id);
    if (!same) chosen.push(aoi);
    else if (resolve(same.file) !== resolve(aoi.file)) {
      throw new ChangewatchError(
        'E_AOI',
        `--aoi ${aoi.file}: AOI id "${aoi.id}" is also the id of ${same.file}: give the new AOI an id of its own`,
      );
    }
  }
  return chosen;
}

/**
 * Runs the AOIs with the adapters of one composition (pipeline/compose.ts). The worker pool and open rasters are
 * released at the end (made again on the next run); the store and finder stay usable.
 */
/**
 * The index page and the run's report, after the AOIs (not on a dry run). The index lists the whole night's AOIs
 * (an array task's share is not all of them) and is rewritten until what the store holds stops changing under it.
 */
async function finishRun(ctx: RunContext, aois: readonly Aoi[], report: RunReport): Promise<void> {
  const { store } = ctx.adapters;
  try {
    await convergeIndex(store, aois);
    killAfterIfAsked({ step: 'index' });
  } catch (error) {
    ctx.log.error({ err: error }, 'Run:Index:Failed');
  }
  await store.put(runKey(report.runId), `${JSON.stringify(report, null, 2)}\n`, {
    contentType: 'application/json',
    cacheControl: 'no-cache',
  });
}

/**
 * Runs the AOIs with the adapters of one composition (pipeline/compose.ts). The worker pool and open rasters are
 * released at the end (made again on the next run); the store and finder stay usable.
 */
export async function runAll(adapters: Adapters, options: RunOptions = {}): Promise<RunReport> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const runId = newRunId(started);
  const log = adapters.log.child({ runId });
  const abandoned = removeAbandonedWorkDirs();
  if (abandoned.length > 0) log.warn({ removed: abandoned }, 'Run:Scratch:Removed');
  const night = await selectAois(adapters, options.aoiIds);
  const share = options.shard
    ? await shareOf(adapters, night, options.shard, {
        runDate: started,
        log,
        task: options.task,
        signal: options.signal,
      })
    : undefined;
  const ctx = runContext(share?.adapters ?? adapters, options, { runId, started, now, log });
  const aoiOf = (unit: WorkUnit) => night.find((aoi) => aoi.id === unit.aoi)!;
  const aois = share ? share.mine.filter((unit) => unit.kind === 'aoi').map(aoiOf) : night;
  const report = emptyReport(ctx, share?.report);
  log.info(
    { aois: aois.map((aoi) => aoi.id), store: report.store, dryRun: report.dryRun, inflate: INFLATE_ENGINE },
    'Run:Start',
  );
  try {
    if (share) await runShare(ctx, report, share, aoiOf);
    else {
      for (const aoi of aois) {
        if (ctx.stopped) report.aois.push(stoppedEntry(aoi, ctx.stopped));
        else report.aois.push(await runAoi(ctx, aoi));
      }
    }
  } finally {
    // Worker threads and open rasters are not kept between runs (the scheduler runs once a night).
    await ctx.adapters.close();
  }
  report.endedAt = now().toISOString();
  if (ctx.stopped) report.stopped = ctx.stopped;
  if (!ctx.dryRun) await finishRun(ctx, night, report);
  // After everything the run publishes; never fails the run (pipeline/run/alerts.run.ts).
  if (!ctx.dryRun) await sendRunAlerts(ctx.adapters, { runId, now, log, signal: options.signal }, aois, report.aois);
  log.info({ outcomes: Object.fromEntries(report.aois.map((entry) => [entry.aoi, entry.outcome])) }, 'Run:Done');
  return report;
}

/** What every AOI of a run shares: its adapters (an array task's, when sharded), identity, clock and options. */
function runContext(
  adapters: Adapters,
  options: RunOptions,
  run: Pick<RunContext, 'runId' | 'started' | 'now' | 'log'>,
): RunContext {
  return {
    adapters,
    ...run,
    force: options.force ?? false,
    dryRun: options.dryRun ?? false,
    plans: [],
    ...(options.task ? { task: options.task } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
}

/** The run's report before any AOI has run: who ran, where to, and the shard's part when sharded. */
function emptyReport(ctx: RunContext, shard: RunReport['shard']): RunReport {
  const started = ctx.started.toISOString();
  return {
    runId: ctx.runId,
    software: { name: 'changewatch', version: VERSION },
    startedAt: started,
    endedAt: started,
    dryRun: ctx.dryRun,
    force: ctx.force,
    store: redactUrl(ctx.adapters.store.url),
    stac: redactUrl(ctx.adapters.finder.url),
    aois: [],
    plans: ctx.plans,
    ...(shard ? { shard, stripes: [] } : {}),
  };
}

/**
 * An array task's units in the order dealt (largest first): whole AOIs and stripes. Reduces are not run in that
 * order: after its own units, the task runs every reduce of the night whose stripes are all finished (the AOI's
 * lease decides between tasks finishing together; a published item is `nothing-new`), so whichever task finishes
 * the last stripe of an AOI reduces it, and a reduce that died is run by the next task or run that finds the stripes.
 */
async function runShare(
  ctx: RunContext,
  report: RunReport,
  share: { mine: WorkUnit[]; units: WorkUnit[] },
  aoiOf: (unit: WorkUnit) => Aoi,
): Promise<void> {
  for (const unit of share.mine) {
    if (unit.kind === 'reduce') continue;
    if (ctx.stopped) report.aois.push(stoppedEntry(aoiOf(unit), ctx.stopped));
    else if (unit.kind === 'stripe') report.stripes!.push(await runStripe(ctx, aoiOf(unit), unit));
    else report.aois.push(await runAoi(ctx, aoiOf(unit)));
  }
  for (const unit of share.units) {
    if (unit.kind !== 'reduce' || ctx.stopped || ctx.dryRun) continue;
    let stored: { done: number; of: number };
    try {
      stored = await stripesStored(ctx, aoiOf(unit));
    } catch (error) {
      // Planning the reduce failed (a STAC fault): this AOI fails, the task's other units stand.
      const reason = `its stripes could not be looked up: ${error instanceof Error ? error.message : String(error)}`;
      report.aois.push({ ...stoppedEntry(aoiOf(unit), ''), reason });
      continue;
    }
    if (stored.of > 0 && stored.done === stored.of) report.aois.push(await runAoi(ctx, aoiOf(unit)));
    else ctx.log.info({ aoi: unit.aoi, unit: unit.id, ...stored }, 'Run:Reduce:Waiting');
  }
}

/** How many stripes of the AOI's period have their manifest in the store, of how many. */
async function stripesStored(ctx: RunContext, aoi: Aoi): Promise<{ done: number; of: number }> {
  const { period } = await periodOf(ctx.adapters, aoi, ctx.started, ctx.signal);
  const prefix = workPrefix(aoi.id, period.itemId, period.digest);
  const stripes = stripesOf(period.grid, period.blockSize, ctx.adapters.config.run.stripeMinPixels);
  let done = 0;
  for (const stripe of stripes) if (await stripeDone(ctx.adapters.store, prefix, stripe)) done++;
  return { done, of: stripes.length };
}

function stoppedEntry(aoi: Aoi, reason: string): AoiRunReport {
  return {
    aoi: aoi.id,
    outcome: 'failed',
    reason: `not started: the run stopped on a configuration error (${reason})`,
    bytesRead: 0,
    requests: 0,
    blocks: 0,
    bytesPublished: 0,
    ms: 0,
  };
}
