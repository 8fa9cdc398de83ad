import type { RunReport } from './run.js';

type AoiEntry = RunReport['aois'][number];

/** Where a report's lines go: stdout-like and stderr-like sinks. */
export interface ReportIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Bytes as mebibytes with one decimal, the unit of every size the CLI and the demo print. */
export const mib = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MiB`;

/** Rows as aligned columns for the terminal; the first row is the header. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd(),
  );
}

/** A dry run: one row per plan (what would be read and written, and why), then the AOIs that have no plan. */
function dryRunRows(report: RunReport): string[][] {
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
  return rows;
}

/** A run: one row per AOI with its outcome, what it read and computed, and how long it took. */
function runRow(entry: AoiEntry): string[] {
  return [
    entry.aoi,
    entry.outcome,
    entry.itemId ?? '-',
    entry.scenes ? `${entry.scenes.baseline.length}+${entry.scenes.monitoring.length}` : '-',
    entry.newScenes ? String(entry.newScenes.length) : '-',
    entry.bytesRead ? mib(entry.bytesRead) : '-',
    entry.blocks ? String(entry.blocks) : '-',
    (entry.ms / 1000).toFixed(1),
    entry.reason ?? '',
  ];
}

/** The run's table and where its report is (or, for a dry run, the plan and that nothing was written). */
export function printRunReport(report: RunReport, io: ReportIo): void {
  if (report.dryRun) {
    for (const line of table(dryRunRows(report))) io.out(line);
    io.out(`dry run ${report.runId}: nothing was read or written`);
    return;
  }
  const rows = [
    ['AOI', 'OUTCOME', 'ITEM', 'SCENES', 'NEW', 'READ', 'BLOCKS', 'SECONDS', 'REASON'],
    ...report.aois.map(runRow),
  ];
  for (const line of table(rows)) io.out(line);
  for (const stripe of report.stripes ?? []) {
    io.out(
      `stripe ${stripe.unit}: ${stripe.outcome}, ${stripe.blocks} block(s), ${mib(stripe.bytesStored)} stored, ${(stripe.ms / 1000).toFixed(1)} s${stripe.reason ? `: ${stripe.reason}` : ''}`,
    );
  }
  const { shard } = report;
  if (shard) {
    io.out(
      `task ${shard.index}/${shard.count} (${shard.source}${shard.task ? ` ${shard.task}` : ''}): ${shard.mine.length} of the night's ${shard.units} unit(s), ${((100 * shard.cost) / Math.max(1, shard.totalCost)).toFixed(0)} % of its estimated cost`,
    );
  }
  io.out(`run ${report.runId}: report at ${report.store}/runs/${report.runId}.json`);
}
