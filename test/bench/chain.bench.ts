/**
 * `npm run bench`, second part: the whole forest-loss chain (read, mask, median composites of every date,
 * NDVI, change, MMU, zonal stats) on the Bukavu demo AOI with 1 and 2 worker threads, and the same chain in
 * numpy (test/peer/forest_loss_peer.py) on the same data in the same run, with peak RSS of each.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUKAVU_SERIES, buildBukavuCatalog } from '../helpers/bukavu.js';
import { CLI_NODE_FLAGS } from '../../pipeline/node.flags.js';
import { DEBIAN_PYTHON, ROOT } from '../helpers/paths.js';

interface ChainFigures {
  threads: number;
  seconds: number;
  /** CPU time of all the process's threads over the run. */
  cpuSeconds: number;
  pixels: number;
  dates: number;
  maxRssKiB: number;
  lossHa: number;
  read: { requests: number; bytes: number };
  grid: unknown;
  baselineScenes: string[];
  monitoringScenes: string[];
  parameters: unknown;
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const loadBefore = load();
const dir = mkdtempSync(join(tmpdir(), 'cw-bench-'));
const catalog = await buildBukavuCatalog(dir);
const runner = join(ROOT, 'dist-bench', 'test', 'bench', 'chain.run.js');
/** Rounds of every run, interleaved, and the median kept: one run on a shared 2-core machine varies by ±20 %. */
const ROUNDS = 3;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const runChangewatch = (threads: number) =>
  JSON.parse(
    execFileSync(process.execPath, [...CLI_NODE_FLAGS, runner, catalog.catalog, String(threads)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!,
  ) as ChainFigures;
const first = runChangewatch(1);

// The numpy peer on the same files and grid.
const file = (id: string) => join(BUKAVU_SERIES, `${id}.tif`);
const spec = {
  grid: first.grid,
  aoi: join(ROOT, 'aoi', 'bukavu-demo.geojson'),
  scale: 1e-4,
  baseline: first.baselineScenes.map(file),
  monitoring: first.monitoringScenes.map(file),
  parameters: first.parameters,
};
writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
type PeerFigures = { seconds: number; cpuSeconds: number; maxRssKiB: number; hectares: Record<string, number> };
const rounds: Array<{ cw: ChainFigures[]; peer: PeerFigures }> = [];
for (let round = 0; round < ROUNDS; round++) {
  const cw = [1, 2].map(runChangewatch);
  execFileSync(DEBIAN_PYTHON, [join(ROOT, 'test', 'peer', 'forest_loss_peer.py'), join(dir, 'spec.json'), dir]);
  rounds.push({ cw, peer: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as PeerFigures });
}
const figures: ChainFigures[] = [0, 1].map((k) => {
  const runs = rounds.map((r) => r.cw[k]!);
  return {
    ...runs[0]!,
    seconds: median(runs.map((r) => r.seconds)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    maxRssKiB: Math.max(...runs.map((r) => r.maxRssKiB)),
  };
});
const peer: PeerFigures = {
  ...rounds[0]!.peer,
  seconds: median(rounds.map((r) => r.peer.seconds)),
  cpuSeconds: median(rounds.map((r) => r.peer.cpuSeconds)),
  maxRssKiB: Math.max(...rounds.map((r) => r.peer.maxRssKiB)),
};
const spread = (values: number[]) => `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;

const mpx = (seconds: number) => (first.pixels * first.dates) / 1e6 / seconds;
console.log(
  `\nForest-loss chain on bukavu-demo: ${first.pixels} px grid × ${first.dates} dates (Mpx/s counts pixel-dates; median of ${ROUNDS} interleaved rounds)`,
);
console.log(
  'run'.padEnd(28),
  'seconds'.padStart(8),
  'CPU s'.padStart(6),
  'Mpx/s'.padStart(8),
  'peak RSS MiB'.padStart(13),
  'loss ha'.padStart(9),
  ' time ratio cw/numpy',
);
for (const f of figures) {
  console.log(
    `changewatch, ${f.threads} worker${f.threads > 1 ? 's' : ''}`.padEnd(28),
    f.seconds.toFixed(2).padStart(8),
    f.cpuSeconds.toFixed(2).padStart(6),
    mpx(f.seconds).toFixed(1).padStart(8),
    (f.maxRssKiB / 1024).toFixed(0).padStart(13),
    f.lossHa.toFixed(2).padStart(9),
    `${(f.seconds / peer.seconds).toFixed(2)}`.padStart(20),
  );
}
console.log(
  'numpy + GDAL peer'.padEnd(28),
  peer.seconds.toFixed(2).padStart(8),
  peer.cpuSeconds.toFixed(2).padStart(6),
  mpx(peer.seconds).toFixed(1).padStart(8),
  (peer.maxRssKiB / 1024).toFixed(0).padStart(13),
  (peer.hectares['3'] ?? 0).toFixed(2).padStart(9),
  '1.00'.padStart(20),
);
console.log(
  `(ratio ≤ 1.0 means changewatch is at least as fast as the numpy peer; both read the same ${first.dates} files)`,
);
console.log(
  `spread over the rounds, seconds: changewatch 1 worker ${spread(rounds.map((r) => r.cw[0]!.seconds))}, 2 workers ${spread(rounds.map((r) => r.cw[1]!.seconds))}, numpy ${spread(rounds.map((r) => r.peer.seconds))}`,
);

// The ratios, each taken within a round (the runs of a round are back to back, so a busy machine slows
// them alike), then the median and the spread over the rounds.
const ratio = (name: string, goal: string, values: number[]) =>
  console.log(`${name.padEnd(44)} ${median(values).toFixed(2).padStart(6)}  ${spread(values).padStart(11)}  ${goal}`);
console.log(`\nRatios within a round (median of ${ROUNDS}, min-max)`);
console.log('ratio'.padEnd(44), 'median'.padStart(6), 'spread'.padStart(11), ' goal');
ratio(
  'whole chain, 2 workers / numpy peer (time)',
  '≤ 0.50',
  rounds.map((r) => r.cw[1]!.seconds / r.peer.seconds),
);
ratio(
  'whole chain, 1 worker / numpy peer (time)',
  '',
  rounds.map((r) => r.cw[0]!.seconds / r.peer.seconds),
);
ratio(
  'speed-up, 2 workers over 1 (+ main thread)',
  '≥ 1.70',
  rounds.map((r) => r.cw[0]!.seconds / r.cw[1]!.seconds),
);
console.log(
  `load average (1, 5, 15 min): ${loadBefore} before, ${load()} after: others' work on the machine slows every figure`,
);
