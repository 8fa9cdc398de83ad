import type { Aoi } from '../../aoi/aoi.schema.js';
import { reductionFactor, type Picture } from '../../workers/render.js';
import type { SiteCounts, Summary } from '../../reports/summary.js';
import type { AnalysisRun } from '../analysis/analysis.js';
import type { ProductSelection } from '../analysis/products.select.js';
import { inMemory, type OutputFile, type Periods } from './output.file.js';
import { patchPolygons } from './polygons.js';
import { encodePng, pngWithLegend, PREVIEW_MAX_SIDE, thumbnailPng } from './previews.js';
import { leadProduct } from '../../workers/products/index.js';
import { rasterAssets, type RasterOutputSink } from './raster.sink.js';
import { buildSummary } from './summary.build.js';
import { allSettled } from '../settle.js';

/**
 * Everything one period publishes, as files: the rasters the sink wrote (composites' NDVI, clear counts, every
 * product's classes and confidence), the change patches as GeoJSON, PNG previews of the lead product over the
 * NDVI, and the summary with the checksums of all of them and the AOI's sites counted with this period folded in.
 */

/** The period about to be published, as the sites fold reads a published one: its summary (without sites) and files. */
export interface PendingPeriod {
  summary: Summary;
  files: readonly OutputFile[];
}

export interface PeriodOutputsInput {
  aoi: Aoi;
  run: AnalysisRun;
  /** The sink that received the run's blocks. */
  rasters: RasterOutputSink;
  periods: Periods;
  itemId: string;
  digest: string;
  /** The AOI's sites counted with this period folded in (publish/sites.publish.ts), for the summary. */
  countSites(pending: PendingPeriod): Promise<SiteCounts>;
}

function polygonsFile(run: AnalysisRun): OutputFile {
  const polygons = patchPolygons({ grid: run.grid, sets: run.keptPatches });
  const counts = run.keptPatches
    .filter((set) => set.patches.length > 0)
    .map((set) => `${set.patches.length} ${set.className}`)
    .join(', ');
  return {
    asset: 'polygons',
    file: 'polygons.geojson',
    ...inMemory(new TextEncoder().encode(`${JSON.stringify(polygons)}\n`)),
    type: 'application/geo+json',
    title: `Change patches (${polygons.features.length}: ${counts}), lon/lat`,
    roles: ['data'],
    stac: {},
  };
}

function png(asset: string, bytes: Uint8Array, title: string, roles: string[]): OutputFile {
  return { asset, file: `${asset}.png`, ...inMemory(bytes), type: 'image/png', title, roles, stac: {} };
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

async function previewFiles(
  input: PeriodOutputsInput,
  pictures: { before: Picture; after: Picture; overlay: Picture },
): Promise<OutputFile[]> {
  const { aoi, run, periods } = input;
  const { before, after, overlay } = pictures;
  const preview = leadProduct(Object.keys(run.products))?.preview;
  const noun = preview?.noun ?? 'change';
  // The factor the previews were reduced by (raster.sink.ts), from the grid's longer side: dividing by the picture's
  // width instead called a 10 m preview of a tall AOI "20 m per preview pixel".
  const scale = reductionFactor(run.grid.width, run.grid.height, PREVIEW_MAX_SIDE) * run.parameters.resolution;
  const [baseline, monitoring] = [periods.baseline.window.text, periods.monitoring.window.text];
  const legend = [
    ...(preview?.palette ?? []).map((entry) => ({ colour: entry.colour, label: entry.label })),
    { colour: '238443', label: `monitoring NDVI, ${scale} m per preview pixel` },
  ];
  // Encoded at once (sharp works off this thread), while the pool compresses the rasters' last tiles.
  return Promise.all([
    encodePng(before).then((bytes) =>
      png('preview-baseline', bytes, `Baseline NDVI (${baseline}), ${scale} m/px`, ['overview']),
    ),
    encodePng(after).then((bytes) =>
      png('preview-monitoring', bytes, `Monitoring NDVI (${monitoring}), ${scale} m/px`, ['overview']),
    ),
    encodePng(overlay).then((bytes) =>
      png(
        'preview-change',
        bytes,
        `${capitalised(noun)} over the monitoring NDVI, same extent as the NDVI previews, ${scale} m/px`,
        ['overview'],
      ),
    ),
    pngWithLegend(overlay, `${aoi.name}: ${noun} ${monitoring} vs ${baseline}`, legend).then((bytes) =>
      png('preview', bytes, `${capitalised(noun)} over the monitoring NDVI, with legend`, ['overview', 'visual']),
    ),
    thumbnailPng(overlay).then((bytes) => png('thumbnail', bytes, `${capitalised(noun)} thumbnail`, ['thumbnail'])),
  ]);
}

const PREVIEW_ASSETS = ['preview-baseline', 'preview-monitoring', 'preview-change', 'preview', 'thumbnail'];

/** The asset keys a period with these products publishes, in the order they are written. */
export function plannedOutputs(selection: ProductSelection): string[] {
  return [...rasterAssets(selection), 'polygons', ...PREVIEW_ASSETS, 'summary'];
}

export async function periodOutputs(input: PeriodOutputsInput): Promise<{ files: OutputFile[]; summary: Summary }> {
  // The previews are drawn first and encoded while the rasters are finished. Both settle before a failure is
  // thrown, so nothing is still posting to the pool when the caller aborts the writers and closes it.
  const previews = previewFiles(input, input.rasters.pictures());
  const [rasters, pngs] = await allSettled(input.rasters.finish(), previews);
  const files: OutputFile[] = [...rasters, polygonsFile(input.run), ...pngs];
  const unsited = buildSummary({ ...input, files });
  const summary: Summary = { ...unsited, sites: await input.countSites({ summary: unsited, files }) };
  files.push({
    asset: 'summary',
    file: 'summary.json',
    ...inMemory(new TextEncoder().encode(`${JSON.stringify(summary, null, 2)}\n`)),
    type: 'application/json',
    title: 'Summary: hectares per class and zone, clear coverage, scenes, parameters, checksums',
    roles: ['metadata'],
    stac: {},
  });
  return { files, summary };
}
