import type { Command } from 'commander';
import { aoiLocation } from '../../aoi/aoi.centroid.js';
import { formatProblem, type Aoi } from '../../aoi/aoi.schema.js';
import { loadAoiDir, loadAoiFiles } from '../io/aoi.repository.js';
import { EXIT } from '../errors.js';
import { createLogger } from '../log.js';
import { table } from '../run/run.report.js';
import type { CliContext } from './cli.context.js';

/** Hectares, the unit of every figure changewatch reports. */
function formatArea(hectares: number): string {
  return `${hectares.toLocaleString('en-US', { maximumFractionDigits: hectares >= 100 ? 0 : 1 })} ha`;
}

/** Where the AOI is: its centroid (lon, lat, 4 decimals) and the UTM zone of its grid, so a swapped polygon shows. */
function locationOf(aoi: Aoi): { centroid: [number, number]; utmZone: string; text: string } {
  const { centroid, utmZone } = aoiLocation(aoi.geometry, aoi.bbox);
  const [lon, lat] = centroid.map((value) => Math.round(value * 1e4) / 1e4) as [number, number];
  return { centroid: [lon, lat], utmZone, text: `${lon.toFixed(4)}, ${lat.toFixed(4)}` };
}

function describeAoi(aoi: Aoi): Record<string, unknown> {
  const { centroid, utmZone } = locationOf(aoi);
  return {
    id: aoi.id,
    name: aoi.name,
    kind: aoi.kind,
    analyses: aoi.analyses,
    areaHa: Math.round(aoi.areaHa * 100) / 100,
    centroid,
    utmZone,
    bbox: aoi.bbox.map((value) => Math.round(value * 1e6) / 1e6),
    zones: aoi.zones.map((zone) => ({
      id: zone.id,
      name: zone.name,
      areaHa: Math.round(zone.areaHa * 100) / 100,
      ...(zone.validFrom !== undefined ? { validFrom: zone.validFrom } : {}),
      ...(zone.validTo !== undefined ? { validTo: zone.validTo } : {}),
    })),
    windows: Object.fromEntries(Object.entries(aoi.windows).map(([name, window]) => [name, window.text])),
    ...(aoi.maxCloudCover !== undefined ? { maxCloudCover: aoi.maxCloudCover } : {}),
    ...(aoi.source !== undefined ? { source: aoi.source } : {}),
    file: aoi.file,
  };
}

function aoiRow(aoi: Aoi): string[] {
  const windows = Object.entries(aoi.windows).map(([name, window]) => `${name} ${window.text}`);
  const location = locationOf(aoi);
  return [
    aoi.id,
    aoi.kind,
    formatArea(aoi.areaHa),
    location.text,
    location.utmZone,
    String(new Set(aoi.zones.map((zone) => zone.id)).size),
    aoi.analyses.join(','),
    windows.join('; ') || 'rolling',
    aoi.name,
  ];
}

/** `10 zones`, or `10 zones (11 versions)` when some zone has versions over time. */
function zonesText(aoi: Aoi): string {
  const ids = new Set(aoi.zones.map((zone) => zone.id)).size;
  const versions = aoi.zones.length > ids ? ` (${aoi.zones.length} versions)` : '';
  return `${ids} zone${ids === 1 ? '' : 's'}${versions}`;
}

/** `aoi validate <files...>`: one line per problem on stderr, one `ok` line per valid file; exit 2 when any problem. */
async function validate(files: string[], command: Command, { io, configOf, setExitCode }: CliContext): Promise<void> {
  const { config } = configOf(command);
  const log = createLogger(config.log.level);
  const result = await loadAoiFiles(files, { maxAreaKm2: config.aoi.maxAreaKm2 });
  for (const problem of result.problems) io.err(formatProblem(problem));
  const failed = new Set(result.problems.map((problem) => problem.file));
  for (const valid of result.aois) {
    if (failed.has(valid.file)) continue;
    const { text, utmZone } = locationOf(valid);
    io.out(
      `${valid.file}: ok: ${valid.id} (${valid.kind}, ${formatArea(valid.areaHa)}, ${zonesText(valid)}, centroid ${text}, UTM ${utmZone})`,
    );
  }
  log.info({ files: files.length, valid: result.aois.length, problems: result.problems.length }, 'Aoi:Validate:Done');
  if (result.problems.length > 0) setExitCode(EXIT.usage);
}

/** `aoi list`: the AOIs of `aoi.dir` as a table or JSON; problems on stderr, exit 2 when any. */
async function list(
  options: { json?: boolean },
  command: Command,
  { io, configOf, setExitCode }: CliContext,
): Promise<void> {
  const { config } = configOf(command);
  const result = await loadAoiDir(config.aoi.dir, { maxAreaKm2: config.aoi.maxAreaKm2 });
  for (const problem of result.problems) io.err(formatProblem(problem));
  if (options.json) {
    io.out(JSON.stringify(result.aois.map(describeAoi), null, 2));
  } else {
    const header = ['ID', 'KIND', 'AREA', 'CENTROID (LON, LAT)', 'UTM', 'ZONES', 'ANALYSES', 'WINDOWS', 'NAME'];
    const rows = [header, ...result.aois.map(aoiRow)];
    for (const line of table(rows)) io.out(line);
    io.out(`${result.aois.length} AOI(s) in ${config.aoi.dir}`);
  }
  if (result.problems.length > 0) setExitCode(EXIT.usage);
}

/** `changewatch aoi validate|list`. */
export function registerAoi(program: Command, context: CliContext): void {
  const aoi = program.command('aoi').description('areas of interest');
  aoi
    .command('validate')
    .description('check AOI GeoJSON files; one line per problem, exit code 2 when any')
    .argument('<files...>', 'AOI GeoJSON files')
    .action((files: string[], _options, command: Command) => validate(files, command, context));
  aoi
    .command('list')
    .description('list the configured AOIs (aoi.dir)')
    .option('--json', 'print JSON instead of a table')
    .action((options: { json?: boolean }, command: Command) => list(options, command, context));
}
