import type { Aoi } from '../../aoi/aoi.schema.js';
import { AccuracyAssetSchema, type AccuracyAsset } from '../../reports/accuracy.js';
import { ChangewatchError } from '../errors.js';
import { ACCURACY_ASSET_PREFIX, ACCURACY_FOLDER, accuracyKey, sha256Hex } from '../outputs/layout.js';
import type { ObjectStore } from '../ports.js';
import { loadState } from '../publish/aoi.state.js';
import type { PublishedRasters } from '../outputs/dossier.js';
import type { SeriesSources } from '../outputs/dossier.series.js';
import { publishDossiers } from '../publish/dossier.publish.js';
import { publishAoiReport } from '../publish/report.publish.js';
import { VERSION } from '../version.js';
import { assessedItem, type AssessedItem } from './assess.source.js';
import { estimateFrom, readLabels, readSampleFolder } from './estimate.js';

/**
 * `changewatch assess publish`: the estimate becomes the item's `accuracy-<product>` asset (the design and labels
 * by digest, who labelled and when as given), written before the item that links it, and the item's latest report
 * page is rendered again to show it. A sample drawn from inputs the item no longer has is refused.
 */
export interface AccuracyPublication {
  folder: string;
  labels: string;
  by: string;
  on: string;
  /** The report map's basemap (config `reports.basemap`), so the page rendered again keeps it. */
  basemap?: { url: string; attribution: string } | undefined;
}

export async function publishAccuracy(
  store: ObjectStore,
  request: AccuracyPublication,
  pages: PageSources,
): Promise<{ key: string; asset: AccuracyAsset; report?: string; dossiers?: number }> {
  const sample = await readSampleFolder(request.folder);
  const labels = await readLabels(request.labels, sample);
  const { design } = sample;
  const source = await assessedItem(store, design.aoi, design.item);
  if (source.inputs !== design.inputs) {
    throw new ChangewatchError(
      'E_USAGE',
      `item ${design.item} was recomputed after the sample was drawn: its inputs are now ${source.inputs}, the sample's ${design.inputs}: draw a new sample from it`,
    );
  }
  const { figures, used } = estimateFrom(sample, labels);
  const asset = AccuracyAssetSchema.parse({
    type: 'changewatch-accuracy',
    aoi: design.aoi,
    item: design.item,
    inputs: design.inputs,
    product: design.product,
    design: {
      sha256: sample.designSha256,
      seed: design.seed,
      n: design.n,
      minPerStratum: design.minPerStratum,
      bufferMetres: design.bufferMetres,
      strata: design.strata,
      notAssessed: design.notAssessed,
    },
    labels: { sha256: labels.sha256, used, cantTell: labels.cantTell.length, by: request.by, on: request.on },
    ...figures,
    software: `changewatch ${VERSION}`,
  });
  const key = accuracyKey(design.aoi, design.item, design.product);
  const body = `${JSON.stringify(asset, null, 2)}\n`;
  await store.put(key, body, { contentType: 'application/json', cacheControl: 'no-cache' });
  const item = {
    ...source.item,
    assets: {
      ...source.item.assets,
      [`${ACCURACY_ASSET_PREFIX}${design.product}`]: {
        href: `./${ACCURACY_FOLDER}/${design.product}.json`,
        type: 'application/json',
        roles: ['metadata', 'accuracy'],
        title: `Accuracy assessment and error-adjusted areas: ${design.product}`,
        'file:size': Buffer.byteLength(body),
        'file:checksum': `1220${sha256Hex(Buffer.from(body))}`,
        'changewatch:inputs': design.inputs,
      },
    },
  };
  await store.put(source.itemKey, `${JSON.stringify(item, null, 2)}\n`, {
    contentType: 'application/geo+json',
    cacheControl: 'no-cache',
  });
  const aoi = await pages.aoiOf(design.aoi);
  return { key, asset, ...(aoi ? await refreshPages(store, source, aoi, request.basemap, pages) : {}) };
}

/** What rendering the item's pages again needs: the AOI, and the dossiers' readers (rasters, scenes). */
export interface PageSources {
  aoiOf: (id: string) => Promise<Aoi | undefined>;
  dossierReaders: (aoi: Aoi) => { rasters: PublishedRasters; series: SeriesSources };
}

/**
 * The sites' dossiers (they cite the item, which changed, and now the assessment) and the item's latest report page,
 * rendered again.
 */
async function refreshPages(
  store: ObjectStore,
  source: AssessedItem,
  aoi: Aoi,
  basemap: AccuracyPublication['basemap'],
  pages: PageSources,
) {
  const { state } = await loadState(store, aoi.id);
  const runId = state.items[source.item.id]?.runId ?? 'not recorded';
  const rebuilt = await publishDossiers(store, { aoi, state, runId, ...pages.dossierReaders(aoi) });
  const entry = state.reports?.findLast((candidate) => candidate.itemId === source.item.id);
  if (!entry) return { dossiers: rebuilt.length };
  const report = await publishAoiReport(store, {
    aoi,
    runId: entry.runId,
    itemId: source.item.id,
    digest: source.inputs,
    summary: source.summary,
    state,
    basemap,
  });
  return { report, dossiers: rebuilt.length };
}
