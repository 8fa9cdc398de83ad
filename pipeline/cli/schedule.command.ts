import type { Command } from 'commander';
import { compose } from '../compose.js';
import { EXIT } from '../errors.js';
import { createLogger } from '../log.js';
import { runAll } from '../run/run.js';
import { checkHeartbeat, HEARTBEAT_EVERY_MS, startScheduler } from '../run/schedule.js';
import type { CliContext } from './cli.context.js';

/** Runs on the cron schedule until SIGINT/SIGTERM, then lets the scheduler stop (a run in progress winds down). */
async function schedule(command: Command, { configOf }: CliContext): Promise<void> {
  const { config } = configOf(command);
  const log = createLogger(config.log.level);
  const adapters = compose(config, log);
  const scheduler = startScheduler({ config, log, run: (signal) => runAll(adapters, { signal }) });
  await new Promise<void>((resolve) => {
    const stop = (name: NodeJS.Signals) => {
      log.warn({ signal: name }, 'Schedule:Signal:Stopping');
      void scheduler.stop().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** `changewatch schedule`: the long-running nightly job. */
export function registerSchedule(program: Command, context: CliContext): void {
  program
    .command('schedule')
    .description('run on the configured cron schedule until SIGTERM/SIGINT (no overlapping runs; heartbeat file)')
    .action((_options: unknown, command: Command) => schedule(command, context));
}

/**
 * `changewatch health`: the container health check of the scheduler's heartbeat. Registered apart from
 * `schedule` because `--help` lists it after `reports`.
 */
export function registerHealth(program: Command, { io, configOf, setExitCode }: CliContext): void {
  program
    .command('health')
    .description('exit 0 when the scheduler heartbeat is fresh (the container health check)')
    .option('--max-age <seconds>', 'oldest acceptable heartbeat', String((3 * HEARTBEAT_EVERY_MS) / 1000))
    .action(async (options: { maxAge: string }, command: Command) => {
      const { config } = configOf(command);
      const result = await checkHeartbeat(config.schedule.heartbeatFile, Number(options.maxAge) * 1000);
      io.out(`${result.healthy ? 'healthy' : 'unhealthy'}: ${result.reason}`);
      setExitCode(result.healthy ? EXIT.ok : EXIT.failed);
    });
}
