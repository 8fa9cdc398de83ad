import type { Command } from 'commander';
import { compose } from '../compose.js';
import { ChangewatchError } from '../errors.js';
import { createLogger } from '../log.js';
import type { SitesCollection } from '../outputs/sites.js';
import { readJson } from '../publish/publish.js';
import { sitesKey } from '../publish/sites.publish.js';
import { table } from '../run/run.report.js';
import { PRODUCT_TYPES } from '../../workers/products/index.js';
import { SITE_STATES } from '../../workers/sites.js';
import type { CliContext } from './cli.context.js';
import { registerSitesDossier } from './sites.dossier.command.js';

interface ListFlags {
  aoi: string;
  state?: string;
  zone?: string;
  json?: boolean;
}

type SiteFeature = SitesCollection['features'][number];

async function sitesOf(command: Command, { configOf }: CliContext, aoiId: string): Promise<SitesCollection> {
  const { config } = configOf(command);
  const { store } = compose(config, createLogger(config.log.level));
  const sites = await readJson<SitesCollection>(store, sitesKey(aoiId));
  if (!sites) {
    throw new ChangewatchError(
      'E_USAGE',
      `--aoi ${aoiId}: no sites published in ${store.url} (${sitesKey(aoiId)}): run "changewatch run --aoi ${aoiId}" first`,
    );
  }
  return sites;
}

const ha = (value: number) => value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function rows(features: readonly SiteFeature[]): string[][] {
  return [
    ['SITE', 'STATE', 'HECTARES', 'FIRST SEEN', 'LAST CHANGE', 'PERIODS', 'ZONES'],
    ...features.map(({ properties: site }) => [
      site.site,
      site.merged_into ? `merged into ${site.merged_into}` : site.state,
      ha(site.hectares),
      site.first_seen ?? '-',
      site.last_change,
      String(site.history.length),
      Object.entries(site.zones)
        .map(([zone, hectares]) => `${zone} ${ha(hectares)}`)
        .join(', ') || '-',
    ]),
  ];
}

/** `sites list`: the AOI's sites, filtered by state and zone, largest first. */
async function list(flags: ListFlags, command: Command, context: CliContext): Promise<void> {
  const sites = await sitesOf(command, context, flags.aoi);
  const chosen = sites.features
    .filter((feature) => !flags.state || feature.properties.state === flags.state)
    .filter((feature) => !flags.zone || feature.properties.zones[flags.zone] !== undefined)
    .sort((a, b) => b.properties.hectares - a.properties.hectares);
  if (flags.json) {
    context.io.out(
      JSON.stringify(
        chosen.map((feature) => feature.properties),
        null,
        2,
      ),
    );
    return;
  }
  for (const line of table(rows(chosen))) context.io.out(line);
  const counts = Object.entries(sites.changewatch.counts.byState).map(([state, n]) => `${n} ${state}`);
  context.io.out(`${chosen.length} of ${sites.features.length} site(s) of ${flags.aoi} (${counts.join(', ')})`);
}

/** `sites show SITE`: one site whole, its history period by period. */
async function show(id: string, command: Command, context: CliContext): Promise<void> {
  // `<aoi>-<product>-000123`: the product is a registry type, so the AOI id is what precedes it.
  const product = PRODUCT_TYPES.find((type) => new RegExp(`-${type}-\\d{6}$`).test(id));
  if (!product) throw new ChangewatchError('E_USAGE', `${id}: not a site id (<aoi>-<product>-000123)`);
  const aoiId = id.slice(0, id.length - product.length - 8);
  const sites = await sitesOf(command, context, aoiId);
  const feature = sites.features.find((candidate) => candidate.id === id);
  if (!feature) {
    throw new ChangewatchError('E_USAGE', `${id}: no such site of ${aoiId}: "changewatch sites list --aoi ${aoiId}"`);
  }
  context.io.out(JSON.stringify(feature, null, 2));
}

/** `changewatch sites list|show|dossier`: the findings followed across runs. */
export function registerSites(program: Command, context: CliContext): void {
  const sites = program.command('sites').description('change sites followed across runs, with their history');
  sites
    .command('list')
    .description("the AOI's sites, largest first: state, hectares, dates, zones")
    .requiredOption('--aoi <id>', 'the AOI')
    .option('--state <state>', `only sites in this state (${SITE_STATES.join(', ')})`)
    .option('--zone <id>', 'only sites reaching this zone')
    .option('--json', 'print JSON instead of a table')
    .action((flags: ListFlags, command: Command) => list(flags, command, context));
  sites
    .command('show')
    .description('one site: its outline, state, dates, zones and history as GeoJSON')
    .argument('<site>', 'a site id, e.g. kibali-forest-loss-000012')
    .action((id: string, _flags: unknown, command: Command) => show(id, command, context));
  registerSitesDossier(sites, context);
}
