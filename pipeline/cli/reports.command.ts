import type { Command } from 'commander';
import { compose } from '../compose.js';
import { createLogger } from '../log.js';
import { pullReport } from '../publish/report.pull.js';
import { mib } from '../run/run.report.js';
import type { CliContext } from './cli.context.js';

interface PullFlags {
  aoi: string;
  run: string;
  dest: string;
}

/** Copies one run's report page and what it links to from the store into `--dest`. */
async function pull(options: PullFlags, command: Command, { io, configOf }: CliContext): Promise<void> {
  const { config } = configOf(command);
  const { store } = compose(config, createLogger(config.log.level));
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
    .option('--run <id>', 'latest, or a run id from "changewatch status"', 'latest')
    .requiredOption('--dest <dir>', 'local folder (the store layout is kept, so the page works there)')
    .action((options: PullFlags, command: Command) => pull(options, command, context));
}
