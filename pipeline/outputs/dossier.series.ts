import type { Aoi } from '../../aoi/aoi.schema.js';
import type { AreaGeometry } from '../../aoi/geometry.js';
import { windowGrid, type Grid } from '../../aoi/rasterize.js';
import type { Config } from '../../config/config.schema.js';
import { toCsv } from '../../reports/csv.js';
import type { Summary } from '../../reports/summary.js';
import { cleanupHalo, clearMask, type CloudCleanup } from '../../workers/change.block.js';
import { grownWindow, sitePoint } from '../../workers/site.series.js';
import { pixelsOf, windowOf } from '../../workers/sites.js';
import { datesForBlock, type PeriodReads } from '../analysis/block.read.js';
import { ChangewatchError } from '../errors.js';
import { itemObservations, type PeriodObservation } from '../scenes/item.scenes.js';
import type { RasterOpener } from '../scenes/raster.opener.js';
import type { TileDecoder } from '../scenes/scene.read.js';

/**
 * A site's NDVI time series for its dossier: every observation of both windows behind the item, re-read from the
 * source scenes as one small window around the site (its bounding box plus the cloud cleanup's reach, so the clear
 * mask at the site's edge is the run's) through the run's block reader (same masks, same resampling onto the item's
 * grid), then the median NDVI of the site's pixels seen clear (workers/site.series.ts). Observations that saw none of
 * the site clear are left out; the others say how much of it they saw.
 */

/** Where the scenes behind an item are read from. */
export interface SeriesSource {
  observations: readonly PeriodObservation[];
  opener: RasterOpener;
  cloud: CloudCleanup;
  /** Decodes the scenes' tiles (the run's worker pool); default: on this thread. */
  decode?: TileDecoder;
}

/** The series' source, or why the scenes could not be read again (the dossier says so). */
export type DossierSeries = { source: SeriesSource } | { missing: string };

/** How the dossiers find the scenes behind an item, by its summary ({@link seriesSources}). */
export type SeriesSources = (summary: Summary) => Promise<DossierSeries>;

/** One row of `timeseries.csv`. */
export interface SeriesRow {
  date: string;
  period: 'baseline' | 'monitoring';
  scenes: string[];
  clearPixels: number;
  sitePixels: number;
  medianNdvi: number;
}

/** The site's point for every observation that saw some of it clear, in date order within each period. */
export async function siteSeries(source: SeriesSource, geometry: AreaGeometry, grid: Grid): Promise<SeriesRow[]> {
  const site = windowOf(geometry, grid);
  if (!site) return [];
  const halo = cleanupHalo(source.cloud.openPx, source.cloud.dilatePx);
  const window = windowGrid(grid, grownWindow(site, halo, grid.width, grid.height));
  const inside = new Uint8Array(window.width * window.height);
  for (const pixel of pixelsOf(geometry, window)) inside[pixel] = 1;
  const sitePixels = inside.reduce((total, value) => total + value, 0);
  const rows: SeriesRow[] = [];
  for (const period of ['baseline', 'monitoring'] as const) {
    // Observations with red and NIR: radar passes and NDVI exports have no point in this series.
    const observations = source.observations
      .filter(
        (entry) =>
          entry.period === period && entry.observation.scenes.every((scene) => scene.bands.red && scene.bands.nir),
      )
      .map((e) => e.observation);
    const reads: PeriodReads = { used: new Set(), dated: new Set(), skipped: new Map() };
    const blocks = await datesForBlock(observations, window, source.opener, source.cloud, ['red', 'nir'], reads, {
      ...(source.decode ? { decode: source.decode } : {}),
    });
    for (const block of blocks) {
      const clear = clearMask(block, window.width, window.height, source.cloud.openPx, source.cloud.dilatePx);
      const point = sitePoint(inside, clear, block.bands);
      if (point.clearPixels === 0) continue;
      const date = new Date(block.day * 86_400_000).toISOString().slice(0, 10);
      const scenes = observations.find((observation) => observation.date === date)?.scenes ?? [];
      const used = scenes.map((scene) => scene.id).filter((id) => reads.used.has(id));
      rows.push({
        date,
        period,
        scenes: used,
        clearPixels: point.clearPixels,
        sitePixels,
        medianNdvi: point.medianNdvi,
      });
    }
  }
  return rows;
}

/** `timeseries.csv`: RFC 4180, one row per observation that saw the site clear. */
export function seriesCsv(rows: readonly SeriesRow[]): string {
  return toCsv([
    ['date', 'period', 'scenes', 'clear_pixels', 'site_pixels', 'clear_share', 'median_ndvi'],
    ...rows.map((row) => [
      row.date,
      row.period,
      row.scenes.join(' '),
      row.clearPixels,
      row.sitePixels,
      (row.clearPixels / row.sitePixels).toFixed(4),
      row.medianNdvi.toFixed(4),
    ]),
  ]);
}

/**
 * How the dossiers of an AOI find the scenes behind an item (once per item): the AOI's query again, through the
 * composed STAC finder and raster opener. A STAC API that cannot answer leaves the series out, with the reason.
 */
export function seriesSources(input: {
  finder: Parameters<typeof itemObservations>[0]['finder'];
  config: Config;
  aoi: Aoi;
  opener: RasterOpener;
  decode?: TileDecoder;
}): SeriesSources {
  return async (summary) => {
    try {
      const observations = await itemObservations({ ...input, summary });
      const { opener, decode } = input;
      return { source: { observations, opener, cloud: input.config.analysis.cloud, ...(decode ? { decode } : {}) } };
    } catch (error) {
      if (!(error instanceof ChangewatchError)) throw error;
      return { missing: `the scenes behind item ${summary.item} could not be found again (${error.message})` };
    }
  };
}
