import type { ComputePool } from '../analysis/pool.js';
import { createHash } from 'node:crypto';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { dossierAccuracyLines, type AccuracyAsset } from '../../reports/accuracy.js';
import { dossierPage, type DossierPageModel } from '../../reports/dossier.page.js';
import type { Summary } from '../../reports/summary.js';
import { productOf } from '../../workers/products/index.js';
import type { Grid } from '../../aoi/rasterize.js';
import type { PublishedRasters } from '../scenes/store.raster.js';
import { VERSION } from '../version.js';
import { siteChips, type ChipRecord, type SceneChipPlan } from './dossier.chips.js';
import { nearestObservations } from '../../workers/site.series.js';
import { seriesCsv, siteSeries, type DossierSeries, type SeriesRow } from './dossier.series.js';
import { seriesChart } from '../../reports/site.series.chart.js';
import type { SitesCollection } from './sites.js';
import type { ResultItem } from './stac.js';
import { ACCURACY_ASSET_PREFIX, assetKeyOf } from './layout.js';
import { zipArchive } from './zip.js';
import { allSettled } from '../settle.js';

/**
 * A site's evidence dossier: its chips (outputs/dossier.chips.ts) with their sidecars, `evidence.json` (the site,
 * the scenes behind each period, the parameters, software, run, and the sha256 of every output cited and every
 * file), `manifest.sha256` (`sha256sum` format), `dossier.zip` (all of it under one folder named after the site)
 * and `index.html`, with the site's NDVI time series (outputs/dossier.series.ts) and the scenes nearest its first
 * detection as chips of their own, both re-read from the source scenes the item names. Built from the published
 * item and those scenes, so a repair or `changewatch sites dossier` rebuilds the same bytes.
 */

export type SiteFeature = SitesCollection['features'][number];

/** How the dossier step reads the item's rasters (scenes/store.raster.ts), for the stages above this one. */
export type { PublishedRasters };

/** Bump when the dossier's content changes for the same inputs: published dossiers are then rebuilt. */
export const DOSSIER_FORMAT = 4;

/** What the dossier leaves out: what its scenes could not give. */
function notIncluded(input: DossierInput, files: readonly SourceFile[]): string[] {
  const { series, site } = input;
  if ('missing' in series) {
    return [
      `The checksums of the source files, the NDVI time series of the site and the chips of the individual scenes nearest the first detection: ${series.missing}.`,
    ];
  }
  const unstated = files.filter((file) => file.checksum === null).length;
  return [
    ...(unstated > 0
      ? [`Checksums of ${unstated} of the ${files.length} source files: their STAC items state none (file:checksum).`]
      : []),
    ...(site.properties.first_seen
      ? []
      : [
          `Chips of the individual scenes nearest the first detection: the ${site.properties.product} product does not date its change.`,
        ]),
  ];
}

/** A file of a source scene the item read, and its checksum as the scene's STAC item states it (null: none). */
export interface SourceFile {
  scene: string;
  asset: string;
  href: string;
  checksum: string | null;
}

/** Every file of every scene behind the item (bands and quality masks), found again with the series. */
function sourceFiles(input: DossierInput): SourceFile[] {
  if ('missing' in input.series) return [];
  const files = new Map<string, SourceFile>();
  for (const { observation } of input.series.source.observations)
    for (const scene of observation.scenes)
      for (const asset of [...Object.values(scene.bands), ...(scene.mask ? [scene.mask.asset] : [])])
        if (asset)
          files.set(`${scene.id} ${asset.href}`, {
            scene: scene.id,
            asset: asset.key,
            href: asset.href,
            checksum: asset.checksum ?? null,
          });
  return [...files.values()].sort((a, b) => a.scene.localeCompare(b.scene) || a.asset.localeCompare(b.asset));
}

/** The scenes nearest the first detection, as chip plans (none without a series or a detection date). */
function scenePlans(input: DossierInput, rows: readonly SeriesRow[]): SceneChipPlan[] {
  const firstSeen = input.site.properties.first_seen;
  if ('missing' in input.series || !firstSeen) return [];
  const { observations } = input.series.source;
  const nearest = nearestObservations(rows, firstSeen);
  return (['before', 'after'] as const).flatMap((role) => {
    const row = nearest[role];
    const found = row && observations.find((entry) => entry.observation.date === row.date);
    if (!row || !found) return [];
    return [{ role, observation: found.observation, firstSeen, clearShare: row.clearPixels / row.sitePixels }];
  });
}

export interface DossierInput {
  aoi: Aoi;
  site: SiteFeature;
  /** The item the dossier is cut from (the site's latest period), its store key and JSON bytes as published. */
  item: ResultItem;
  itemKey: string;
  itemBytes: Uint8Array;
  summary: Summary;
  runId: string;
  rasters: PublishedRasters;
  /** Where the item's scenes are read again for the NDVI time series. */
  series: DossierSeries;
  /** The item's accuracy assessments (`assess publish`); those of the site's product are cited. */
  accuracy?: readonly AccuracyAsset[];
  /** Composes the chips in its threads (the run's pool); default: on this thread. */
  pool?: DossierPool;
}

/**
 * The worker pool a dossier's chips are composed in (the run's), for the stages above this one: asked for only when
 * a chip is composed, so a step with nothing to draw starts no threads.
 */
export type DossierPool = () => ComputePool;

export interface DossierFile {
  name: string;
  body: Uint8Array;
  contentType: string;
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const utf8 = (text: string) => new TextEncoder().encode(text);
/** Indented JSON with arrays of numbers on one line (coordinates, transforms), so a reader can follow it. */
const json = (value: unknown) =>
  utf8(
    `${JSON.stringify(value, null, 2).replace(/\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g, (_, numbers: string) => `[${numbers.split(/,\s+/).join(', ')}]`)}\n`,
  );

/**
 * What the dossier is made from, as one digest: the site (all but its state, which ages without the site changing),
 * the item and inputs it is cut from, the software and the dossier format. A published dossier whose fingerprint
 * differs is stale.
 */
export function dossierFingerprint(
  site: SiteFeature,
  item: { id: string; inputs: string; accuracy?: readonly string[] },
): string {
  const { state: _state, merged_into: _mergedInto, ...properties } = site.properties;
  // An assessment published since changes the item and what the dossier says: its checksums are in the print (and
  // only when there is one, so dossiers of unassessed items keep theirs).
  const { accuracy, ...identity } = item;
  const cited = accuracy && accuracy.length > 0 ? { ...identity, accuracy } : identity;
  return sha256(
    JSON.stringify({ format: DOSSIER_FORMAT, version: VERSION, item: cited, geometry: site.geometry, properties }),
  ).slice(0, 16);
}

/** The checksums of an item's accuracy assets, in asset order: what a dossier's fingerprint cites of them. */
export function accuracyChecksums(item: ResultItem): string[] {
  return Object.entries(item.assets)
    .filter(([name]) => name.startsWith(ACCURACY_ASSET_PREFIX))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, asset]) => String(asset['file:checksum']));
}

/** The folder of an asset relative to the dossier (`<aoi>/sites/<site>/` → `<aoi>/<item>/<digest>/…`). */
const fromDossier = (aoiId: string, key: string) => `../../${key.slice(aoiId.length + 1)}`;

/** The item's outputs the dossier cites: what the chips are cut from, the patches, counts and the summary. */
function citedOutputs(input: DossierInput, assetKeys: Record<string, string>) {
  const product = input.site.properties.product;
  const cited = [
    'summary',
    'polygons',
    'ndvi-baseline',
    'ndvi-monitoring',
    product,
    `${product}-confidence`,
    'clear-count-baseline',
    'clear-count-monitoring',
  ];
  const outputs = cited
    .filter((asset) => input.item.assets[asset])
    .map((asset) => {
      const entry = input.item.assets[asset]!;
      return {
        asset,
        title: String(entry['title'] ?? asset),
        href: fromDossier(input.aoi.id, assetKeys[asset]!),
        type: String(entry['type'] ?? ''),
        bytes: Number(entry['file:size']),
        // STAC file extension: a multihash, 0x12 (sha2-256) 0x20 (32 bytes) then the digest.
        sha256: String(entry['file:checksum']).replace(/^1220/, ''),
      };
    });
  const item = {
    asset: 'item',
    title: `STAC item ${input.item.id}`,
    href: fromDossier(input.aoi.id, input.itemKey),
    type: 'application/geo+json',
    bytes: input.itemBytes.length,
    sha256: sha256(input.itemBytes),
  };
  return [item, ...outputs];
}

function periodEvidence(period: Summary['periods']['baseline']) {
  const { window, start, end, observationDates, clearFraction, scenes } = period;
  return { window, start, end, observationDates, clearFraction, scenes };
}

/** The page's model from what the evidence holds. */
function pageModel(input: DossierInput, evidence: Evidence): DossierPageModel {
  const { site, summary } = input;
  const product = site.properties.product;
  return {
    site: site.properties,
    productTitle: productOf(product).title,
    aoi: {
      id: input.aoi.id,
      name: input.aoi.name,
      zones: Object.fromEntries(input.aoi.zones.map((z) => [z.id, z.name])),
    },
    item: evidence.item,
    runId: input.runId,
    software: `changewatch ${VERSION}`,
    periods: summary.periods,
    parameters: { ...summary.parameters, [product]: summary.products[product]?.parameters ?? {} },
    chips: evidence.chips.map(({ file, title, caption, width, height }) => ({ file, title, caption, width, height })),
    outputs: evidence.outputs,
    files: evidence.files,
    ...(evidence.series ? { series: evidence.series } : {}),
    ...(evidence.accuracy ? { accuracy: evidence.accuracy.flatMap((entry) => entry.lines) } : {}),
    sourceFiles: evidence.sourceFiles,
    notIncluded: evidence.notIncluded,
    caveats: summary.caveats,
  };
}

type Evidence = ReturnType<typeof evidenceOf>;

/** The assessments of the site's product, as the evidence cites them (none: no key). */
function accuracyEvidence(input: DossierInput) {
  const product = input.site.properties.product;
  const assessments = (input.accuracy ?? []).filter((asset) => asset.product === product);
  if (assessments.length === 0) return {};
  return {
    accuracy: assessments.map((asset) => ({
      product: asset.product,
      inputs: asset.inputs,
      design: asset.design.sha256,
      labels: asset.labels,
      lines: dossierAccuracyLines(asset, input.summary.inputs),
    })),
  };
}

/** The series as the evidence records it: its files, how many observations were read, and its rows. */
interface SeriesEvidence {
  csv: string;
  chart: string;
  observations: number;
  points: number;
  method: string;
  rows: SeriesRow[];
}

function evidenceOf(
  input: DossierInput,
  chips: Array<ChipRecord & { sha256: string; bytes: number; sidecar: string }>,
  files: Array<{ file: string; bytes: number; sha256: string }>,
  assetKeys: Record<string, string>,
  series: SeriesEvidence | undefined,
) {
  const { site, summary, aoi } = input;
  const product = site.properties.product;
  const item = { id: input.item.id, inputs: summary.inputs, href: fromDossier(aoi.id, input.itemKey) };
  const scenesRead = sourceFiles(input);
  return {
    type: 'changewatch-site-dossier',
    format: DOSSIER_FORMAT,
    fingerprint: dossierFingerprint(site, {
      id: item.id,
      inputs: item.inputs,
      accuracy: accuracyChecksums(input.item),
    }),
    site,
    aoi: {
      id: aoi.id,
      name: aoi.name,
      kind: aoi.kind,
      zones: aoi.zones.map((zone) => ({ id: zone.id, name: zone.name })),
    },
    item,
    run: input.runId,
    software: { name: 'changewatch', version: VERSION },
    grid: summary.grid,
    periods: {
      baseline: periodEvidence(summary.periods.baseline),
      monitoring: periodEvidence(summary.periods.monitoring),
    },
    parameters: { run: summary.parameters, [product]: summary.products[product]?.parameters ?? {} },
    outputs: citedOutputs(input, assetKeys),
    chips,
    ...(series ? { series } : {}),
    ...accuracyEvidence(input),
    /** The source scenes' files with the checksums their STAC items state (found again with the series). */
    sourceFiles: scenesRead,
    files,
    caveats: summary.caveats,
    notIncluded: notIncluded(input, scenesRead),
  };
}

const SERIES_METHOD =
  'Median NDVI, (NIR − red) / (NIR + red), of the site’s pixels seen clear in each observation of both windows: the source scenes re-read around the site through the run’s reader (its cloud masks, opening and dilation, and resampling onto the item’s grid); observations that saw none of the site clear are left out.';

/** The time series files (`timeseries.csv`, `timeseries.svg`) and their record, when the scenes can be read. */
async function seriesFiles(
  input: DossierInput,
): Promise<{ files: DossierFile[]; record?: SeriesEvidence; rows: SeriesRow[] }> {
  if ('missing' in input.series) return { files: [], rows: [] };
  const { site, summary } = input;
  const grid = { ...summary.grid, transform: summary.grid.transform as unknown as Grid['transform'] };
  const rows = await siteSeries(input.series.source, site.geometry, grid);
  const chart = seriesChart({
    title: `${site.id}: median NDVI of the site per clear observation`,
    points: rows.map((row) => ({
      date: row.date,
      period: row.period,
      medianNdvi: row.medianNdvi,
      clearShare: row.clearPixels / row.sitePixels,
    })),
    windows: summary.periods,
    detected: site.properties.first_seen,
  });
  const files = [
    { name: 'timeseries.csv', body: utf8(seriesCsv(rows)), contentType: 'text/csv; charset=utf-8' },
    { name: 'timeseries.svg', body: utf8(chart), contentType: 'image/svg+xml' },
  ];
  const observations = input.series.source.observations.length;
  const record = {
    csv: 'timeseries.csv',
    chart: 'timeseries.svg',
    observations,
    points: rows.length,
    method: SERIES_METHOD,
    rows,
  };
  return { files, record, rows };
}

/**
 * The site's time series and its chips. The series and the chips of the published rasters are made at once; the
 * scene chips follow the series (its rows say which observations are nearest the first detection).
 */
async function seriesAndChips(input: DossierInput, assetKeys: Record<string, string>) {
  const { site } = input;
  const seriesDone = seriesFiles(input);
  const source = 'source' in input.series ? input.series.source : undefined;
  const scenes = source && {
    plans: seriesDone.then((done) => scenePlans(input, done.rows)),
    opener: source.opener,
    cloud: source.cloud,
    ...(source.decode && { decode: source.decode }),
  };
  const [series, chips] = await allSettled(
    seriesDone,
    siteChips({
      siteId: site.id,
      product: site.properties.product,
      geometry: site.geometry,
      summary: input.summary,
      assetKeys,
      rasters: input.rasters,
      ...(input.pool ? { pool: input.pool } : {}),
      ...(scenes ? { scenes } : {}),
    }),
  );
  return { series, chips };
}

/** `manifest.sha256` of the listed files, and `dossier.zip` of them with it, under the site's folder. */
function packaged(siteId: string, listed: readonly DossierFile[]): { manifest: DossierFile; zip: DossierFile } {
  const manifest = {
    name: 'manifest.sha256',
    body: utf8(listed.map((file) => `${sha256(file.body)}  ${file.name}\n`).join('')),
    contentType: 'text/plain; charset=utf-8',
  };
  const entries = [...listed, manifest].map((file) => ({
    name: `${siteId}/${file.name}`,
    data: file.body,
    stored: file.contentType === 'image/png',
  }));
  return { manifest, zip: { name: 'dossier.zip', body: zipArchive(entries), contentType: 'application/zip' } };
}

/** Every file of the dossier, `index.html` last (the order to publish them in). */
export async function buildDossier(input: DossierInput): Promise<DossierFile[]> {
  const assetKeys = Object.fromEntries(
    Object.entries(input.item.assets).map(([asset, entry]) => [asset, assetKeyOf(input.itemKey, entry.href)]),
  );
  const { series, chips } = await seriesAndChips(input, assetKeys);
  const chipFiles: DossierFile[] = chips.flatMap((chip) => [
    { name: chip.record.file, body: chip.png, contentType: 'image/png' },
    { name: `${chip.record.file}.aux.xml`, body: utf8(chip.aux), contentType: 'application/xml' },
  ]);
  const files = [...chipFiles, ...series.files].map((file) => ({
    file: file.name,
    bytes: file.body.length,
    sha256: sha256(file.body),
  }));
  const records = chips.map((chip) => ({
    ...chip.record,
    sha256: sha256(chip.png),
    bytes: chip.png.length,
    sidecar: `${chip.record.file}.aux.xml`,
  }));
  const evidence = evidenceOf(input, records, files, assetKeys, series.record);
  const evidenceFile = { name: 'evidence.json', body: json(evidence), contentType: 'application/json' };
  const index = {
    name: 'index.html',
    body: utf8(dossierPage(pageModel(input, evidence))),
    contentType: 'text/html; charset=utf-8',
  };
  const { manifest, zip } = packaged(input.site.id, [...chipFiles, ...series.files, evidenceFile, index]);
  return [...chipFiles, ...series.files, evidenceFile, manifest, zip, index];
}
