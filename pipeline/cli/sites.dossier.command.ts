import type { Command } from 'commander';
import { compose } from '../compose.js';
import { ChangewatchError } from '../errors.js';
import { createLogger } from '../log.js';
import { pullDossier } from '../publish/dossier.pull.js';
import { mib } from '../run/run.report.js';
import { publishedRasters } from '../scenes/store.raster.js';
import { seriesSources } from '../outputs/dossier.series.js';
import { PRODUCT_TYPES } from '../../workers/products/index.js';
import type { CliContext } from './cli.context.js';

/** `<aoi>-<product>-000123`: the product is a registry type, so the AOI id is what precedes it. */
export function aoiOfSite(id: string): string {
  const product = PRODUCT_TYPES.find((type) => new RegExp(`-${type}-\\d{6}$`).test(id));
  if (!product) throw new ChangewatchError('E_USAGE', `${id}: not a site id (<aoi>-<product>-000123)`);
  return id.slice(0, id.length - product.length - 8);
}

/** `sites dossier SITE --dest DIR`: the site's dossier as a local folder, copied from the store or built. */
async function dossier(id: string, flags: { dest: string }, command: Command, context: CliContext): Promise<void> {
  const aoiId = aoiOfSite(id);
  const { config } = context.configOf(command);
  const adapters = compose(config, createLogger(config.log.level));
  const opener = adapters.opener();
  try {
    const pulled = await pullDossier(adapters.store, {
      aoiId,
      siteId: id,
      dest: flags.dest,
      rasters: publishedRasters(opener, adapters.store.url),
      series: (aoi) => seriesSources({ finder: adapters.finder, config, aoi, opener }),
      aoi: async () => {
        const found = (await adapters.loadAois()).aois.find((aoi) => aoi.id === aoiId);
        if (found) return found;
        throw new ChangewatchError(
          'E_USAGE',
          `${id}: its dossier must be built, and AOI ${aoiId} is not in ${config.aoi.dir}: give --aoi-dir`,
        );
      },
    });
    const how = pulled.builtFrom ? `built from item ${pulled.builtFrom}` : 'copied from the store';
    context.io.out(`${pulled.files} files, ${mib(pulled.bytes)} (${how}): open ${pulled.folder}/index.html`);
  } finally {
    await adapters.close();
  }
}

/** Adds `dossier` to the `sites` command. */
export function registerSitesDossier(sites: Command, context: CliContext): void {
  sites
    .command('dossier')
    .description("a site's evidence dossier (chips, evidence, page, zip) as a local folder DEST/SITE")
    .argument('<site>', 'a site id, e.g. kibali-forest-loss-000012')
    .requiredOption('--dest <dir>', 'local folder; the dossier goes to DEST/SITE')
    .action((id: string, flags: { dest: string }, command: Command) => dossier(id, flags, command, context));
}
