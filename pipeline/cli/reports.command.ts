import type { Command } from 'commander';
import { resolve } from 'node:path';
import { compose } from '../compose.js';
import { serveFolder } from '../io/folder.server.js';
import { ChangewatchError } from '../errors.js';
import { createLogger } from '../log.js';
import { loadState, type AoiState } from '../publish/aoi.state.js';
import { pullReport } from '../publish/report.pull.js';
import { mib } from '../run/run.report.js';
import type { CliContext } from './cli.context.js';

interface PullFlags {
  aoi: string;
  run: string;
  dest: string;
}

/** How many runs with a report a message lists, newest first. */
const LISTED = 5;

/** The runs of the AOI that have a report page, newest first, as `RUN_ID (ITEM)`; `and N more` past {@link LISTED}. */
function runsWithReports(state: AoiState): string {
  const reports = [...(state.reports ?? [])].reverse();
  const listed = reports.slice(0, LISTED).map((report) => `${report.runId} (${report.itemId})`);
  const more = reports.length > LISTED ? `, and ${reports.length - LISTED} more` : '';
  return `${listed.join(', ')}${more}`;
}

/**
 * Why there is no report to pull for `--aoi`/`--run`, and what to do instead, from the AOI's state: the runs that do
 * have a report, what the named run did, or that nothing has published one yet. Undefined when there is a report.
 */
function missingReport(state: AoiState, flags: { aoi: string; run: string }, store: string): string | undefined {
  const reports = state.reports ?? [];
  const wanted = flags.run === 'latest' ? reports.at(-1) : reports.find((report) => report.runId === flags.run);
  if (wanted) return undefined;
  const last = state.history.at(-1);
  if (reports.length === 0 && !last) {
    return `--aoi ${flags.aoi}: no run of this AOI in ${store}: check the AOI id ("changewatch aoi list") and --store`;
  }
  if (reports.length === 0) {
    return `--aoi ${flags.aoi}: no run has published a report yet (the last, ${last!.runId}, ended ${last!.outcome}${last!.reason ? `: ${last!.reason}` : ''}): run "changewatch run --aoi ${flags.aoi}" to publish one`;
  }
  const run = state.history.find((record) => record.runId === flags.run);
  const what = run
    ? `run ${run.runId} published no report for ${flags.aoi} (it ended ${run.outcome}${run.reason ? `: ${run.reason}` : ''})`
    : `no run with that id for ${flags.aoi}`;
  return `--run ${flags.run}: ${what}: pull --run latest or one of the runs with a report, newest first: ${runsWithReports(state)}`;
}

/** Copies one run's report page and what it links to from the store into `--dest`. */
async function pull(options: PullFlags, command: Command, { io, configOf }: CliContext): Promise<void> {
  const { config } = configOf(command);
  const { store } = compose(config, createLogger(config.log.level));
  const problem = missingReport((await loadState(store, options.aoi)).state, options, store.url);
  if (problem) throw new ChangewatchError('E_USAGE', problem);
  const pulled = await pullReport(store, { aoiId: options.aoi, run: options.run, dest: options.dest });
  io.out(`${pulled.files} files, ${mib(pulled.bytes)}: open ${pulled.page}`);
}

interface ServeFlags {
  dest?: string;
  port: string;
  host: string;
}

/**
 * `reports serve`: a folder (a pulled copy, or the folder store itself) over HTTP with range support, so the pages'
 * maps read the COGs as from an S3 website endpoint; until SIGINT or SIGTERM.
 */
async function serve(options: ServeFlags, command: Command, { io, configOf }: CliContext): Promise<void> {
  const port = Number(options.port);
  if (!/^\d+$/.test(options.port) || port > 65_535)
    throw new ChangewatchError('E_USAGE', `--port ${options.port}: not a port number (0 picks a free one)`);
  let folder = options.dest;
  if (!folder) {
    const { config } = configOf(command);
    if (!config.store.url.startsWith('file://'))
      throw new ChangewatchError(
        'E_USAGE',
        `${config.store.url}: not a folder: "reports pull --dest DIR" first, then "reports serve --dest DIR"`,
      );
    // As the folder store reads its URL (io/object.store.file.ts).
    folder = resolve(decodeURIComponent(config.store.url.slice('file://'.length)));
  }
  const server = await serveFolder(folder, { port, host: options.host }).catch((error: Error) => {
    throw new ChangewatchError('E_USAGE', `reports serve: cannot listen on ${options.host}:${port} (${error.message})`);
  });
  io.out(`serving ${folder} at ${server.url}/ (index.html) until Ctrl-C`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.close();
}

/** `changewatch reports pull|serve`: a run's report page for authors, as a local folder, and served. */
export function registerReports(program: Command, context: CliContext): void {
  const reports = program.command('reports').description('report pages for authors');
  reports
    .command('serve')
    .description("serve a pulled copy (or the folder store) over HTTP with range requests, for the pages' maps")
    .option('--dest <dir>', 'the folder to serve (default: the folder store)')
    .option('--port <n>', 'port on the host (0: a free one)', '8080')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .action((options: ServeFlags, command: Command) => serve(options, command, context));
  reports
    .command('pull')
    .description("copy a run's report page, item, maps and numbers from the store to a local folder")
    .requiredOption('--aoi <id>', 'the AOI')
    .option('--run <id>', 'latest, or the id of a run that published a report (an error lists them)', 'latest')
    .requiredOption('--dest <dir>', 'local folder (the store layout is kept, so the page works there)')
    .action((options: PullFlags, command: Command) => pull(options, command, context));
}
