/**
 * One forest-loss run on the Bukavu demo AOI, for `npm run bench` (chain.bench.ts spawns it once per thread
 * count, so each figure has its own process and peak RSS). Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAoi } from '../../aoi/aoi.parse.js';
import { runAnalysis } from '../../pipeline/analysis/analysis.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { StaticCatalog } from '../../pipeline/io/stac.client.js';
import { ComputePool } from '../../pipeline/analysis/pool.js';
import { createRasterOpener } from '../../pipeline/scenes/raster.opener.js';
import { findWindowScenes } from '../../pipeline/scenes/scenes.find.js';
import { ROOT } from '../helpers/paths.js';

const [catalogPath, threadsArgument] = process.argv.slice(2);
const threads = Number(threadsArgument);
const aoiFile = join(ROOT, 'aoi', 'bukavu-demo.geojson');
const aoi = parseAoi(readFileSync(aoiFile, 'utf8'), aoiFile, { maxAreaKm2: 10_000 }).aoi!;
const { config } = loadConfig({}, {}, ROOT);
const finder = new StaticCatalog(catalogPath!);
const { baseline, monitoring } = await findWindowScenes(finder, aoi, config);
const opener = createRasterOpener({});
const pool = new ComputePool({ entry: join(ROOT, 'dist', 'workers', 'pool.entry.js'), maxThreads: threads });
// Timed from here, with the worker threads' modules loaded: the numpy peer's time starts after its imports too.
await pool.ready();
const started = performance.now();
const cpuBefore = process.cpuUsage();
const run = await runAnalysis({
  aoi,
  baseline: baseline.observations,
  monitoring: monitoring.observations,
  opener,
  pool,
});
const seconds = (performance.now() - started) / 1000;
// CPU time of every thread of the process over the run: the work done, which a busy machine changes far less
// than the wall time.
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
await pool.destroy();
await opener.close();
const dates = run.baseline.dates.length + run.monitoring.dates.length;
console.log(
  JSON.stringify({
    threads,
    seconds,
    cpuSeconds,
    pixels: run.grid.width * run.grid.height,
    dates,
    maxRssKiB: process.resourceUsage().maxRSS,
    lossHa: run.products['forest-loss']!.stats.aoi.classes[3]?.hectares ?? 0,
    read: opener.stats(),
    grid: run.grid,
    baselineScenes: run.baseline.scenes,
    monitoringScenes: run.monitoring.scenes,
    parameters: run.products['forest-loss']!.params,
  }),
);
