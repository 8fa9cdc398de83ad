/**
 * `npm run bench`, fourth part: a simulated night (issue 16). 200 small AOIs drawn on the real Bukavu Sentinel-2
 * tile, run as 1, 2 and 4 array tasks on this machine: each task a `changewatch run` process with the Slurm array
 * variables (SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT), all tasks of one array at once, one worker thread each,
 * the static catalog as the STAC source and a fresh folder store per array. Printed: the wall time of each array,
 * each task's time, the balance (slowest task / mean task), and the wall time projected from the plan
 * (`changewatch plan --json --shards N`) against the measured.
 *
 * The projection prices each unit from the plan's cost (grid pixels × scenes) by a line fitted to the 1-task run's
 * units (run report: each AOI's ms against its cost), adds the fixed start of a task (the whole night's planning and
 * the index at the end: the 1-task wall less its units), and takes the slowest task: what a cluster with a core per
 * task would see. With more tasks than this machine's cores, the tasks share them; that line is printed too.
 *
 * To keep it to a few minutes, each window holds 3 dates (baseline 2021-06-01…06-12, monitoring 2021-09-04…09-15,
 * of which the selection keeps those clear enough) instead of the demo's 9 and 9, and the AOIs are small: 24-72 by
 * 16-49 pixels at 10 m.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunReport } from '../../pipeline/run/run.js';
import { buildBukavuCatalog } from '../helpers/bukavu.js';
import { CLI_NODE_FLAGS } from '../../pipeline/node.flags.js';
import { CLI } from '../helpers/paths.js';
import { rectangleAoi } from '../helpers/run.site.js';

const AOIS = 200;
const ARRAYS = [1, 2, 4];
const WINDOWS = { baseline: '2021-06-01/2021-06-12', monitoring: '2021-09-04/2021-09-15' };
/** Cluster sizes the plan's projection is printed for. */
const CLUSTERS = [8, 16, 32];

interface TaskRun {
  index: number;
  /** Wall seconds from spawn to exit, and CPU seconds (user + system, GNU time), which load does not inflate. */
  seconds: number;
  cpuSeconds: number;
  status: number | null;
  stderr: string;
}

interface PlannedNight {
  units: Array<{ id: string; aoi: string; cost: number }>;
  shards: { balance: number; tasks: Array<{ index: number; units: string[]; cost: number }> };
}

/** The data's extent (the Bukavu files' corners, lon/lat), a little inside: every AOI is wholly covered. */
const EXTENT = { west: 28.812, south: -2.537, east: 28.885, north: -2.438 };

/** 200 rectangles on a 10 × 20 grid over EXTENT, sides 30 to 90 % of a cell's (24-72 by 16-49 pixels at 10 m). */
function writeAois(dir: string): void {
  const columns = 10;
  const rows = AOIS / columns;
  const width = (EXTENT.east - EXTENT.west) / columns;
  const height = (EXTENT.north - EXTENT.south) / rows;
  for (let at = 0; at < AOIS; at++) {
    const west = EXTENT.west + (at % columns) * width;
    const south = EXTENT.south + Math.floor(at / columns) * height;
    // A fixed spread of sizes (a multiplicative sequence), so the balancing has work.
    const share = 0.3 + (0.6 * ((at * 37) % 101)) / 100;
    const id = `night-${String(at).padStart(3, '0')}`;
    const bbox = [west, south, west + width * share, south + height * share];
    writeFileSync(join(dir, `${id}.geojson`), JSON.stringify(rectangleAoi(id, bbox, WINDOWS)));
  }
}

/** The CLI under GNU time (its last stderr line: CPU seconds), so a loaded machine's figures can be read. */
function runCli(args: string[], env: Record<string, string>): Promise<TaskRun & { stdout: string }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, ...CLI_NODE_FLAGS, CLI, ...args], {
      env: { ...process.env, CHANGEWATCH_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => {
      throw new Error(`night.bench: cannot start /usr/bin/time (test/setup.sh installs it): ${error.message}`);
    });
    child.on('exit', (status) => {
      const cpu = /cpu (\S+) (\S+)\s*$/.exec(stderr);
      resolve({
        index: -1,
        status,
        stdout,
        stderr,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : Number.NaN,
      });
    });
  });
}

/** One array of `count` tasks at once over the night, into a fresh folder store; each task's time and the wall. */
async function runArray(base: string, config: string, count: number) {
  const store = join(base, `store-${count}`);
  const started = Date.now();
  const tasks = await Promise.all(
    Array.from({ length: count }, async (_, index) => ({
      ...(await runCli(['--config', config, '--store', `file://${store}`, 'run'], {
        SLURM_ARRAY_TASK_ID: String(index),
        SLURM_ARRAY_TASK_COUNT: String(count),
      })),
      index,
    })),
  );
  const wall = (Date.now() - started) / 1000;
  for (const task of tasks) {
    if (task.status !== 0)
      throw new Error(`night.bench: task ${task.index}/${count} exit ${task.status}: ${task.stderr.slice(-2000)}`);
  }
  const reports = readdirSync(join(store, 'runs')).map(
    (name) => JSON.parse(readFileSync(join(store, 'runs', name), 'utf8')) as RunReport,
  );
  return { count, wall, tasks, reports };
}

async function planOf(config: string, count: number): Promise<PlannedNight> {
  const plan = await runCli(['--config', config, 'plan', '--json', '--shards', String(count)], {});
  if (plan.status !== 0) throw new Error(`night.bench: plan exit ${plan.status}: ${plan.stderr.slice(-2000)}`);
  return JSON.parse(plan.stdout) as PlannedNight;
}

/** Least-squares line of `y` on `x`. */
function fitLine(points: ReadonlyArray<{ x: number; y: number }>): { intercept: number; slope: number } {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

const base = mkdtempSync(join(tmpdir(), 'cw-bench-night-'));
const catalog = await buildBukavuCatalog(base);
const aoiDir = join(base, 'aoi');
mkdirSync(aoiDir);
writeAois(aoiDir);
const config = join(base, 'changewatch.config.json');
writeFileSync(
  config,
  JSON.stringify({
    stac: { url: catalog.catalog },
    aoi: { dir: aoiDir },
    analysis: { maxThreads: 1 },
    log: { level: 'warn' },
    schedule: { heartbeatFile: join(base, 'heartbeat.json') },
  }),
);

const loadBefore = loadavg();
const runs = [];
for (const count of ARRAYS) runs.push(await runArray(base, config, count));
const loadAfter = loadavg();
const plans = new Map<number, PlannedNight>();
for (const count of [...ARRAYS, ...CLUSTERS]) plans.set(count, await planOf(config, count));

// The price of a unit, fitted on the 1-task run; the fixed start of a task: the 1-task wall less its units.
const single = runs[0]!;
const costOf = new Map(plans.get(1)!.units.map((unit) => [unit.aoi, unit.cost]));
const unitTimes = single.reports.flatMap((report) =>
  report.aois.map((entry) => ({ x: costOf.get(entry.aoi)!, y: entry.ms / 1000 })),
);
const price = fitLine(unitTimes);
const taskStart = single.tasks[0]!.seconds - unitTimes.reduce((sum, unit) => sum + unit.y, 0);
const unitsById = new Map(plans.get(1)!.units.map((unit) => [unit.id, unit]));
const unitPrice = (cost: number) => price.intercept + price.slope * cost;
const projectTask = (ids: readonly string[]) =>
  taskStart + ids.reduce((sum, id) => sum + unitPrice(unitsById.get(id)!.cost), 0);
const projectWall = (count: number) =>
  Math.max(...plans.get(count)!.shards.tasks.map((task) => projectTask(task.units)));
const cores = availableParallelism();

const out = (line: string) => process.stdout.write(`${line}\n`);
out(`\nA simulated night: ${AOIS} AOIs of 24-72 by 16-49 px on the Bukavu tile, 3 + 3 dates, 1 worker thread per task`);
out(
  `machine: ${cores} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after${loadBefore[0]! > 0.5 ? ' (LOADED: times are from a busy machine)' : ''}`,
);
out(
  `unit price fitted on the 1-task run: ${price.intercept.toFixed(3)} s + ${(price.slope * 1e6).toFixed(3)} s per Mpx·scene; task start ${taskStart.toFixed(1)} s`,
);
const spread = (values: readonly number[]) =>
  Math.max(...values) / (values.reduce((sum, value) => sum + value, 0) / values.length);
out(
  'tasks  wall s  projected  task wall s (each)        task CPU s (each)         balance: wall  CPU   plan  projected',
);
for (const run of runs) {
  const plan = plans.get(run.count)!.shards;
  const projected = projectWall(run.count);
  // More tasks than cores: at best the night's work spread evenly over the cores.
  const work = run.count * taskStart + [...unitsById.values()].reduce((sum, unit) => sum + unitPrice(unit.cost), 0);
  const onCores = run.count > cores ? `, on ${cores} cores ${Math.max(projected, work / cores).toFixed(1)}` : '';
  const each = (values: number[]) => values.map((value) => value.toFixed(1)).join(', ');
  out(
    [
      String(run.count).padStart(5),
      run.wall.toFixed(1).padStart(6),
      projected.toFixed(1).padStart(9),
      each(run.tasks.map((task) => task.seconds)).padEnd(25),
      each(run.tasks.map((task) => task.cpuSeconds)).padEnd(25),
      spread(run.tasks.map((task) => task.seconds))
        .toFixed(2)
        .padStart(13),
      spread(run.tasks.map((task) => task.cpuSeconds))
        .toFixed(2)
        .padStart(5),
      plan.balance.toFixed(2).padStart(5),
      spread(plan.tasks.map((task) => projectTask(task.units)))
        .toFixed(2)
        .padStart(10),
    ].join('  ') + (onCores ? `  (projected${onCores})` : ''),
  );
}
for (const count of CLUSTERS) {
  out(
    `projected on a cluster of ${count} one-core tasks: ${projectWall(count).toFixed(1)} s wall (plan balance ${plans.get(count)!.shards.balance.toFixed(2)})`,
  );
}
