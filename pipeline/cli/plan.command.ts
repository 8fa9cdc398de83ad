import type { Command } from 'commander';
import { compose } from '../compose.js';
import { ChangewatchError, EXIT } from '../errors.js';
import { createLogger } from '../log.js';
import { selectAois } from '../run/run.js';
import { mib, table } from '../run/run.report.js';
import { assignUnits } from '../run/shard.js';
import { planUnits, type WorkUnit } from '../run/units.plan.js';
import { repeatable, type CliContext } from './cli.context.js';
import { withStacHint } from './stac.hint.js';

/**
 * `changewatch plan`: the night's work units with their estimated costs (README "Scaling out"), in the order every
 * array task sees them; with `--shards N`, which task each unit falls to and how even the tasks are. Reads the AOIs
 * and the STAC catalog, never the store: the units do not depend on what is published.
 */

interface PlanFlags {
  aoi?: string[];
  json?: boolean;
  shards?: string;
}

interface TaskLoad {
  index: number;
  units: string[];
  cost: number;
}

function shardCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new ChangewatchError('E_USAGE', `--shards ${text}: not a whole number ≥ 1 (the number of array tasks)`);
  return Number(text);
}

function tasksOf(units: readonly WorkUnit[], count: number): TaskLoad[] {
  return assignUnits(units, count).map((mine, index) => ({
    index,
    units: mine.map((unit) => unit.id),
    cost: mine.reduce((sum, unit) => sum + unit.cost, 0),
  }));
}

/** Slowest task over the mean task, by estimated cost: 1 is perfect balance. */
function balanceOf(tasks: readonly TaskLoad[]): number {
  const mean = tasks.reduce((sum, task) => sum + task.cost, 0) / tasks.length;
  return mean === 0 ? 1 : Math.max(...tasks.map((task) => task.cost)) / mean;
}

function printTable(units: readonly WorkUnit[], tasks: readonly TaskLoad[] | undefined, out: (line: string) => void) {
  const taskOf = new Map(tasks?.flatMap((task) => task.units.map((id) => [id, task.index] as const)));
  const rows = [
    [
      'UNIT',
      'AOI',
      'MONITORING',
      'SCENES',
      'GRID',
      'COST',
      'EST. READ',
      'EST. MEMORY',
      ...(tasks ? ['TASK'] : []),
      'NOTE',
    ],
    ...units.map((unit) => [
      unit.id,
      unit.aoi,
      unit.windows.monitoring,
      String(unit.scenes),
      `${(unit.gridPixels / 1e6).toFixed(2)} Mpx @ ${unit.resolution} m`,
      unit.cost.toExponential(2),
      mib(unit.estimatedBytes),
      mib(unit.estimatedMemoryBytes),
      ...(tasks ? [String(taskOf.get(unit.id))] : []),
      unit.note ?? '',
    ]),
  ];
  for (const line of table(rows)) out(line);
  const memory = Math.max(0, ...units.map((unit) => unit.estimatedMemoryBytes));
  out(`${units.length} unit(s); largest memory estimate ${mib(memory)} (what each array task needs)`);
  if (tasks) {
    const loads = tasks.map(
      (task) => `${task.index}: ${task.units.length} unit(s), cost ${task.cost.toExponential(2)}`,
    );
    out(`${tasks.length} task(s), largest first to the least loaded: ${loads.join('; ')}`);
    out(`balance (slowest task / mean): ${balanceOf(tasks).toFixed(2)}`);
  }
}

async function plan(flags: PlanFlags, command: Command, { io, configOf, setExitCode }: CliContext): Promise<void> {
  const { config } = configOf(command);
  const count = shardCount(flags.shards);
  const adapters = withStacHint(compose(config, createLogger(config.log.level)), io.cwd);
  const runDate = new Date();
  try {
    const aois = await selectAois(adapters, flags.aoi);
    const units = await planUnits(adapters, aois, { runDate });
    const tasks = count ? tasksOf(units, count) : undefined;
    if (flags.json) {
      const shards = tasks ? { count, balance: balanceOf(tasks), tasks } : undefined;
      io.out(JSON.stringify({ runDate: runDate.toISOString().slice(0, 10), units, ...(shards ? { shards } : {}) }));
    } else {
      printTable(units, tasks, io.out);
    }
    setExitCode(EXIT.ok);
  } finally {
    await adapters.close();
  }
}

/** `changewatch plan [--aoi ID|PATH]... [--json] [--shards N]`. */
export function registerPlan(program: Command, context: CliContext): void {
  program
    .command('plan')
    .description("the night's work units with their estimated costs, in a fixed order; writes nothing")
    .option(
      '--aoi <id|path>',
      'only this AOI: an id from the AOI folder or a path to an AOI file (repeatable)',
      repeatable,
    )
    .option('--json', 'print JSON')
    .option('--shards <N>', 'also deal the units out over N array tasks as run --shard does, and show the balance')
    .action((flags: PlanFlags, command: Command) => plan(flags, command, context));
}
