import type { Command } from 'commander';
import cron from 'node-cron';
import type { Config } from '../../config/config.schema.js';
import { loadAoiDir } from '../io/aoi.repository.js';
import { table } from './text.table.js';
import { EXIT } from '../errors.js';
import { compose } from '../compose.js';
import { openObjectStore } from '../io/object.store.js';
import { createLogger } from '../log.js';
import { pullReport } from '../publish/report.pull.js';
import { runAll, type RunProgress, type RunReport } from '../run/run.js';
import { loadState } from '../run/run.state.js';
import { checkHeartbeat, HEARTBEAT_EVERY_MS, startScheduler } from '../run/schedule.js';

/** The commands of the nightly job: run, status, schedule, health. */

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;

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

export function printRunReport(report: RunReport, io: Io): void {
  if (report.dryRun) {
    const rows = [['AOI', 'ACTION', 'ITEM', 'SCENES', 'NEW', 'EST. READ', 'EST. MEMORY', 'OUTPUTS', 'WHY']];
    for (const plan of report.plans) {
      rows.push([
        plan.aoi,
        plan.action,
        plan.itemId,
        `${plan.scenes.baseline.length}+${plan.scenes.monitoring.length}`,
        String(plan.newScenes.length),
        plan.action === 'compute' ? mib(plan.estimatedBytes) : '-',
        mib(plan.estimatedMemoryBytes),
        plan.outputs.length ? `${plan.outputs.length} assets` : '-',
        plan.reason,
      ]);
    }
    for (const entry of report.aois.filter((e) => !report.plans.some((p) => p.aoi === e.aoi))) {
      rows.push([entry.aoi, entry.outcome, '-', '-', '-', '-', '-', '-', entry.reason ?? '']);
    }
    for (const line of table(rows)) io.out(line);
    io.out(`dry run ${report.runId}: nothing was read or written`);
    return;
  }
  const rows = [['AOI', 'OUTCOME', 'ITEM', 'SCENES', 'NEW', 'READ', 'BLOCKS', 'SECONDS', 'REASON']];
  for (const entry of report.aois) {
    rows.push([
      entry.aoi,
      entry.outcome,
      entry.itemId ?? '-',
      entry.scenes ? `${entry.scenes.baseline.length}+${entry.scenes.monitoring.length}` : '-',
      entry.newScenes ? String(entry.newScenes.length) : '-',
      entry.bytesRead ? mib(entry.bytesRead) : '-',
      entry.blocks ? String(entry.blocks) : '-',
      (entry.ms / 1000).toFixed(1),
      entry.reason ?? '',
    ]);
  }
  for (const line of table(rows)) io.out(line);
  io.out(`run ${report.runId}: report at ${report.store}/runs/${report.runId}.json`);
}

export function registerRunCommands(
  program: Command,
  io: Io,
  configOf: (command: Command) => { config: Config },
  setExitCode: (code: number) => void,
): void {
  program
    .command('run')
    .description('one run over the configured AOIs: plan what is new, compute, publish (exit 1 if any AOI failed)')
    .option('--aoi <id>', 'only this AOI (repeatable)', (value: string, previous: string[] = []) => [
      ...previous,
      value,
    ])
    .option('--force', 'recompute even when nothing is new')
    .option('--dry-run', 'print the plan (scenes, estimated bytes, outputs) and write nothing')
    .action(async (options: { aoi?: string[]; force?: boolean; dryRun?: boolean }, command: Command) => {
      const { config } = configOf(command);
      const log = createLogger(config.log.level);
      const stop = abortOnSignals(log);
      try {
        const progress = progressPrinter();
        const report = await runAll(compose(config, log), {
          ...(options.aoi ? { aoiIds: options.aoi } : {}),
          force: options.force ?? false,
          dryRun: options.dryRun ?? false,
          signal: stop.signal,
          ...(progress ? { onProgress: progress } : {}),
        });
        if (progress) process.stderr.write('\r\x1b[2K');
        printRunReport(report, io);
        setExitCode(report.aois.some((entry) => entry.outcome === 'failed') ? EXIT.failed : EXIT.ok);
      } finally {
        stop.dispose();
      }
    });

  program
    .command('status')
    .description('last run per AOI, its outcome and scenes, and the next scheduled run')
    .option('--aoi <id>', 'only this AOI (repeatable)', (value: string, previous: string[] = []) => [
      ...previous,
      value,
    ])
    .action(async (options: { aoi?: string[] }, command: Command) => {
      const { config } = configOf(command);
      const store = openObjectStore(config.store);
      const { aois } = await loadAoiDir(config.aoi.dir, { maxAreaKm2: config.aoi.maxAreaKm2 });
      const ids = options.aoi?.length ? options.aoi : aois.map((aoi) => aoi.id);
      const rows = [['AOI', 'LAST RUN', 'ENDED', 'OUTCOME', 'ITEM', 'SCENES', 'ITEMS', 'REASON']];
      for (const id of ids) {
        const { state } = await loadState(store, id);
        const last = state.history[state.history.length - 1];
        rows.push([
          id,
          last?.runId ?? 'never',
          last?.endedAt ?? '-',
          last?.outcome ?? '-',
          last?.itemId ?? '-',
          last?.scenes !== undefined ? String(last.scenes) : '-',
          String(Object.keys(state.items).length),
          last?.reason ?? '',
        ]);
      }
      for (const line of table(rows)) io.out(line);
      const probe = cron.createTask(config.schedule.cron, () => undefined, { timezone: config.schedule.timezone });
      const next = probe.getNextRuns(1)[0];
      await probe.destroy();
      io.out(
        `next scheduled run: ${next?.toISOString() ?? 'none'} (${config.schedule.cron}, ${config.schedule.timezone}); store ${store.url}`,
      );
    });

  program
    .command('schedule')
    .description('run on the configured cron schedule until SIGTERM/SIGINT (no overlapping runs; heartbeat file)')
    .action(async (_options: unknown, command: Command) => {
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
    });

  program
    .command('reports')
    .description('report pages for authors')
    .command('pull')
    .description("copy a run's report page, item, maps and numbers from the store to a local folder")
    .requiredOption('--aoi <id>', 'the AOI')
    .option('--run <id>', 'latest, or a run id from "changewatch status"', 'latest')
    .requiredOption('--dest <dir>', 'local folder (the store layout is kept, so the page works there)')
    .action(async (options: { aoi: string; run: string; dest: string }, command: Command) => {
      const { config } = configOf(command);
      const store = openObjectStore(config.store);
      const pulled = await pullReport(store, { aoiId: options.aoi, run: options.run, dest: options.dest });
      io.out(`${pulled.files} files, ${mib(pulled.bytes)}: open ${pulled.page}`);
    });

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
