import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ChangewatchError } from '../errors.js';
import { ACCURACY_FOLDER, itemKey } from '../outputs/layout.js';
import type { ObjectStore } from '../ports.js';
import { INDEX_KEY } from './report.publish.js';
import { loadState } from './aoi.state.js';
import { sitesKey } from './sites.publish.js';

const accuracyPrefix = (aoiId: string, itemId: string) => `${aoiId}/${itemId}/${ACCURACY_FOLDER}/`;

/**
 * `changewatch reports pull`: a run's report page, its item, maps and numbers copied from the store to a local
 * folder, keeping the store's layout so the page's relative links work there too.
 */
export async function pullReport(
  store: ObjectStore,
  input: { aoiId: string; run: string; dest: string; onFile?: (key: string) => void },
): Promise<{ page: string; files: number; bytes: number }> {
  const { state } = await loadState(store, input.aoiId);
  const reports = state.reports ?? [];
  const entry = input.run === 'latest' ? reports[reports.length - 1] : reports.find((r) => r.runId === input.run);
  if (!entry) {
    const known = reports.map((r) => r.runId).join(', ') || 'none';
    throw new ChangewatchError(
      'E_USAGE',
      `--aoi ${input.aoiId} --run ${input.run}: no report (runs with a report: ${known}): run "changewatch status" to see the AOI's runs`,
    );
  }
  const assets: string[] = [];
  for await (const key of store.list(`${input.aoiId}/${entry.itemId}/${entry.digest}/`)) assets.push(key);
  if (assets.length === 0) {
    throw new ChangewatchError(
      'E_USAGE',
      `${input.aoiId}: the outputs of run ${entry.runId} were replaced when a later run recomputed ${entry.itemId}: pull --run latest`,
    );
  }
  // The page's map script, the sites it draws and the sites' dossiers its table links, found by listing: all optional
  // (older pages have none of them). The item's accuracy assessments go with the item.
  const extras: string[] = [];
  for (const prefix of [
    `${input.aoiId}/reports/map-`,
    `${input.aoiId}/sites/`,
    accuracyPrefix(input.aoiId, entry.itemId),
  ])
    for await (const key of store.list(prefix)) extras.push(key);
  for await (const key of store.list(sitesKey(input.aoiId))) if (key === sitesKey(input.aoiId)) extras.push(key);
  const keys = [entry.key, INDEX_KEY, itemKey(input.aoiId, entry.itemId), ...assets, ...extras];
  let bytes = 0;
  for (const key of keys) {
    const body = await store.get(key);
    if (!body) continue;
    const target = join(resolve(input.dest), ...key.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, body);
    bytes += body.length;
    input.onFile?.(key);
  }
  return { page: join(resolve(input.dest), ...entry.key.split('/')), files: keys.length, bytes };
}
