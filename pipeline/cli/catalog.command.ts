import type { Command } from 'commander';
import type { BackscatterUnit, BandName } from '../../workers/bands.js';
import { ChangewatchError } from '../errors.js';
import { createLogger } from '../log.js';
import { buildCatalog } from '../tools/catalog.build.js';
import type { CliContext } from './cli.context.js';

interface CatalogBuildFlags {
  out: string;
  bands: string;
  collection?: string;
  unit?: string;
  scale: string;
  offset: string;
  nodataIsCloud: boolean;
}

/** `--scale` and `--offset` as numbers; a usage error when either is not one, or the scale is 0. */
function scaleAndOffset(options: CatalogBuildFlags): { scale: number; offset: number } {
  const [scale, offset] = [Number(options.scale), Number(options.offset)];
  if (!Number.isFinite(scale) || scale === 0 || !Number.isFinite(offset)) {
    throw new ChangewatchError(
      'E_USAGE',
      `--scale/--offset: "${options.scale}"/"${options.offset}" are not numbers (scale must not be 0)`,
    );
  }
  return { scale, offset };
}

/** `--unit` as a backscatter unit; a usage error for anything but db or linear. */
function unitOf(options: CatalogBuildFlags): BackscatterUnit | undefined {
  if (options.unit === undefined) return undefined;
  const unit = options.unit.toLowerCase();
  if (unit !== 'db' && unit !== 'linear') {
    throw new ChangewatchError('E_USAGE', `--unit: "${options.unit}" is not a backscatter unit: use db or linear`);
  }
  return unit;
}

/** Builds the catalog, with a progress line on a terminal; one line per skipped file on stderr. */
async function build(
  dir: string,
  options: CatalogBuildFlags,
  command: Command,
  { io, configOf }: CliContext,
): Promise<void> {
  const { config } = configOf(command);
  const log = createLogger(config.log.level);
  const { scale, offset } = scaleAndOffset(options);
  const unit = unitOf(options);
  const result = await buildCatalog({
    dir,
    out: options.out,
    bands: options.bands.split(',').map((band) => band.trim()) as BandName[],
    ...(options.collection ? { collection: options.collection } : {}),
    ...(unit ? { unit } : {}),
    scale,
    offset,
    nodataIsCloud: options.nodataIsCloud,
    onFile: (event) => {
      if (process.stderr.isTTY) process.stderr.write(`\rcatalog: ${event.index}/${event.total} files`);
      log.debug(event, 'Catalog:File:Done');
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  for (const skip of result.skipped) io.err(`${skip.file}: skipped: ${skip.reason}`);
  log.info({ catalog: result.catalog, items: result.items, skipped: result.skipped.length }, 'Catalog:Build:Done');
  io.out(
    `${result.catalog}: ${result.items} item(s)${result.skipped.length ? `, ${result.skipped.length} file(s) skipped` : ''}`,
  );
}

/** `changewatch catalog build`: a static STAC catalog from a folder of plain GeoTIFFs. */
export function registerCatalog(program: Command, context: CliContext): void {
  program
    .command('catalog')
    .description('static STAC catalogs')
    .command('build')
    .description('build a static STAC catalog from a folder of plain GeoTIFFs')
    .argument('<dir>', 'folder of .tif files (searched recursively)')
    .requiredOption('--out <catalog.json>', 'where to write catalog.json (items go to items/ beside it)')
    .requiredOption(
      '--bands <names>',
      'eo:common_name of each band of the files, in order, e.g. red,nir; or radar polarisations, e.g. vv,vh',
    )
    .option('--unit <db|linear>', 'radar bands: backscatter in decibels or as a linear power ratio (γ⁰)')
    .option('--collection <id>', 'collection id (default: the folder name)')
    .option('--scale <number>', 'value = DN × scale + offset (0.0001 for reflectance × 10000)', '1')
    .option('--offset <number>', 'value = DN × scale + offset', '0')
    .option('--no-nodata-is-cloud', 'do not count NaN/nodata pixels as cloud in eo:cloud_cover')
    .action((dir: string, options: CatalogBuildFlags, command: Command) => build(dir, options, command, context));
}
