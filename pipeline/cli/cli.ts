import { Command, CommanderError, Option } from 'commander';
import { loadConfig } from '../config.read.js';
import { ChangewatchError, EXIT } from '../errors.js';
import { setProcessWarningLevel } from '../log.js';
import { VERSION } from '../version.js';
import { registerAlerts } from './alerts.command.js';
import { registerAssess } from './assess.command.js';
import { registerAoi } from './aoi.command.js';
import { registerCatalog } from './catalog.command.js';
import type { CliContext, CliIo } from './cli.context.js';
import { registerConfig } from './config.command.js';
import { registerFigure } from './figure.command.js';
import { registerPlan } from './plan.command.js';
import { registerReports } from './reports.command.js';
import { registerRun } from './run.command.js';
import { registerHealth, registerSchedule } from './schedule.command.js';
import { registerScenes } from './scenes.command.js';
import { registerSites } from './sites.command.js';
import { registerStatus } from './status.command.js';

export type { CliIo } from './cli.context.js';

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

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The program: its global options (config file and the flags that override config fields) and output. */
function createProgram(io: CliIo): Command {
  return new Command('changewatch')
    .description('Watches areas of interest for mining and forest change in Sentinel-2 and Landsat imagery')
    .version(VERSION)
    .option('--config <path>', 'config file (default: ./changewatch.config.json when present)')
    .option('--stac <url>', 'STAC API root, or a static catalog.json path or URL')
    .option('--store <url>', 'where outputs go: file://PATH or s3://BUCKET/PREFIX')
    .option('--aoi-dir <dir>', 'folder of AOI GeoJSON files')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) });
}

/**
 * Builds the command tree, one file per command group, in the order `--help` lists them. Each action sets the exit
 * code through its context.
 */
export function buildCli(io: CliIo = defaultIo): { program: Command; exitCode: () => number } {
  let exitCode: number = EXIT.ok;
  const program = createProgram(io);
  const context: CliContext = {
    io,
    configOf: (command) => {
      const loaded = loadConfig(command.optsWithGlobals<GlobalOptions>(), io.env, io.cwd);
      setProcessWarningLevel(loaded.config.log.level);
      return loaded;
    },
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  for (const register of [
    registerConfig,
    registerAoi,
    registerScenes,
    registerCatalog,
    registerPlan,
    registerRun,
    registerStatus,
    registerSchedule,
    registerSites,
    registerAlerts,
    registerAssess,
    registerReports,
    registerFigure,
    registerHealth,
  ]) {
    register(program, context);
  }
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
