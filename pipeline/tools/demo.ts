/**
 * `npm run demo`: the offline demo, the nightly job on embedded defaults. Builds a static catalog from
 * ../shared/data/s2-bukavu-rusizi/T35MPT_bukavu_drc, then runs `changewatch run` for the bukavu-demo AOI against
 * it into the configured store (default `file://./out`): plan, compute in the worker pool, publish COGs,
 * polygons, previews, summary and STAC documents. Prints the run's table, the figures with their provenance, and
 * where everything is. Run it twice: the second run finds nothing new and writes no output.
 */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { buildCatalog } from './catalog.build.js';
import { printRunReport } from '../run/run.report.js';
import { loadConfig } from '../config.read.js';
import { ChangewatchError, EXIT } from '../errors.js';
import { compose } from '../compose.js';
import { createLogger } from '../log.js';
import { assetKeyOf, itemKey } from '../outputs/layout.js';
import type { ResultItem } from '../outputs/stac.js';
import type { Summary } from '../../reports/summary.js';
import { runAll } from '../run/run.js';
import { loadState } from '../publish/aoi.state.js';
import { VERSION } from '../version.js';

const SERIES = resolve('..', 'shared', 'data', 's2-bukavu-rusizi', 'T35MPT_bukavu_drc');
const INPUT_CATALOG = resolve('out', 'inputs', 's2-bukavu', 'catalog.json');
const AOI_ID = 'bukavu-demo';
/** The store `npm run demo` writes to when none is configured (config.schema.ts `store.url`'s default). */
const DEFAULT_STORE = 'file://./out';

/** A word for a POSIX shell: as is when it holds only safe characters, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Commands to try next, each working exactly as printed from the folder the demo ran in: `changewatch` is the
 * package's `bin`, which `npx` finds there (npm ci does not put it on the PATH); the store is named unless it is the
 * default, and the STAC catalog is the one the demo built.
 */
function nextCommands(store: string, catalog: string): string[] {
  const storeFlag = store === DEFAULT_STORE ? '' : ` --store ${shellWord(store)}`;
  return [
    `npx changewatch status --store ${shellWord(store)}`,
    `npx changewatch run --dry-run --stac ${shellWord(relative(process.cwd(), catalog))} --aoi ${AOI_ID}${storeFlag}`,
    `npx changewatch aoi list`,
  ];
}

async function main(): Promise<number> {
  const started = Date.now();
  const { config: configured } = loadConfig({});
  const log = createLogger(configured.log.level);
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
  const config = { ...configured, stac: { ...configured.stac, url: catalog.catalog } };
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const adapters = compose(config, log);
  const report = await runAll(adapters, { aoiIds: [AOI_ID] });
  printRunReport(report, { out, err: (line) => process.stderr.write(`${line}\n`) });
  const entry = report.aois[0]!;
  if (entry.outcome === 'failed' || !entry.itemId) return EXIT.failed;

  const store = adapters.store;
  const key = itemKey(AOI_ID, entry.itemId);
  const item = JSON.parse(new TextDecoder().decode((await store.get(key))!)) as ResultItem;
  const asset = (name: string) => assetKeyOf(key, item.assets[name]!.href);
  const summary = JSON.parse(new TextDecoder().decode((await store.get(asset('summary')))!)) as Summary;
  const product = summary.products['forest-loss']!;
  out();
  out(
    `changewatch ${VERSION}: forest loss for ${summary.aoi.name} (${summary.aoi.id}), ${Math.round(summary.aoi.hectares).toLocaleString('en-US')} ha`,
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
  out(`Published to ${store.url}:`);
  out(`  catalog  catalog.json`);
  out(`  item     ${key}`);
  out(`  summary  ${asset('summary')}`);
  out(`  preview  ${asset('preview')}`);
  const latest = (await loadState(store, AOI_ID)).state.reports?.at(-1)?.key;
  out(`  report   index.html${latest ? ` and ${latest}` : ''}`);
  out('Next, from this folder:');
  for (const command of nextCommands(config.store.url, catalog.catalog)) out(`  ${command}`);
  out(`demo done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
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
