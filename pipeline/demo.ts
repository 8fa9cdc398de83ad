/**
 * `npm run demo`: the offline demo. Builds a static catalog from ../shared/data/s2-bukavu-rusizi/T35MPT_bukavu_drc,
 * finds the scenes of the bukavu-demo AOI's two windows, computes forest loss in the worker pool and prints the
 * figures with their provenance. Writes the catalog and a summary JSON under ./out/demo (publication to the object
 * store, COGs and the STAC catalog of results are not built yet).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CONFIDENCE, FOREST_LOSS_CLASSES } from '../workers/change.js';
import { resolveAoi } from './aoi.repository.js';
import { runForestLoss } from './analysis.forest.js';
import { buildCatalog } from './catalog.build.js';
import { loadConfig } from './config.read.js';
import { ChangewatchError, EXIT } from './errors.js';
import { StaticCatalog } from './io/stac.client.js';
import { createLogger } from './log.js';
import { ComputePool } from './pool.js';
import { createRasterOpener } from './raster.opener.js';
import { findWindowScenes } from './scenes.find.js';
import { VERSION } from './version.js';

const SERIES = resolve('..', 'shared', 'data', 's2-bukavu-rusizi', 'T35MPT_bukavu_drc');
const OUT = resolve('out', 'demo');
const CLASS_NAMES: Record<number, string> = {
  [FOREST_LOSS_CLASSES.notSeen]: 'not seen',
  [FOREST_LOSS_CLASSES.nonForest]: 'non-forest',
  [FOREST_LOSS_CLASSES.stableForest]: 'stable forest',
  [FOREST_LOSS_CLASSES.loss]: 'forest loss',
};

async function main(): Promise<number> {
  const { config } = loadConfig({});
  const log = createLogger(config.log.level);
  if (!existsSync(SERIES)) {
    throw new ChangewatchError(
      'E_CONFIG',
      `${SERIES}: the demo series is missing: run the demo from a clone with ../shared beside it`,
    );
  }
  await mkdir(OUT, { recursive: true });
  const catalog = await buildCatalog({
    dir: SERIES,
    out: join(OUT, 'catalog.json'),
    bands: ['red', 'nir'],
    scale: 1e-4,
    offset: 0,
    nodataIsCloud: true,
  });
  log.info({ catalog: catalog.catalog, items: catalog.items }, 'Catalog:Build:Done');
  const aoi = await resolveAoi('bukavu-demo', config.aoi.dir, { maxAreaKm2: config.aoi.maxAreaKm2 });
  const finder = new StaticCatalog(catalog.catalog);
  const periods = { baseline: aoi.windows.baseline!, monitoring: aoi.windows.monitoring! };
  const { baseline, monitoring } = await findWindowScenes(finder, aoi, config);
  const opener = createRasterOpener({});
  const pool = new ComputePool({
    entry: new URL('../workers/pool.entry.js', import.meta.url),
    ...(config.analysis.maxThreads ? { maxThreads: config.analysis.maxThreads } : {}),
  });
  const started = Date.now();
  const run = await runForestLoss({
    aoi,
    baseline: baseline.observations,
    monitoring: monitoring.observations,
    opener,
    pool,
    resolution: config.analysis.resolution,
    blockSize: config.analysis.blockSize,
    forestLoss: config.analysis.forestLoss,
    cloud: config.analysis.cloud,
    onBlock: (event) => log.info(event, 'Block:Compute:Done'),
  }).finally(() => pool.destroy());
  const reads = opener.stats();
  await opener.close();
  log.info({ aoi: aoi.id, ms: Date.now() - started, ...reads, blocks: run.blocks }, 'Run:Done');

  const sceneRows = (search: typeof baseline) =>
    search.scenes.map((scene) => ({
      id: scene.id,
      datetime: scene.datetime,
      cloudCover: scene.cloudCover,
      collection: scene.collection,
    }));
  const classes = Object.fromEntries(
    Object.entries(run.stats.aoi.classes).map(([code, tally]) => [
      CLASS_NAMES[Number(code)] ?? code,
      { pixels: tally.pixels, hectares: Number(tally.hectares.toFixed(2)) },
    ]),
  );
  const lossByConfidence = run.stats.aoi.byConfidence[FOREST_LOSS_CLASSES.loss] ?? {};
  const summary = {
    aoi: aoi.id,
    software: { changewatch: VERSION },
    periods: {
      baseline: {
        window: periods.baseline.text,
        scenes: sceneRows(baseline),
        clearFraction: run.stats.clearFraction.baseline,
      },
      monitoring: {
        window: periods.monitoring.text,
        scenes: sceneRows(monitoring),
        clearFraction: run.stats.clearFraction.monitoring,
      },
    },
    products: {
      'forest-loss': {
        classes,
        lossByConfidence: {
          low: Number((lossByConfidence[CONFIDENCE.low]?.hectares ?? 0).toFixed(2)),
          high: Number((lossByConfidence[CONFIDENCE.high]?.hectares ?? 0).toFixed(2)),
        },
        patches: run.change.patches,
      },
    },
    grid: run.grid,
    parameters: run.parameters,
    caveats: [
      'The demo windows (June-mid July vs mid August-September 2021) span the change from the wet to the dry season: much of the NDVI drop is seasonal, not clearing.',
      'The demo scenes carry red and NIR only and their clouds were masked to NaN by the exporter: no quality layer, no cloud dilation.',
    ],
  };
  await writeFile(join(OUT, 'bukavu-demo.summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(
    `changewatch ${VERSION}: forest loss for ${aoi.name} (${aoi.id}), ${Math.round(aoi.areaHa).toLocaleString('en-US')} ha`,
  );
  for (const [name, search] of [
    ['baseline', baseline],
    ['monitoring', monitoring],
  ] as const) {
    const fraction = run.stats.clearFraction[name];
    out(
      `  ${name.padEnd(10)} ${periods[name].text}: ${search.scenes.length} scenes, ${(fraction * 100).toFixed(1)} % of the AOI seen clear`,
    );
  }
  out('  class            hectares     pixels');
  for (const [name, tally] of Object.entries(classes)) {
    out(`  ${name.padEnd(15)}${tally.hectares.toFixed(2).padStart(10)}${String(tally.pixels).padStart(11)}`);
  }
  out(
    `  loss confidence: ${summary.products['forest-loss'].lossByConfidence.high} ha high, ${summary.products['forest-loss'].lossByConfidence.low} ha low`,
  );
  for (const caveat of summary.caveats) out(`  caveat: ${caveat}`);
  out(`Summary: ${join(OUT, 'bukavu-demo.summary.json')}   catalog: ${catalog.catalog}`);
  return EXIT.ok;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(
    `${error instanceof ChangewatchError ? error.message : ((error as Error).stack ?? String(error))}\n`,
  );
  process.exitCode = error instanceof ChangewatchError && error.outcome === 'usage' ? EXIT.usage : EXIT.failed;
}
