import type { Command } from 'commander';
import { compose } from '../compose.js';
import { EXIT } from '../errors.js';
import { createLogger } from '../log.js';
import { runAll, type RunProgress } from '../run/run.js';
import { shardOf, taskIdentity } from '../run/shard.js';
import { mib, printRunReport } from '../run/run.report.js';
import { repeatable, type CliContext } from './cli.context.js';
import { withStacHint } from './stac.hint.js';

interface RunFlags {
  aoi?: string[];
  force?: boolean;
  dryRun?: boolean;
  shard?: string;
}

/** Stops a command's work on SIGINT/SIGTERM: the signal aborts, the run winds down between blocks. */
function abortOnSignals(log: { warn: (obj: object, msg: string) => void }): {
  signal: AbortSignal;
  dispose: () => void;
} {
  const controller = new AbortController();
  const stop = (name: NodeJS.Signals) => {
    log.warn({ signal: name }, 'Run:Signal:Stopping');
    controller.abort(new Error(`stopped by ${name}`));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/** On a terminal: one progress bar per AOI on stderr (blocks computed, scenes, bytes read); nothing otherwise. */
function progressPrinter(): ((event: RunProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (event) => {
    let line = `${event.aoi}: ${event.stage}`;
    if (event.total) {
      const width = 24;
      const filled = Math.round((width * (event.done ?? 0)) / event.total);
      line = `${event.aoi} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${event.done}/${event.total} blocks · ${event.scenes ?? 0} scenes · ${mib(event.bytesRead ?? 0)} read`;
    }
    process.stderr.write(`\r\x1b[2K${line}`);
    if (event.total && event.done === event.total) process.stderr.write('\n');
  };
}

/** One run (or dry run) over the configured AOIs; exit 1 when any AOI or stripe failed. */
async function run(options: RunFlags, command: Command, { io, configOf, setExitCode }: CliContext): Promise<void> {
  const { config } = configOf(command);
  // From --shard or the engine's variables (README "Scaling out"); a bad value stops before anything runs.
  const shard = shardOf(options.shard, io.env, config.run.shardCount);
  const task = taskIdentity(io.env);
  const log = createLogger(config.log.level);
  const stop = abortOnSignals(log);
  try {
    const progress = progressPrinter();
    const report = await runAll(withStacHint(compose(config, log), io.cwd), {
      ...(options.aoi ? { aoiIds: options.aoi } : {}),
      force: options.force ?? false,
      dryRun: options.dryRun ?? false,
      ...(shard ? { shard } : {}),
      ...(task ? { task } : {}),
      signal: stop.signal,
      ...(progress ? { onProgress: progress } : {}),
    });
    if (progress) process.stderr.write('\r\x1b[2K');
    printRunReport(report, io);
    if (report.stopped) io.err(`changewatch: the run stopped: ${report.stopped}`);
    // A stripe that failed fails the task too, so the engine retries it (README "Scaling out").
    const failed = [...report.aois, ...(report.stripes ?? [])].some((entry) => entry.outcome === 'failed');
    setExitCode(report.stopped ? EXIT.usage : failed ? EXIT.failed : EXIT.ok);
  } finally {
    stop.dispose();
  }
}

/** `changewatch run`: plan what is new, compute, publish. */
export function registerRun(program: Command, context: CliContext): void {
  program
    .command('run')
    .description('one run over the configured AOIs: plan what is new, compute, publish (exit 1 if any AOI failed)')
    .option(
      '--aoi <id|path>',
      'only this AOI: an id from the AOI folder or a path to an AOI file (repeatable)',
      repeatable,
    )
    .option('--force', 'recompute even when nothing is new')
    .option('--dry-run', 'print the plan (scenes, estimated bytes, outputs) and write nothing')
    .option(
      '--shard <I/N>',
      "only task I's share (0-based) of the night's units over N array tasks; default: from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX",
    )
    .action((options: RunFlags, command: Command) => run(options, command, context));
}
