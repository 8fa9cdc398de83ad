import { Command, CommanderError, Option } from 'commander';
import { formatProblem, type Aoi } from '../../aoi/aoi.schema.js';
import { redactConfig } from '../../config/config.load.js';
import { parseInterval } from '../../aoi/interval.js';
import { loadAoiDir, loadAoiFiles, resolveAoi } from '../io/aoi.repository.js';
import { PlanetaryComputerSigner } from '../io/pc.signer.js';
import { createS3Client } from '../io/s3.client.js';
import { openItemFinder } from '../io/stac.client.js';
import { createRasterOpener } from '../scenes/raster.opener.js';
import { readSceneForAoi } from '../scenes/scene.read.js';
import { buildCatalog } from '../tools/catalog.build.js';
import { registerRunCommands } from './cli.run.js';
import { findScenes } from '../scenes/scenes.find.js';
import type { BandName } from '../../workers/bands.js';
import { loadConfig } from '../config.read.js';
import { ChangewatchError, EXIT, redactUrl } from '../errors.js';
import { table } from './text.table.js';
import { createLogger } from '../log.js';
import { VERSION } from '../version.js';

/** Output streams, swappable so tests can run the CLI in-process. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
};

interface GlobalOptions {
  config?: string;
  stac?: string;
  store?: string;
  aoiDir?: string;
  logLevel?: string;
}

/** Hectares, the unit of every figure changewatch reports. */
function formatArea(hectares: number): string {
  return `${hectares.toLocaleString('en-US', { maximumFractionDigits: hectares >= 100 ? 0 : 1 })} ha`;
}

function describeAoi(aoi: Aoi): Record<string, unknown> {
  return {
    id: aoi.id,
    name: aoi.name,
    kind: aoi.kind,
    analyses: aoi.analyses,
    areaHa: Math.round(aoi.areaHa * 100) / 100,
    bbox: aoi.bbox.map((value) => Math.round(value * 1e6) / 1e6),
    zones: aoi.zones.map((zone) => ({ id: zone.id, name: zone.name, areaHa: Math.round(zone.areaHa * 100) / 100 })),
    windows: Object.fromEntries(Object.entries(aoi.windows).map(([name, window]) => [name, window.text])),
    ...(aoi.maxCloudCover !== undefined ? { maxCloudCover: aoi.maxCloudCover } : {}),
    ...(aoi.source !== undefined ? { source: aoi.source } : {}),
    file: aoi.file,
  };
}

/** Builds the command tree. Each action returns the exit code. */
export function buildCli(io: CliIo = defaultIo): { program: Command; exitCode: () => number } {
  let exitCode: number = EXIT.ok;
  const program = new Command('changewatch')
    .description('Watches areas of interest for mining and forest change in Sentinel-2 and Landsat imagery')
    .version(VERSION)
    .option('--config <path>', 'config file (default: ./changewatch.config.json when present)')
    .option('--stac <url>', 'STAC API root, or a static catalog.json path or URL')
    .option('--store <url>', 'where outputs go: file://PATH or s3://BUCKET/PREFIX')
    .option('--aoi-dir <dir>', 'folder of AOI GeoJSON files')
    .addOption(
      new Option('--log-level <level>', 'log level').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    )
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) });

  const globals = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();
  const configOf = (command: Command) => loadConfig(globals(command), io.env, io.cwd);

  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('print the resolved configuration (secrets redacted), or every problem with its path')
    .action((_options, command: Command) => {
      const loaded = configOf(command);
      io.out(JSON.stringify({ file: loaded.file ?? null, config: redactConfig(loaded.config) }, null, 2));
    });

  const aoi = program.command('aoi').description('areas of interest');
  aoi
    .command('validate')
    .description('check AOI GeoJSON files; one line per problem, exit code 2 when any')
    .argument('<files...>', 'AOI GeoJSON files')
    .action(async (files: string[], _options, command: Command) => {
      const { config: resolved } = configOf(command);
      const log = createLogger(resolved.log.level);
      const result = await loadAoiFiles(files, { maxAreaKm2: resolved.aoi.maxAreaKm2 });
      for (const problem of result.problems) io.err(formatProblem(problem));
      const failed = new Set(result.problems.map((problem) => problem.file));
      for (const valid of result.aois) {
        if (failed.has(valid.file)) continue;
        io.out(
          `${valid.file}: ok: ${valid.id} (${valid.kind}, ${formatArea(valid.areaHa)}, ${valid.zones.length} zone${valid.zones.length === 1 ? '' : 's'})`,
        );
      }
      log.info(
        { files: files.length, valid: result.aois.length, problems: result.problems.length },
        'Aoi:Validate:Done',
      );
      if (result.problems.length > 0) exitCode = EXIT.usage;
    });
  aoi
    .command('list')
    .description('list the configured AOIs (aoi.dir)')
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config: resolved } = configOf(command);
      const result = await loadAoiDir(resolved.aoi.dir, { maxAreaKm2: resolved.aoi.maxAreaKm2 });
      for (const problem of result.problems) io.err(formatProblem(problem));
      if (options.json) {
        io.out(JSON.stringify(result.aois.map(describeAoi), null, 2));
      } else {
        const rows = [['ID', 'KIND', 'AREA', 'ZONES', 'ANALYSES', 'WINDOWS', 'NAME']];
        for (const item of result.aois) {
          const windows = Object.entries(item.windows).map(([name, window]) => `${name} ${window.text}`);
          rows.push([
            item.id,
            item.kind,
            formatArea(item.areaHa),
            String(item.zones.length),
            item.analyses.join(','),
            windows.join('; ') || 'rolling',
            item.name,
          ]);
        }
        for (const line of table(rows)) io.out(line);
        io.out(`${result.aois.length} AOI(s) in ${resolved.aoi.dir}`);
      }
      if (result.problems.length > 0) exitCode = EXIT.usage;
    });

  program
    .command('scenes')
    .description('print the scenes an AOI would use for a period (id, date, cloud cover, collection, tile)')
    .requiredOption('--aoi <id|path>', 'AOI id from the AOI folder, or a path to an AOI file')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD (UTC)')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (UTC, inclusive)')
    .option('--json', 'print JSON instead of a table')
    .option('--read', "also read each scene's red and NIR pixels over the AOI and report what that cost")
    .action(
      async (options: { aoi: string; from: string; to: string; json?: boolean; read?: boolean }, command: Command) => {
        const { config: resolved } = configOf(command);
        const log = createLogger(resolved.log.level);
        const period = parseInterval(`${options.from}/${options.to}`);
        if (typeof period === 'string') throw new ChangewatchError('E_USAGE', `--from/--to: ${period}`);
        const aoiItem = await resolveAoi(options.aoi, resolved.aoi.dir, { maxAreaKm2: resolved.aoi.maxAreaKm2 });
        const finder = openItemFinder(resolved.stac.url, {
          headers: resolved.stac.headers,
          policy: { timeoutMs: resolved.stac.timeoutMs },
          onRetry: (event) => log.warn(event, 'Stac:Request:Retry'),
          onPage: (event) => log.debug(event, 'Stac:Page:Done'),
        });
        const started = Date.now();
        const search = await findScenes(finder, aoiItem, period, resolved);
        log.info(
          { aoi: aoiItem.id, stac: redactUrl(finder.url), scenes: search.scenes.length, ms: Date.now() - started },
          'Scenes:Find:Done',
        );
        const reads = new Map<string, { pixels: number; valid: number; requests: number; bytes: number }>();
        if (options.read) {
          const opener = createRasterOpener({
            signer: new PlanetaryComputerSigner(),
            s3: () => createS3Client(resolved.store.s3),
            onRetry: (event) => log.warn(event, 'Raster:Request:Retry'),
          });
          try {
            for (const [index, scene] of search.scenes.entries()) {
              const read = await readSceneForAoi(scene, aoiItem, {
                bands: ['red', 'nir'],
                mask: false,
                open: opener.open,
              });
              if (!read) continue;
              const red = read.bands.red!;
              let valid = 0;
              for (let i = 0; i < red.data.length; i++) {
                const value = red.data[i]!;
                if (!Number.isNaN(value) && value !== red.nodata) valid++;
              }
              const cost = {
                requests: red.cost.requests + read.bands.nir!.cost.requests,
                bytes: red.cost.bytes + read.bands.nir!.cost.bytes,
              };
              reads.set(scene.id, { pixels: red.data.length, valid, ...cost });
              log.info({ aoi: aoiItem.id, scene: scene.id, window: red.window, ...cost }, 'Scene:Read:Done');
              if (process.stderr.isTTY) process.stderr.write(`\rread ${index + 1}/${search.scenes.length} scenes`);
            }
            if (process.stderr.isTTY) process.stderr.write('\n');
            log.info({ aoi: aoiItem.id, ...opener.stats() }, 'Scenes:Read:Done');
          } finally {
            await opener.close();
          }
        }
        if (options.json) {
          io.out(
            JSON.stringify(
              {
                aoi: search.aoi,
                period: search.period,
                maxCloudCover: search.maxCloudCover,
                scenes: search.scenes,
                observations: search.observations.map((o) => ({
                  date: o.date,
                  platform: o.platform,
                  scenes: o.scenes.map((x) => x.id),
                })),
                skipped: [...search.skipped, ...search.unusable],
              },
              null,
              2,
            ),
          );
          return;
        }
        const rows = [
          [
            'DATE',
            'TIME UTC',
            'ID',
            'CLOUD %',
            'COLLECTION',
            'TILE',
            'PROFILE',
            ...(options.read ? ['VALID %', 'REQUESTS', 'BYTES'] : []),
          ],
        ];
        for (const scene of search.scenes) {
          const read = reads.get(scene.id);
          rows.push([
            scene.datetime.slice(0, 10),
            scene.datetime.slice(11, 19),
            scene.id,
            scene.cloudCover === undefined ? '?' : scene.cloudCover.toFixed(1),
            scene.collection,
            scene.tile ?? '',
            scene.profile,
            ...(options.read
              ? read
                ? [((read.valid / read.pixels) * 100).toFixed(1), String(read.requests), String(read.bytes)]
                : ['outside', '', '']
              : []),
          ]);
        }
        for (const line of table(rows)) io.out(line);
        io.out(
          `${search.scenes.length} scene(s) on ${search.observations.length} observation date(s) for ${search.aoi}, ${options.from} to ${options.to}, cloud cover ≤ ${search.maxCloudCover}%`,
        );
        for (const skip of [...search.skipped, ...search.unusable])
          io.out(`skipped ${skip.id} (${skip.collection}): ${skip.reason}`);
      },
    );

  const catalog = program.command('catalog').description('static STAC catalogs');
  catalog
    .command('build')
    .description('build a static STAC catalog from a folder of plain GeoTIFFs')
    .argument('<dir>', 'folder of .tif files (searched recursively)')
    .requiredOption('--out <catalog.json>', 'where to write catalog.json (items go to items/ beside it)')
    .requiredOption('--bands <names>', 'eo:common_name of each band of the files, in order, e.g. red,nir')
    .option('--collection <id>', 'collection id (default: the folder name)')
    .option('--scale <number>', 'value = DN × scale + offset (0.0001 for reflectance × 10000)', '1')
    .option('--offset <number>', 'value = DN × scale + offset', '0')
    .option('--no-nodata-is-cloud', 'do not count NaN/nodata pixels as cloud in eo:cloud_cover')
    .action(
      async (
        dir: string,
        options: {
          out: string;
          bands: string;
          collection?: string;
          scale: string;
          offset: string;
          nodataIsCloud: boolean;
        },
        command: Command,
      ) => {
        const { config: resolved } = configOf(command);
        const log = createLogger(resolved.log.level);
        const [scale, offset] = [Number(options.scale), Number(options.offset)];
        if (!Number.isFinite(scale) || scale === 0 || !Number.isFinite(offset)) {
          throw new ChangewatchError(
            'E_USAGE',
            `--scale/--offset: "${options.scale}"/"${options.offset}" are not numbers (scale must not be 0)`,
          );
        }
        const result = await buildCatalog({
          dir,
          out: options.out,
          bands: options.bands.split(',').map((band) => band.trim()) as BandName[],
          ...(options.collection ? { collection: options.collection } : {}),
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
        log.info(
          { catalog: result.catalog, items: result.items, skipped: result.skipped.length },
          'Catalog:Build:Done',
        );
        io.out(
          `${result.catalog}: ${result.items} item(s)${result.skipped.length ? `, ${result.skipped.length} file(s) skipped` : ''}`,
        );
      },
    );

  registerRunCommands(program, io, configOf, (code) => {
    exitCode = code;
  });

  return { program, exitCode: () => exitCode };
}

/** Runs the CLI; resolves to the process exit code. Known errors print one clear message, never a stack trace. */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const { program, exitCode } = buildCli(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode();
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ChangewatchError) {
      io.err(error.message);
      return error.outcome === 'usage' ? EXIT.usage : EXIT.failed;
    }
    io.err(`changewatch: unexpected error: ${(error as Error).stack ?? String(error)}`);
    return EXIT.failed;
  }
}
