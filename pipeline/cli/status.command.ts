import type { Command } from 'commander';
import cron from 'node-cron';
import type { Config } from '../../config/config.schema.js';
import { compose } from '../compose.js';
import { loadAoiDir } from '../io/aoi.repository.js';
import { createLogger, type Logger } from '../log.js';
import type { ObjectStore } from '../ports.js';
import { table } from '../run/run.report.js';
import { loadState } from '../publish/aoi.state.js';
import { cronLogger } from '../run/schedule.js';
import { repeatable, type CliContext } from './cli.context.js';

/** One row: the AOI's last run from its state in the store (or `never`), and how many items it has published. */
async function statusRow(store: ObjectStore, id: string): Promise<string[]> {
  const { state } = await loadState(store, id);
  const last = state.history[state.history.length - 1];
  return [
    id,
    last?.runId ?? 'never',
    last?.endedAt ?? '-',
    last?.outcome ?? '-',
    last?.itemId ?? '-',
    last?.scenes !== undefined ? String(last.scenes) : '-',
    String(Object.keys(state.items).length),
    last?.reason ?? '',
  ];
}

/** The next time the configured cron schedule fires, or undefined. */
async function nextScheduledRun(schedule: Config['schedule'], log: Logger): Promise<Date | undefined> {
  const probe = cron.createTask(schedule.cron, () => undefined, {
    timezone: schedule.timezone,
    logger: cronLogger(log),
  });
  const next = probe.getNextRuns(1)[0];
  await probe.destroy();
  return next;
}

async function status(options: { aoi?: string[] }, command: Command, { io, configOf }: CliContext): Promise<void> {
  const { config } = configOf(command);
  const log = createLogger(config.log.level);
  const { store } = compose(config, log);
  const { aois } = await loadAoiDir(config.aoi.dir, { maxAreaKm2: config.aoi.maxAreaKm2 });
  const ids = options.aoi?.length ? options.aoi : aois.map((aoi) => aoi.id);
  const rows = [['AOI', 'LAST RUN', 'ENDED', 'OUTCOME', 'ITEM', 'SCENES', 'ITEMS', 'REASON']];
  for (const id of ids) rows.push(await statusRow(store, id));
  for (const line of table(rows)) io.out(line);
  const next = await nextScheduledRun(config.schedule, log);
  io.out(
    `next scheduled run: ${next?.toISOString() ?? 'none'} (${config.schedule.cron}, ${config.schedule.timezone}); store ${store.url}`,
  );
}

/** `changewatch status`: the last run per AOI, its outcome and scenes, and the next scheduled run. */
export function registerStatus(program: Command, context: CliContext): void {
  program
    .command('status')
    .description('last run per AOI, its outcome and scenes, and the next scheduled run')
    .option('--aoi <id>', 'only this AOI (repeatable)', repeatable)
    .action((options: { aoi?: string[] }, command: Command) => status(options, command, context));
}
