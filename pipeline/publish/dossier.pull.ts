import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Aoi } from '../../aoi/aoi.schema.js';
import type { PublishedRasters } from '../outputs/dossier.js';
import type { SeriesSources } from '../outputs/dossier.series.js';
import { ChangewatchError } from '../errors.js';
import type { ObjectStore } from '../ports.js';
import { loadState } from './aoi.state.js';
import { dossierFiles, dossierFolder, dossierRunId, dossierStatus, seriesSource } from './dossier.publish.js';
import { publishedItems } from './publish.js';

/**
 * `changewatch sites dossier SITE --dest DIR`: a site's dossier as a local folder `DIR/<site>/`. A published dossier
 * that is current is copied from the store as it is; a missing or stale one (a run was interrupted, or the site was
 * merged since and its dossier is an old one) is built from the published item the way the run builds it, without
 * writing to the store.
 */
export interface PulledDossier {
  folder: string;
  files: number;
  bytes: number;
  /** The item it was built from when it was built here; undefined when copied. */
  builtFrom?: string;
}

async function writeAll(folder: string, files: ReadonlyArray<{ name: string; body: Uint8Array }>) {
  await mkdir(folder, { recursive: true });
  for (const file of files) await writeFile(join(folder, file.name), file.body);
  return files.reduce((total, file) => total + file.body.length, 0);
}

export async function pullDossier(
  store: ObjectStore,
  input: {
    aoiId: string;
    siteId: string;
    dest: string;
    aoi: () => Promise<Aoi>;
    rasters: PublishedRasters;
    /** Finds the item's scenes again for the time series, given the AOI. */
    series: (aoi: Aoi) => SeriesSources;
  },
): Promise<PulledDossier> {
  const folder = join(resolve(input.dest), input.siteId);
  const status = await dossierStatus(store, input.aoiId);
  const entry = status.index?.dossiers[input.siteId];
  if (entry && status.wanted.has(input.siteId) && !status.stale.includes(input.siteId)) {
    const files = [];
    for (const name of Object.keys(entry.files)) {
      const body = await store.get(`${dossierFolder(input.aoiId, input.siteId)}/${name}`);
      if (body) files.push({ name, body });
    }
    return { folder, files: files.length, bytes: await writeAll(folder, files) };
  }
  const wanted = status.wanted.get(input.siteId);
  // A merged site is not in `wanted`: its dossier is cut from the last item of its own history.
  const site = wanted?.site ?? status.sites.find((feature) => feature.id === input.siteId);
  const itemId = site?.properties.history.at(-1)?.item;
  const item = wanted?.item ?? (await publishedItems(store, input.aoiId)).find((candidate) => candidate.id === itemId);
  if (!site || !item) {
    throw new ChangewatchError(
      'E_USAGE',
      `${input.siteId}: no such site with a published item in ${store.url}: "changewatch sites list --aoi ${input.aoiId}"`,
    );
  }
  const { state } = await loadState(store, input.aoiId);
  const inputs = String(item.properties['changewatch:inputs']);
  const runId = dossierRunId(state, { id: item.id, inputs }, 'not recorded');
  const aoi = await input.aoi();
  const files = await dossierFiles(await seriesSource(store, input.aoiId, item, input.series(aoi)), {
    aoi,
    site,
    runId,
    rasters: input.rasters,
  });
  return { folder, files: files.length, bytes: await writeAll(folder, files), builtFrom: item.id };
}
