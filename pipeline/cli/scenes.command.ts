import type { Command } from 'commander';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { parseInterval } from '../../aoi/interval.js';
import { compose, type Adapters } from '../compose.js';
import { ChangewatchError, redactUrl } from '../errors.js';
import { resolveAoi } from '../io/aoi.repository.js';
import { createLogger } from '../log.js';
import { table } from '../run/run.report.js';
import { readSceneForAoi } from '../scenes/scene.read.js';
import { findScenes, type SceneSearch } from '../scenes/scenes.find.js';
import type { Scene } from '../scenes/stac.profiles.js';
import type { CliContext } from './cli.context.js';
import { withStacHint } from './stac.hint.js';

interface ScenesOptions {
  aoi: string;
  from: string;
  to: string;
  json?: boolean;
  read?: boolean;
}

/** What reading one scene's red and NIR over the AOI found and cost. */
interface SceneReadCost {
  pixels: number;
  valid: number;
  requests: number;
  bytes: number;
}

/** The scenes of `--aoi` between `--from` and `--to`, found through the configured STAC finder. */
async function find(adapters: Adapters, aoi: Aoi, period: { start: string; end: string }): Promise<SceneSearch> {
  const { finder, log } = adapters;
  const started = Date.now();
  const search = await findScenes(finder, aoi, period, adapters.config);
  log.info(
    { aoi: aoi.id, stac: redactUrl(finder.url), scenes: search.scenes.length, ms: Date.now() - started },
    'Scenes:Find:Done',
  );
  return search;
}

/** Reads one scene's red and NIR over the AOI; undefined when the scene does not cover it. */
async function readOne(adapters: Adapters, scene: Scene, aoi: Aoi): Promise<SceneReadCost | undefined> {
  const read = await readSceneForAoi(scene, aoi, { bands: ['red', 'nir'], mask: false, open: adapters.opener().open });
  if (!read) return undefined;
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
  adapters.log.info({ aoi: aoi.id, scene: scene.id, window: red.window, ...cost }, 'Scene:Read:Done');
  return { pixels: red.data.length, valid, ...cost };
}

/** `--read`: reads every scene found, one at a time, with a progress line on a terminal. */
async function readAll(adapters: Adapters, search: SceneSearch, aoi: Aoi): Promise<Map<string, SceneReadCost>> {
  const reads = new Map<string, SceneReadCost>();
  for (const [index, scene] of search.scenes.entries()) {
    const read = await readOne(adapters, scene, aoi);
    if (!read) continue;
    reads.set(scene.id, read);
    if (process.stderr.isTTY) process.stderr.write(`\rread ${index + 1}/${search.scenes.length} scenes`);
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  adapters.log.info({ aoi: aoi.id, ...adapters.opener().stats() }, 'Scenes:Read:Done');
  return reads;
}

/** `--json`: the search as one document (scenes, observation dates, and every scene skipped with the reason). */
function printJson(search: SceneSearch, out: (line: string) => void): void {
  const observations = search.observations.map((o) => ({
    date: o.date,
    platform: o.platform,
    scenes: o.scenes.map((x) => x.id),
  }));
  const skipped = [...search.skipped, ...search.unusable];
  const { aoi, period, maxCloudCover, scenes } = search;
  out(JSON.stringify({ aoi, period, maxCloudCover, scenes, observations, skipped }, null, 2));
}

/** One scene's row; under `--read`, what reading it found and cost, or `outside` when it missed the AOI. */
function sceneRow(scene: Scene, reads: Map<string, SceneReadCost> | undefined): string[] {
  const read = reads?.get(scene.id);
  const readCells = read
    ? [((read.valid / read.pixels) * 100).toFixed(1), String(read.requests), String(read.bytes)]
    : ['outside', '', ''];
  return [
    scene.datetime.slice(0, 10),
    scene.datetime.slice(11, 19),
    scene.id,
    scene.cloudCover === undefined ? '?' : scene.cloudCover.toFixed(1),
    scene.collection,
    scene.tile ?? '',
    scene.profile,
    ...(reads ? readCells : []),
  ];
}

/** The table, one row per scene (with what reading it cost under `--read`), a summary line and the skipped. */
function printTable(
  search: SceneSearch,
  reads: Map<string, SceneReadCost> | undefined,
  options: ScenesOptions,
  out: (line: string) => void,
): void {
  const header = ['DATE', 'TIME UTC', 'ID', 'CLOUD %', 'COLLECTION', 'TILE', 'PROFILE'];
  if (reads) header.push('VALID %', 'REQUESTS', 'BYTES');
  const rows = [header, ...search.scenes.map((scene) => sceneRow(scene, reads))];
  for (const line of table(rows)) out(line);
  out(
    `${search.scenes.length} scene(s) on ${search.observations.length} observation date(s) for ${search.aoi}, ${options.from} to ${options.to}, cloud cover ≤ ${search.maxCloudCover}%`,
  );
  for (const skip of [...search.skipped, ...search.unusable])
    out(`skipped ${skip.id} (${skip.collection}): ${skip.reason}`);
}

/** A day the user typed for `flag`: YYYY-MM-DD and a real calendar date, else E_USAGE naming the flag and value. */
function checkDay(flag: '--from' | '--to', value: string): void {
  const example = flag === '--from' ? '2021-06-01' : '2021-06-30';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    throw new ChangewatchError('E_USAGE', `${flag} ${value}: not a date: write YYYY-MM-DD (UTC), e.g. ${example}`);
  }
  const day = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value) {
    throw new ChangewatchError('E_USAGE', `${flag} ${value}: not a calendar date: give a day that exists`);
  }
}

/** The period of `--from` and `--to` (inclusive days); each flag is checked on its own so a message names it. */
function periodOf(options: ScenesOptions): { start: string; end: string } {
  checkDay('--from', options.from);
  checkDay('--to', options.to);
  if (options.to < options.from) {
    throw new ChangewatchError(
      'E_USAGE',
      `--to ${options.to}: before --from ${options.from}: give a last day on or after the first`,
    );
  }
  const period = parseInterval(`${options.from}/${options.to}`);
  if (typeof period === 'string')
    throw new ChangewatchError('E_USAGE', `--from ${options.from} --to ${options.to}: ${period}`);
  return period;
}

/** Finds the scenes, reads them under `--read`, prints them; the opener `--read` made is closed however it ends. */
async function scenes(options: ScenesOptions, command: Command, { io, configOf }: CliContext): Promise<void> {
  const { config } = configOf(command);
  const log = createLogger(config.log.level);
  const period = periodOf(options);
  const aoi = await resolveAoi(options.aoi, config.aoi.dir, { maxAreaKm2: config.aoi.maxAreaKm2 });
  const adapters = withStacHint(compose(config, log), io.cwd);
  try {
    const search = await find(adapters, aoi, period);
    const reads = options.read ? await readAll(adapters, search, aoi) : undefined;
    if (options.json) printJson(search, io.out);
    else printTable(search, reads, options, io.out);
  } finally {
    await adapters.close();
  }
}

/** `changewatch scenes`: the scenes an AOI would use for a period, optionally read to show what that costs. */
export function registerScenes(program: Command, context: CliContext): void {
  program
    .command('scenes')
    .description('print the scenes an AOI would use for a period (id, date, cloud cover, collection, tile)')
    .requiredOption('--aoi <id|path>', 'AOI id from the AOI folder, or a path to an AOI file')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD (UTC)')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (UTC, inclusive)')
    .option('--json', 'print JSON instead of a table')
    .option('--read', "also read each scene's red and NIR pixels over the AOI and report what that cost")
    .action((options: ScenesOptions, command: Command) => scenes(options, command, context));
}
