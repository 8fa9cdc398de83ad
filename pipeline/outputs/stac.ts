import type { Aoi } from '../../aoi/aoi.schema.js';
import type { TimeInterval } from '../../aoi/interval.js';
import type { Grid } from '../../aoi/rasterize.js';
import { VERSION } from '../version.js';
import type { OutputFile } from './output.file.js';

/**
 * The STAC documents of the published results (STAC 1.1.0): one item per AOI and monitoring period, one
 * collection per AOI, the root catalog. Links and hrefs are relative (a self-contained catalog), so the same
 * files work from a folder, an S3 website endpoint or a copy on a laptop. No wall-clock times: a re-run of the
 * same inputs writes byte-identical documents.
 */

export const STAC_VERSION = '1.1.0';
export const EXTENSIONS = {
  projection: 'https://stac-extensions.github.io/projection/v2.0.0/schema.json',
  raster: 'https://stac-extensions.github.io/raster/v2.0.0/schema.json',
  file: 'https://stac-extensions.github.io/file/v2.1.0/schema.json',
  classification: 'https://stac-extensions.github.io/classification/v2.0.0/schema.json',
  processing: 'https://stac-extensions.github.io/processing/v1.2.0/schema.json',
} as const;

type Json = Record<string, unknown>;
export interface Link {
  rel: string;
  href: string;
  type?: string;
  title?: string;
}

export interface ResultItem extends Json {
  type: 'Feature';
  id: string;
  collection: string;
  bbox: number[];
  properties: Json & { start_datetime: string; end_datetime: string };
  links: Link[];
  assets: Record<string, Json & { href: string }>;
}

/** The last instant of a half-open window: STAC's end_datetime is inclusive. */
const lastInstant = (window: TimeInterval) => new Date(Date.parse(window.end) - 1).toISOString();

export function resultItem(input: {
  aoi: Aoi;
  itemId: string;
  digest: string;
  grid: Grid;
  windows: { baseline: TimeInterval; monitoring: TimeInterval };
  files: readonly OutputFile[];
  /** Hrefs of the source scenes' items, where the catalog gave them. */
  sources: readonly string[];
}): ResultItem {
  const { aoi, grid } = input;
  const [originX, pixelWidth, , originY, , pixelHeight] = grid.transform;
  const assets: ResultItem['assets'] = {};
  for (const file of input.files) {
    assets[file.asset] = {
      href: `./${input.digest}/${file.file}`,
      type: file.type,
      title: file.title,
      roles: file.roles,
      'file:size': file.size,
      // Multihash: 0x12 = sha2-256, 0x20 = 32 bytes.
      'file:checksum': `1220${file.sha256}`,
      ...file.stac,
    };
  }
  return {
    type: 'Feature',
    stac_version: STAC_VERSION,
    stac_extensions: Object.values(EXTENSIONS),
    id: input.itemId,
    collection: aoi.id,
    geometry: aoi.geometry,
    bbox: [...aoi.bbox],
    properties: {
      title: `${aoi.name}: change in ${input.windows.monitoring.text}`,
      description: `Change products for ${aoi.name} (${aoi.id}): monitoring window ${input.windows.monitoring.text} against baseline window ${input.windows.baseline.text}.`,
      datetime: null,
      start_datetime: input.windows.monitoring.start,
      end_datetime: lastInstant(input.windows.monitoring),
      'changewatch:baseline_start': input.windows.baseline.start,
      'changewatch:baseline_end': lastInstant(input.windows.baseline),
      'changewatch:inputs': input.digest,
      'changewatch:analyses': aoi.analyses,
      'proj:code': `EPSG:${grid.epsg}`,
      'proj:shape': [grid.height, grid.width],
      'proj:transform': [pixelWidth, 0, originX, 0, pixelHeight, originY],
      'proj:bbox': [originX, originY + grid.height * pixelHeight, originX + grid.width * pixelWidth, originY],
      'processing:software': { changewatch: VERSION },
      'processing:lineage':
        'Clear-sky per-band median composites of the scenes of each window (cloud masks opened and dilated), NDVI, change classes with a minimum mapping unit; see the summary asset for every parameter.',
    },
    links: [
      { rel: 'root', href: '../../catalog.json', type: 'application/json' },
      { rel: 'parent', href: '../collection.json', type: 'application/json' },
      { rel: 'collection', href: '../collection.json', type: 'application/json' },
      ...input.sources.map((href) => ({ rel: 'derived_from', href, type: 'application/geo+json' })),
    ],
    assets,
  };
}

export function aoiCollection(aoi: Aoi, items: readonly ResultItem[]): Json {
  const starts = items.map((item) => item.properties.start_datetime).sort();
  const ends = items.map((item) => item.properties.end_datetime).sort();
  return {
    type: 'Collection',
    stac_version: STAC_VERSION,
    id: aoi.id,
    title: aoi.name,
    description: `changewatch results for ${aoi.name} (${aoi.kind}, ${Math.round(aoi.areaHa).toLocaleString('en-US')} ha): ${aoi.analyses.join(', ')}. Contains modified Copernicus Sentinel and/or USGS Landsat data.`,
    license: 'other',
    keywords: ['change detection', ...aoi.analyses],
    providers: [{ name: 'changewatch', roles: ['processor'], description: `changewatch ${VERSION}` }],
    extent: {
      spatial: { bbox: [[...aoi.bbox]] },
      temporal: { interval: [[starts[0] ?? null, ends[ends.length - 1] ?? null]] },
    },
    links: [
      { rel: 'root', href: '../catalog.json', type: 'application/json' },
      { rel: 'parent', href: '../catalog.json', type: 'application/json' },
      ...[...items]
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((item) => ({
          rel: 'item',
          href: `./${item.id}/${item.id}.json`,
          type: 'application/geo+json',
          title: item.id,
        })),
    ],
  };
}

export function rootCatalog(collections: ReadonlyArray<{ id: string; title: string }>): Json {
  return {
    type: 'Catalog',
    stac_version: STAC_VERSION,
    id: 'changewatch',
    title: 'changewatch results',
    description:
      'Forest, settlement and mining change per area of interest, with the scenes and parameters behind every figure.',
    links: [
      { rel: 'root', href: './catalog.json', type: 'application/json' },
      ...[...collections]
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((collection) => ({
          rel: 'child',
          href: `./${collection.id}/collection.json`,
          type: 'application/json',
          title: collection.title,
        })),
    ],
  };
}
