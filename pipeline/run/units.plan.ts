import { totalmem } from 'node:os';
import type { Aoi } from '../../aoi/aoi.schema.js';
import type { Adapters } from '../compose.js';
import type { Logger } from '../log.js';
import { findScenes } from '../scenes/scenes.find.js';
import { planPeriod } from './period.plan.js';
import { periodsFor, planAoi } from './run.plan.js';
import { assignUnits, type Shard } from './shard.js';
import { stripesOf, type Stripe } from './stripe.work.js';

/**
 * The night's work units (README "Scaling out"): one per AOI and period, each with an estimated cost, in a
 * deterministic order. A unit's cost depends on the inputs alone (the AOI, the config, the scenes the catalog
 * offers, the run date), never on what the store already holds, so every array task of one night, planning at its
 * own moment, deals the units out the same way; a unit already published is then found "nothing new" by the task
 * it fell to. Nothing is written.
 */

export interface WorkUnit {
  /**
   * The unit's id: the item it publishes (`<aoi>-<first day>-<last day>` of the monitoring window); for a striped
   * AOI, `<item>/stripe-<i>-of-<n>` and `<item>/reduce`.
   */
  id: string;
  /**
   * What the unit computes: a whole AOI; a stripe of a large AOI's block rows (pass 1, stored under the work
   * prefix); or that AOI's reduce (the stored blocks replayed, patches, outputs, publication).
   */
  kind: 'aoi' | 'stripe' | 'reduce';
  aoi: string;
  /** A stripe unit's stripe. */
  stripe?: Stripe;
  windows: { baseline: string; monitoring: string };
  /** Scenes of both windows. */
  scenes: number;
  /** Output pixel size, metres, and pixels of the AOI's grid (its bounding box at that size). */
  resolution: number;
  gridPixels: number;
  /**
   * The balancing weight: grid pixels × scenes (at least 1), what the block driver's work grows with; a stripe's
   * share of it by its block rows; a reduce, grid pixels (it reads no scene).
   */
  cost: number;
  /** The plan's estimate of the bytes to read (pipeline/run/run.plan.ts `estimateReadBytes`). */
  estimatedBytes: number;
  /** The plan's estimate of the peak memory, bytes (`RUN_BASE_BYTES` + a byte per grid pixel). */
  estimatedMemoryBytes: number;
  /** Why the unit will not compute (no scenes, grid too large for `analysis.memoryLimitMiB`), when it will not. */
  note?: string;
}

type Finder = Adapters['finder'];
type FoundItem = Finder['find'] extends (...args: never[]) => AsyncIterable<infer T> ? T : never;

/** At most this many AOIs are searched at once while planning (two STAC searches each). */
const PLAN_CONCURRENCY = 4;

/** The period an AOI's unit computes on `runDate` (its scenes searched), as the run plans it. */
export async function periodOf(adapters: Adapters, aoi: Aoi, runDate: Date, signal?: AbortSignal) {
  const { config, finder } = adapters;
  const windows = periodsFor(aoi, runDate, config.run);
  const options = signal ? { signal } : {};
  const period = planPeriod(
    aoi,
    {
      baseline: { window: windows.baseline, search: await findScenes(finder, aoi, windows.baseline, config, options) },
      monitoring: {
        window: windows.monitoring,
        search: await findScenes(finder, aoi, windows.monitoring, config, options),
      },
    },
    config,
  );
  return { windows, period };
}

/** A striped AOI's units: its stripes, each costed by its share of the block rows, and its reduce. */
export function stripeUnits(unit: WorkUnit, stripes: readonly Stripe[]): WorkUnit[] {
  const rows = stripes.at(-1)!.rows[1];
  return [
    ...stripes.map((stripe) => ({
      ...unit,
      id: `${unit.id}/stripe-${stripe.index}-of-${stripe.count}`,
      kind: 'stripe' as const,
      stripe,
      cost: Math.max(1, (unit.cost * (stripe.rows[1] - stripe.rows[0])) / rows),
    })),
    { ...unit, id: `${unit.id}/reduce`, kind: 'reduce' as const, scenes: 0, cost: Math.max(1, unit.gridPixels) },
  ];
}

async function unitsOf(adapters: Adapters, aoi: Aoi, runDate: Date, signal?: AbortSignal): Promise<WorkUnit[]> {
  const { config } = adapters;
  const { windows, period } = await periodOf(adapters, aoi, runDate, signal);
  const gridPixels = period.grid.width * period.grid.height;
  // As if nothing were published: the estimate of computing it, whatever the store holds.
  const plan = planAoi({
    aoi,
    windows,
    scenes: { baseline: period.periods.baseline.search.scenes, monitoring: period.periods.monitoring.search.scenes },
    itemId: period.itemId,
    digest: period.digest,
    published: { scenes: [] },
    force: true,
    resolution: period.resolution,
    gridPixels,
    outputs: period.outputs,
    memoryLimitBytes: (config.analysis.memoryLimitMiB ?? (0.75 * totalmem()) / 1_048_576) * 1_048_576,
  });
  const scenes = plan.scenes.baseline.length + plan.scenes.monitoring.length;
  const unit: WorkUnit = {
    id: period.itemId,
    kind: 'aoi',
    aoi: aoi.id,
    windows: plan.windows,
    scenes,
    resolution: period.resolution,
    gridPixels,
    cost: Math.max(1, gridPixels * scenes),
    estimatedBytes: plan.estimatedBytes,
    estimatedMemoryBytes: plan.estimatedMemoryBytes,
    ...(plan.action === 'compute' ? {} : { note: plan.reason }),
  };
  // Only a unit that computes is cut: one without scenes, or too large to compute at all, stays one unit.
  const stripes = plan.action === 'compute' ? stripesOf(period.grid, period.blockSize, config.run.stripeMinPixels) : [];
  return stripes.length > 0 ? stripeUnits(unit, stripes) : [unit];
}

/**
 * The units of `aois` for a run on `runDate`, sorted by id. A search that fails stops the planning (the error
 * carries its code): a task that cannot see the whole night cannot know its share, and its engine retries it.
 */
export async function planUnits(
  adapters: Adapters,
  aois: readonly Aoi[],
  options: { runDate: Date; signal?: AbortSignal },
): Promise<WorkUnit[]> {
  const units = new Array<WorkUnit[]>(aois.length);
  let next = 0;
  const worker = async () => {
    while (next < aois.length) {
      const at = next++;
      units[at] = await unitsOf(adapters, aois[at]!, options.runDate, options.signal);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PLAN_CONCURRENCY, aois.length) }, worker));
  return units.flat().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * A finder that answers a query it has answered before from memory: the shard's planning searches every AOI of the
 * night, and the AOIs of its share are searched again when they run.
 */
export function rememberSearches(finder: Finder): Finder {
  const answers = new Map<string, FoundItem[]>();
  return {
    url: finder.url,
    async *find(query, options) {
      const key = JSON.stringify(query);
      const known = answers.get(key);
      if (known) {
        yield* known;
        return;
      }
      const items: FoundItem[] = [];
      for await (const item of finder.find(query, options)) items.push(item);
      answers.set(key, items);
      yield* items;
    },
  };
}

/** What a sharded run's report says about its share. */
export interface ShardReport {
  index: number;
  count: number;
  source: Shard['source'];
  /** The engine's task identity (pipeline/run/shard.ts `taskIdentity`), when there is one. */
  task?: string;
  /** Units of the whole night. */
  units: number;
  /** This task's units (ids), largest first, and their summed cost against the night's. */
  mine: string[];
  cost: number;
  totalCost: number;
}

/**
 * A sharded run's units: the night's units planned and dealt out over the shard's tasks; this task's own, largest
 * first, and the night's (for its reduces). The adapters returned remember the searches made here for the run.
 */
export async function shareOf(
  adapters: Adapters,
  night: readonly Aoi[],
  shard: Shard,
  options: { runDate: Date; log: Logger; task?: string; signal?: AbortSignal },
): Promise<{ adapters: Adapters; mine: WorkUnit[]; units: WorkUnit[]; report: ShardReport }> {
  const remembering = { ...adapters, finder: rememberSearches(adapters.finder) };
  const units = await planUnits(remembering, night, options);
  const mine = assignUnits(units, shard.count)[shard.index]!;
  const report: ShardReport = {
    index: shard.index,
    count: shard.count,
    source: shard.source,
    ...(options.task ? { task: options.task } : {}),
    units: units.length,
    mine: mine.map((unit) => unit.id),
    cost: mine.reduce((sum, unit) => sum + unit.cost, 0),
    totalCost: units.reduce((sum, unit) => sum + unit.cost, 0),
  };
  options.log.info(report, 'Run:Shard:Planned');
  return { adapters: remembering, mine, units, report };
}
