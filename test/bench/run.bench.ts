/**
 * `npm run bench`, third part (issue 14's first goal): a whole `changewatch run` against a plain GDAL + numpy
 * script doing the same forest-loss work. The real Rusizi series (../shared/data/s2-bukavu-rusizi/T35MQS_rusizi_burundi)
 * as a static catalog, one AOI over the tile's footprint (1 m inside its edges), the demo's windows and every date
 * whatever its cloud cover: 9 + 9 scenes. Each changewatch run is the built CLI (`dist/pipeline/main.js run`) spawned
 * into a fresh empty folder store, so it plans, computes and publishes everything, with 1 and with 2 worker threads
 * (`CHANGEWATCH_ANALYSIS_MAX_THREADS`); the peer (test/peer/forest_loss_run_peer.py, Debian's python3) reads the same
 * windows and writes the rasters the run publishes as COGs with GDAL's COG driver. Both are timed as whole processes,
 * from spawn to exit (Node's start-up counts as Python's does), with CPU seconds and peak RSS from GNU time; rounds
 * alternate the order of the three, and every run's published rasters are checked against the peer's.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromCrs } from '../../aoi/aoi.project.js';
import type { Position } from '../../aoi/geometry.js';
import { FileByteSource } from '../../pipeline/io/byte.source.file.js';
import { RasterReader } from '../../pipeline/io/cog.reader.js';
import { productOf } from '../../workers/products/index.js';
import { RUSIZI_SERIES, buildBukavuCatalog } from '../helpers/bukavu.js';
import { CLI_NODE_FLAGS } from '../../pipeline/node.flags.js';
import { CLI, DEBIAN_PYTHON, ROOT, childEnv } from '../helpers/paths.js';
import { WINDOWS } from '../helpers/run.site.js';
import { storedAssetPath } from '../helpers/store.asset.js';

const ROUNDS = 3;
const AOI_ID = 'rusizi-tile';
const PEER = join(ROOT, 'test', 'peer', 'forest_loss_run_peer.py');
/** The rasters a forest-loss run publishes, as the peer names its files. */
const IDENTICAL = ['clear-count-baseline', 'clear-count-monitoring', 'last-clear'];
const NDVI = ['ndvi-baseline', 'ndvi-monitoring'];
const CLASSES = ['forest-loss', 'forest-loss-confidence'];
/**
 * NDVI of composites that agree within one float32 ulp of reflectance (changewatch scales DN in float64 and rounds
 * once, numpy in float32) differs by at most ~1e-7; the integration test's bound.
 */
const NDVI_TOLERANCE = 1e-6;
/** Hectares per class: the peer's pixel areas come from pyproj's scale factor, changewatch's from pixel corners. */
const HECTARE_TOLERANCE = 0.001;

interface ProcessRun {
  /** Wall seconds from spawn to exit. */
  seconds: number;
  /** User + system seconds of every thread (GNU time), which a busy machine changes far less than the wall. */
  cpuSeconds: number;
  maxRssKiB: number;
  spawnedAt: number;
  exitedAt: number;
  stderr: string;
}

interface Figures extends ProcessRun {
  name: string;
  /** The folder the process wrote its outputs to. */
  out: string;
  lossHa: number;
  /** Seconds per stage of the run, from its debug log. */
  stages: Array<[string, number]>;
}

/** A process under GNU time; a failure stops the bench with the process's own words. */
function timed(command: string, args: string[], env: Record<string, string> = {}): ProcessRun {
  const timeFile = join(base, 'time.txt');
  const spawnedAt = Date.now();
  const started = performance.now();
  const child = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%U %S %M', command, ...args], {
    env: childEnv(env),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const seconds = (performance.now() - started) / 1000;
  if (child.error) throw new Error(`run.bench: cannot start /usr/bin/time (test/setup.sh installs it): ${child.error}`);
  if (child.status !== 0)
    throw new Error(`run.bench: ${command} ${args.join(' ')} exit ${child.status}:\n${child.stderr.slice(-3000)}`);
  const [user, system, rss] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return {
    seconds,
    cpuSeconds: user! + system!,
    maxRssKiB: rss!,
    spawnedAt,
    exitedAt: Date.now(),
    stderr: child.stderr,
  };
}

/** The AOI over the first file's footprint, 1 m inside its edges (so the grid snaps onto the tile), in lon/lat. */
async function writeTileAoi(aoiDir: string): Promise<void> {
  const first = readdirSync(RUSIZI_SERIES)
    .filter((name) => name.endsWith('.tif'))
    .sort()[0]!;
  const reader = await RasterReader.open(new FileByteSource(join(RUSIZI_SERIES, first)));
  const { transform, width, height, epsg } = reader.info;
  await reader.close();
  const [x0, dx, , y0, , dy] = transform;
  const [west, east] = [x0 + 1, x0 + width * dx - 1];
  const [north, south] = [y0 - 1, y0 + height * dy + 1];
  const toLonLat = fromCrs(epsg!);
  const corners: Position[] = [
    [west, north],
    [west, south],
    [east, south],
    [east, north],
    [west, north],
  ];
  const ring = corners.map((corner) => toLonLat(corner).map((value) => Number(value.toFixed(8))));
  const properties = {
    role: 'aoi',
    id: AOI_ID,
    name: 'Rusizi tile (whole-run bench)',
    kind: 'custom',
    analyses: ['forest-loss'],
    // Every date of the windows, as the 9 + 9 (the default 60 % limit keeps 8 + 4 of them).
    maxCloudCover: 100,
    windows: WINDOWS,
  };
  const aoi = {
    type: 'FeatureCollection',
    features: [{ type: 'Feature', properties, geometry: { type: 'Polygon', coordinates: [ring] } }],
  };
  writeFileSync(join(aoiDir, `${AOI_ID}.geojson`), JSON.stringify(aoi));
}

/** The run's wall time per stage, between the events of its debug log (stages whose events are missing merge). */
function stagesOf(run: ProcessRun): Array<[string, number]> {
  const events = run.stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { time: number; msg: string; step?: string });
  const last = (test: (event: { msg: string; step?: string }) => boolean) => events.filter(test).pop()?.time;
  const step = (steps: string[]) => last((e) => e.msg === 'Publish:Step:Done' && steps.includes(e.step ?? ''));
  const marks: Array<[string, number | undefined]> = [
    ['start-up (Node, modules, config, AOIs)', last((e) => e.msg === 'Run:Start')],
    ['planning (catalog search, plan)', last((e) => e.msg === 'Aoi:Plan:Done')],
    ['analysis (blocks)', last((e) => e.msg === 'Block:Compute:Done')],
    ['assets (MMU pass 2, COGs, previews, polygons, summary)', step(['asset'])],
    ['item, collection, catalog', step(['catalog'])],
    ['sites (folded from the items, sites.geojson)', step(['sites'])],
    ['site dossiers (chips, time series, pages, zips)', step(['dossier'])],
    ['report page, state, index', last((e) => e.msg === 'Run:Done')],
    ['exit', run.exitedAt],
  ];
  const stages: Array<[string, number]> = [];
  let since = run.spawnedAt;
  for (const [name, time] of marks) {
    if (time === undefined) continue;
    stages.push([name, (time - since) / 1000]);
    since = time;
  }
  return stages;
}

interface Published {
  summary: {
    grid: { epsg: number; width: number; height: number; transform: number[] };
    periods: Record<'baseline' | 'monitoring', { scenes: Array<{ id: string; datetime: string }> }>;
    products: Record<string, { classes: Record<string, { hectares: number }>; parameters: unknown }>;
  };
  file: (asset: string) => string;
}

function published(store: string): Published {
  const file = (asset: string) => storedAssetPath(store, AOI_ID, asset);
  return { summary: JSON.parse(readFileSync(file('summary'), 'utf8')) as Published['summary'], file };
}

/**
 * A folder no earlier run wrote to. Each run writes ~1,800 files: on ext4 without a journal (this machine's root), a
 * file created within a minute of a mass deletion first steps over every recently deleted inode of its block group
 * (`recently_deleted` in ext4's inode allocator), which cost a run a second of kernel time on its main thread when
 * the previous round's store was deleted just before it. The folders are deleted with the bench's.
 */
let folders = 0;
const freshFolder = (name: string) => join(base, `${name}-${++folders}`);

function runChangewatch(threads: number): Figures {
  const store = freshFolder(`store-${threads}`);
  const run = timed(
    process.execPath,
    [...CLI_NODE_FLAGS, CLI, '--config', config, '--store', `file://${store}`, 'run'],
    {
      CHANGEWATCH_ANALYSIS_MAX_THREADS: String(threads),
    },
  );
  const lossHa = published(store).summary.products['forest-loss']!.classes['forest-loss']?.hectares ?? 0;
  const name = `changewatch run, ${threads} worker${threads > 1 ? 's' : ''}`;
  return { ...run, name, out: store, lossHa, stages: stagesOf(run) };
}

function runPeer(spec: string): Figures {
  const out = freshFolder('peer');
  mkdirSync(out);
  const run = timed(DEBIAN_PYTHON, [PEER, spec, out]);
  const figures = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
    hectares: Record<string, number>;
  };
  return { ...run, name: 'numpy + GDAL script (COGs)', out, lossHa: figures.hectares['3'] ?? 0, stages: [] };
}

/** The peer's input: the grid, scenes and parameters the run published (its summary), the same files and AOI. */
function writePeerSpec(store: string): string {
  const { summary } = published(store);
  const scenes = (period: 'baseline' | 'monitoring') =>
    summary.periods[period].scenes.map((scene) => ({
      path: join(RUSIZI_SERIES, `${scene.id}.tif`),
      date: scene.datetime.slice(0, 10),
    }));
  const spec = {
    grid: summary.grid,
    aoi: join(aoiDir, `${AOI_ID}.geojson`),
    scale: 1e-4,
    baseline: scenes('baseline'),
    monitoring: scenes('monitoring'),
    parameters: summary.products['forest-loss']!.parameters,
  };
  const file = join(base, 'peer.spec.json');
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

async function readRaster(path: string) {
  const reader = await RasterReader.open(new FileByteSource(path));
  try {
    const { width, height } = reader.info;
    const { bands } = await reader.readWindow({ x0: 0, y0: 0, x1: width, y1: height }, { bands: [0] });
    return { info: reader.info, values: bands[0]! as ArrayLike<number> };
  } finally {
    await reader.close();
  }
}

/** Pixels that differ, and the largest difference between numbers (NaN only equals NaN). */
function compare(ours: ArrayLike<number>, theirs: ArrayLike<number>) {
  let differ = 0;
  let nanMismatch = 0;
  let worst = 0;
  for (let i = 0; i < ours.length; i++) {
    const [a, b] = [ours[i]!, theirs[i]!];
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) nanMismatch++;
    } else if (a !== b) {
      differ++;
      worst = Math.max(worst, Math.abs(a - b));
    }
  }
  return { differ, nanMismatch, worst };
}

/**
 * The run's published rasters against the peer's COGs, read by changewatch's reader: clear counts and last-clear
 * days identical, NDVI within NDVI_TOLERANCE with NaN in the same pixels, hectares per class within 0.1 %. Throws
 * on any mismatch; returns what it saw of the class rasters (a threshold pixel may fall either way).
 */
async function checkOutputs(run: Figures, peer: Figures): Promise<string> {
  const { summary, file } = published(run.out);
  const problems: string[] = [];
  const seen: string[] = [];
  for (const asset of [...IDENTICAL, ...NDVI, ...CLASSES]) {
    const [ours, theirs] = [await readRaster(file(asset)), await readRaster(join(peer.out, `${asset}.tif`))];
    if (ours.info.transform.join() !== theirs.info.transform.join() || ours.values.length !== theirs.values.length)
      problems.push(`${asset}: grids differ (${ours.info.transform} vs ${theirs.info.transform})`);
    const found = compare(ours.values, theirs.values);
    if (IDENTICAL.includes(asset) && (found.differ > 0 || found.nanMismatch > 0))
      problems.push(`${asset}: ${found.differ} pixels differ`);
    if (NDVI.includes(asset) && (found.nanMismatch > 0 || found.worst > NDVI_TOLERANCE))
      problems.push(`${asset}: ${found.nanMismatch} NaN mismatches, largest difference ${found.worst}`);
    if (NDVI.includes(asset)) seen.push(`${asset} max |Δ| ${found.worst.toExponential(1)}`);
    if (CLASSES.includes(asset)) seen.push(`${asset} ${found.differ} px differ`);
  }
  const peerSummary = JSON.parse(readFileSync(join(peer.out, 'summary.json'), 'utf8')) as {
    hectares: Record<string, number>;
  };
  for (const { value, name } of productOf('forest-loss').classes.filter((c) => !c.nodata)) {
    const [ours, theirs] = [
      summary.products['forest-loss']!.classes[name]?.hectares ?? 0,
      peerSummary.hectares[value] ?? 0,
    ];
    const off = theirs > 1 ? Math.abs(ours - theirs) / theirs > HECTARE_TOLERANCE : Math.abs(ours - theirs) > 0.05;
    if (off) problems.push(`${name}: ${ours} ha against the peer's ${theirs} ha`);
  }
  if (problems.length > 0)
    throw new Error(`run.bench: ${run.name}'s outputs differ from the peer's:\n  ${problems.join('\n  ')}`);
  return seen.join(', ');
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const spread = (values: number[]) => `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

const loadBefore = load();
const base = mkdtempSync(join(tmpdir(), 'cw-bench-run-'));
// Every run's store is kept until the end (see freshFolder): removed however the bench ends, a failed check included.
process.on('exit', () => rmSync(base, { recursive: true, force: true }));
const aoiDir = join(base, 'aoi');
mkdirSync(aoiDir);
const catalog = await buildBukavuCatalog(join(base, 'inputs'), RUSIZI_SERIES);
await writeTileAoi(aoiDir);
const config = join(base, 'changewatch.config.json');
writeFileSync(
  config,
  JSON.stringify({
    stac: { url: catalog.catalog },
    aoi: { dir: aoiDir },
    // Debug: the blocks' and publish steps' events time the stages.
    log: { level: 'debug' },
    schedule: { heartbeatFile: join(base, 'heartbeat.json') },
  }),
);

// A first run, not counted: it reads the files into the page cache and gives the peer its grid and scenes.
const first = runChangewatch(2);
const spec = writePeerSpec(first.out);
const { grid, periods } = published(first.out).summary;
const runners = [() => runChangewatch(1), () => runChangewatch(2), () => runPeer(spec)];
const rounds: Figures[][] = [];
let agreement = '';
for (let round = 0; round < ROUNDS; round++) {
  // Alternated: each round starts with another of the three, so none always runs on a machine the others warmed.
  const order = [0, 1, 2].map((k) => (k + round) % 3);
  const figures: Figures[] = [];
  for (const k of order) figures[k] = runners[k]!();
  // The peer's COGs of this round against each changewatch run of this round.
  for (const threads of [1, 2]) agreement = await checkOutputs(figures[threads - 1]!, figures[2]!);
  rounds.push(figures);
}

const out = (line: string) => process.stdout.write(`${line}\n`);
out(
  `\nWhole run on the Rusizi tile (${grid.width} × ${grid.height} px, ${periods.baseline.scenes.length} + ${periods.monitoring.scenes.length} scenes, forest loss), median of ${ROUNDS} alternated rounds, each process from spawn to exit`,
);
out(
  `${'process'.padEnd(30)} ${'seconds'.padStart(8)} ${'CPU s'.padStart(7)} ${'peak RSS MiB'.padStart(13)} ${'loss ha'.padStart(9)}`,
);
for (let k = 0; k < 3; k++) {
  const runs = rounds.map((figures) => figures[k]!);
  out(
    [
      runs[0]!.name.padEnd(30),
      median(runs.map((r) => r.seconds))
        .toFixed(2)
        .padStart(8),
      median(runs.map((r) => r.cpuSeconds))
        .toFixed(2)
        .padStart(7),
      (Math.max(...runs.map((r) => r.maxRssKiB)) / 1024).toFixed(0).padStart(13),
      median(runs.map((r) => r.lossHa))
        .toFixed(2)
        .padStart(9),
    ].join(' '),
  );
}
// The decoders in use (the native module when built, else JavaScript and node:zlib), from the run's first log line.
const inflate = (
  JSON.parse(rounds[0]![1]!.stderr.split('\n').find((line) => line.includes('Run:Start'))!) as { inflate?: string }
).inflate;
out(`changewatch's inflate: ${inflate ?? 'not logged'}`);
out(
  `outputs checked equal every round (clear counts and last-clear identical, NDVI within ${NDVI_TOLERANCE}, hectares within 0.1 %): ${agreement}`,
);

const ratio = (name: string, goal: string, values: number[]) =>
  out(`${name.padEnd(44)} ${median(values).toFixed(2).padStart(6)}  ${spread(values).padStart(11)}  ${goal}`);
out(`\nRatios within a round (median of ${ROUNDS}, min-max)`);
out(`${'ratio'.padEnd(44)} ${'median'.padStart(6)} ${'spread'.padStart(11)}  goal`);
ratio(
  'whole run, 2 workers / peer (time)',
  '≤ 0.50',
  rounds.map((r) => r[1]!.seconds / r[2]!.seconds),
);
ratio(
  'whole run, 1 worker / peer (time)',
  '',
  rounds.map((r) => r[0]!.seconds / r[2]!.seconds),
);
ratio(
  'speed-up, 2 workers over 1 (+ main thread)',
  '≥ 1.70',
  rounds.map((r) => r[0]!.seconds / r[1]!.seconds),
);
ratio(
  'CPU seconds, 2 workers / peer',
  '',
  rounds.map((r) => r[1]!.cpuSeconds / r[2]!.cpuSeconds),
);
// The sites and their dossiers come last, on the main thread, and the script makes neither: the run without them.
const withoutSites = (run: Figures) =>
  run.seconds - run.stages.filter(([name]) => name.startsWith('site')).reduce((sum, [, seconds]) => sum + seconds, 0);
ratio(
  '2 workers less sites and dossiers / peer',
  '(not a goal)',
  rounds.map((r) => withoutSites(r[1]!) / r[2]!.seconds),
);

out(`\nWhere a run's wall time goes (median seconds of ${ROUNDS}, from its debug log's events)`);
out(`${'stage'.padEnd(56)} ${'1 worker'.padStart(9)} ${'2 workers'.padStart(9)}`);
for (const [at, [name]] of rounds[0]![1]!.stages.entries()) {
  const of = (k: number) =>
    median(rounds.map((r) => r[k]!.stages[at]?.[1] ?? Number.NaN))
      .toFixed(2)
      .padStart(9);
  out(`${name.padEnd(56)} ${of(0)} ${of(1)}`);
}
out(
  `load average (1, 5, 15 min): ${loadBefore} before, ${load()} after: others' work on the machine slows every figure`,
);
