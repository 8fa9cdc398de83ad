import type { Command } from 'commander';
import { compose } from '../compose.js';
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

/** `changewatch reports pull`: a run's report page for authors, as a local folder. */
export function registerReports(program: Command, context: CliContext): void {
  program
    .command('reports')
    .description('report pages for authors')
    .command('pull')
    .description("copy a run's report page, item, maps and numbers from the store to a local folder")
    .requiredOption('--aoi <id>', 'the AOI')
    .option('--run <id>', 'latest, or the id of a run that published a report (an error lists them)', 'latest')
    .requiredOption('--dest <dir>', 'local folder (the store layout is kept, so the page works there)')
    .action((options: PullFlags, command: Command) => pull(options, command, context));
}
