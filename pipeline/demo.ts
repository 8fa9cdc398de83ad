/**
 * `npm run demo`: the offline demo. Builds a static catalog from ../shared/data/s2-bukavu-rusizi/T35MPT_bukavu_drc,
 * finds the scenes of the bukavu-demo AOI's two windows, computes forest loss in the worker pool, publishes the
 * rasters, polygons, previews, summary and STAC documents into the configured store (default `file://./out`), and
 * prints the figures with their provenance and where the outputs are.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveAoi } from './aoi.repository.js';
import { buildCatalog } from './catalog.build.js';
import { loadConfig } from './config.read.js';
import { ChangewatchError, EXIT } from './errors.js';
import { openObjectStore } from './io/object.store.js';
import { StaticCatalog } from './io/stac.client.js';
import { createLogger } from './log.js';
import { itemKey } from './outputs/layout.js';
import { computeAndPublish } from './period.publish.js';
import { ComputePool } from './pool.js';
import { createRasterOpener } from './raster.opener.js';
import { findWindowScenes } from './scenes.find.js';
import { VERSION } from './version.js';

const SERIES = resolve('..', 'shared', 'data', 's2-bukavu-rusizi', 'T35MPT_bukavu_drc');
const INPUT_CATALOG = resolve('out', 'inputs', 's2-bukavu', 'catalog.json');

async function main(): Promise<number> {
  const { config } = loadConfig({});
  const log = createLogger(config.log.level);
  if (!existsSync(SERIES)) {
    throw new ChangewatchError(
      'E_CONFIG',
      `${SERIES}: the demo series is missing: run the demo from a clone with ../shared beside it`,
    );
  }
  const catalog = await buildCatalog({
    dir: SERIES,
    out: INPUT_CATALOG,
    bands: ['red', 'nir'],
    scale: 1e-4,
    offset: 0,
    nodataIsCloud: true,
  });
  log.info({ catalog: catalog.catalog, items: catalog.items }, 'Catalog:Build:Done');
  const aoi = await resolveAoi('bukavu-demo', config.aoi.dir, { maxAreaKm2: config.aoi.maxAreaKm2 });
  const finder = new StaticCatalog(catalog.catalog);
  const { baseline, monitoring } = await findWindowScenes(finder, aoi, config);
  const opener = createRasterOpener({});
  const store = openObjectStore(config.store);
  const pool = new ComputePool({
    entry: new URL('../workers/pool.entry.js', import.meta.url),
    ...(config.analysis.maxThreads ? { maxThreads: config.analysis.maxThreads } : {}),
  });
  const started = Date.now();
  const result = await computeAndPublish({
    aoi,
    periods: {
      baseline: { window: aoi.windows.baseline!, search: baseline },
      monitoring: { window: aoi.windows.monitoring!, search: monitoring },
    },
    config,
    opener,
    store,
    pool,
    onBlock: (event) => log.info(event, 'Block:Compute:Done'),
    onPublish: (event) => log.debug(event, 'Publish:Step:Done'),
  }).finally(() => pool.destroy());
  const reads = opener.stats();
  await opener.close();
  log.info({ aoi: aoi.id, ms: Date.now() - started, ...reads, blocks: result.run.blocks }, 'Run:Done');

  const { summary } = result;
  const product = summary.products['forest-loss']!;
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(
    `changewatch ${VERSION}: forest loss for ${aoi.name} (${aoi.id}), ${Math.round(aoi.areaHa).toLocaleString('en-US')} ha`,
  );
  for (const name of ['baseline', 'monitoring'] as const) {
    const period = summary.periods[name];
    out(
      `  ${name.padEnd(10)} ${period.window}: ${period.scenes.length} scenes, ${(period.clearFraction * 100).toFixed(1)} % of the AOI seen clear`,
    );
  }
  out('  class            hectares     pixels');
  for (const [name, tally] of Object.entries(product.classes)) {
    out(`  ${name.padEnd(15)}${tally.hectares.toFixed(2).padStart(10)}${String(tally.pixels).padStart(11)}`);
  }
  out(
    `  loss confidence: ${product.confidence.high!.hectares.toFixed(2)} ha high, ${product.confidence.low!.hectares.toFixed(2)} ha low; ${product.patches.kept} patches`,
  );
  for (const caveat of summary.caveats) out(`  caveat: ${caveat}`);
  const folder = `${aoi.id}/${result.itemId}/${result.digest}`;
  out(`Published to ${store.url}:`);
  out(`  catalog  catalog.json`);
  out(`  item     ${itemKey(aoi.id, result.itemId)}`);
  out(`  summary  ${folder}/summary.json`);
  out(`  preview  ${folder}/preview.png`);
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
