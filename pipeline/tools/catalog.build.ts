import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type { Position } from '../../aoi/geometry.js';
import { gridOutline } from '../../aoi/rasterize.js';
import { ChangewatchError } from '../errors.js';
import { FileByteSource } from '../io/byte.source.file.js';
import { RasterReader, type RasterInfo } from '../io/cog.reader.js';
import { BAND_NAMES, INDEX_BANDS, POLARIZATIONS, type BackscatterUnit, type BandName } from '../../workers/bands.js';
import { nodataAsStored } from '../../workers/masks.js';
import { VERSION } from '../version.js';

/**
 * `changewatch catalog build`: a static STAC catalog from a folder of plain GeoTIFFs (researchers' own exports).
 * Footprint and projection come from the files, the date from the file name (or the TIFF DateTime tag), bands
 * from `--bands`, and `eo:cloud_cover` from the share of no-data pixels when clouds were masked to NaN/nodata.
 */

export interface CatalogBuildOptions {
  /** Folder of .tif/.tiff files (searched recursively). */
  dir: string;
  /** Where catalog.json goes; items go to `items/` beside it. */
  out: string;
  /** eo:common_name of each band of the files, in order. */
  bands: BandName[];
  /** Collection id; default: the folder name as a slug. */
  collection?: string;
  /**
   * Radar files (bands vv/vh): whether the values are decibels or a linear power ratio, written as raster:bands
   * `unit` ("dB" or "linear"). Required for radar bands, refused for spectral ones.
   */
  unit?: BackscatterUnit;
  /** DN → physical value: value × scale + offset (e.g. 0.0001 for reflectance × 10000). */
  scale: number;
  offset: number;
  /** Count no-data pixels as cloud for eo:cloud_cover (files whose producer masked clouds to NaN/nodata). */
  nodataIsCloud: boolean;
  /** Called after each file, for progress. */
  onFile?: (event: { file: string; index: number; total: number; cloudCover?: number }) => void;
}

export interface CatalogBuildResult {
  catalog: string;
  items: number;
  skipped: Array<{ file: string; reason: string }>;
}

/**
 * The acquisition time a file name carries: a GEE/Sentinel-2 index (`20210601T080609_…`), a compact date
 * (`20210611_…`, `LC08_…_20201031_…`) or an ISO date (`2021-06-11`). Undefined when none.
 */
export function dateFromName(name: string): string | undefined {
  const stamp = /(?:^|[^\d])(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:[^\d]|$)/.exec(name);
  if (stamp) return validDate(stamp.slice(1, 7).map(Number));
  const iso = /(?:^|[^\d])(\d{4})-(\d{2})-(\d{2})(?:[^\d]|$)/.exec(name);
  if (iso) return validDate([...iso.slice(1, 4).map(Number), 0, 0, 0]);
  const compact = /(?:^|[^\d])((?:19|20)\d{2})(\d{2})(\d{2})(?:[^\d]|$)/.exec(name);
  if (compact) return validDate([...compact.slice(1, 4).map(Number), 0, 0, 0]);
  return undefined;
}

function validDate([year, month, day, hour, minute, second]: number[]): string | undefined {
  const date = new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!));
  if (date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day! || hour! > 23 || minute! > 59 || second! > 59) {
    return undefined;
  }
  return date.toISOString();
}

/** TIFF DateTime (tag 306) "YYYY:MM:DD HH:MM:SS" → ISO, when the name has no date. */
function dateFromTag(value: unknown): string | undefined {
  const match = typeof value === 'string' ? /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(value) : null;
  return match ? validDate(match.slice(1, 7).map(Number)) : undefined;
}

/** Geographic CRSs, whose coordinates are degrees (EPSG:4326, WGS 84): the only one changewatch projects from. */
const GEOGRAPHIC = new Set([4326]);

/**
 * Refuses a raster whose coordinates cannot be in its CRS: degrees beyond ±180/±90 in a geographic CRS (a UTM
 * export labelled EPSG:4326, whose item would get a bbox in metres), or an outline that does not land on the
 * globe once projected.
 */
function checkCoordinateRange(info: RasterInfo, epsg: number, ring: Position[]): void {
  const [x0, dx, , y0, , dy] = info.transform;
  const xs = [x0, x0 + info.width * dx];
  const ys = [y0, y0 + info.height * dy];
  const extent = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  const shown = `[${extent.map((value) => Number(value.toFixed(6))).join(', ')}]`;
  // Half a millionth of a degree of slack: global grids whose edges GDAL wrote at ±180.0000001.
  const onGlobe = ([lon, lat]: readonly number[]) => Math.abs(lon!) <= 180 + 1e-6 && Math.abs(lat!) <= 90 + 1e-6;
  const geographic = GEOGRAPHIC.has(epsg);
  if (geographic ? onGlobe([extent[0]!, extent[1]!]) && onGlobe([extent[2]!, extent[3]!]) : ring.every(onGlobe)) {
    return;
  }
  const hint = geographic
    ? "they look like projected metres, not degrees; set the file's CRS (gdal_edit.py -a_srs EPSG:<code>) or export it again with its CRS"
    : "set the file's CRS (gdal_edit.py -a_srs EPSG:<code>) or export it again with its CRS";
  throw new ChangewatchError(
    'E_READ',
    `coordinates ${shown} are out of range for EPSG:${epsg} (${geographic ? 'longitude -180..180, latitude -90..90' : 'they project outside longitude -180..180, latitude -90..90'}): ${hint}`,
  );
}

/**
 * The footprint of a raster in lon/lat: its outline densified (8 points an edge) and transformed. Refuses (E_READ)
 * a raster without an EPSG code, or whose coordinates are out of range for its CRS.
 */
export function footprint(info: RasterInfo): {
  geometry: { type: 'Polygon'; coordinates: Position[][] };
  bbox: number[];
} {
  if (info.epsg === undefined) {
    throw new ChangewatchError('E_READ', `${info.url}: no EPSG code in the GeoKeys: export the file with its CRS`);
  }
  const outline = gridOutline({ epsg: info.epsg, width: info.width, height: info.height, transform: info.transform });
  checkCoordinateRange(info, info.epsg, outline);
  const ring = outline.map(([lon, lat]): Position => [Number(lon.toFixed(7)), Number(lat.toFixed(7))]);
  const lons = ring.map((p) => p[0]);
  const lats = ring.map((p) => p[1]);
  return {
    geometry: { type: 'Polygon', coordinates: [ring] },
    bbox: [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)],
  };
}

/** Share (0-1) of pixels where any band is NaN or nodata, read at the coarsest level at least 512 px wide. */
async function nodataFraction(reader: RasterReader): Promise<number> {
  const levels = reader.info.levels;
  let level = 0;
  levels.forEach((candidate, index) => {
    if (candidate.width >= 512) level = index;
  });
  const { width, height } = levels[level]!;
  const read = await reader.readWindow({ x0: 0, y0: 0, x1: width, y1: height }, { level });
  const nodata = nodataAsStored(read.bands[0]!, reader.info.nodata);
  let missing = 0;
  for (let i = 0; i < width * height; i++) {
    for (const band of read.bands) {
      const value = band[i]!;
      if (Number.isNaN(value) || (nodata !== undefined && value === nodata)) {
        missing++;
        break;
      }
    }
  }
  return missing / (width * height);
}

async function tiffsIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new ChangewatchError('E_USAGE', `${dir}: cannot list (${error.code ?? 'error'}): give a folder of GeoTIFFs`, {
      cause: error,
    });
  });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await tiffsIn(path)));
    else if (/\.tiff?$/i.test(entry.name)) files.push(path);
  }
  return files;
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'local';

/** Where the catalog goes, and what every item shares. */
interface CatalogTarget {
  options: CatalogBuildOptions;
  /** catalog.json, absolute; items go to `items/` beside it. */
  out: string;
  root: string;
  collection: string;
}

/** A file written as an item: what the catalog's links and extent need from it. */
interface CataloguedFile {
  id: string;
  datetime: string;
  bbox: number[];
  cloudCover: number;
}

/** The union of the items' bounding boxes and times. */
interface CatalogExtent {
  west: number;
  south: number;
  east: number;
  north: number;
  start: string;
  end: string;
}

const isRadarBand = (band: BandName) => (POLARIZATIONS as readonly string[]).includes(band);
/** An index exported as a band (`ndvi`): named `NDVI`, as radar bands are named, since eo has no common name for it. */
const isIndexBand = (band: BandName) => (INDEX_BANDS as readonly string[]).includes(band);

/** Known band names, all radar or all spectral, and a unit exactly when they are radar. */
function checkBandNames(bands: BandName[], unit: BackscatterUnit | undefined): void {
  for (const band of bands) {
    if (!BAND_NAMES.includes(band)) {
      throw new ChangewatchError(
        'E_USAGE',
        `--bands: unknown band "${band}": use eo:common_name values or polarisations (${BAND_NAMES.join(', ')})`,
      );
    }
  }
  const radar = bands.filter(isRadarBand).length;
  if (radar > 0 && radar < bands.length) {
    throw new ChangewatchError(
      'E_USAGE',
      `--bands: ${bands.join(',')} mixes radar and optical bands: catalogue them apart`,
    );
  }
  if (radar > 0 && unit === undefined) {
    throw new ChangewatchError('E_USAGE', `--bands ${bands.join(',')}: radar bands need --unit db or --unit linear`);
  }
  if (radar === 0 && unit !== undefined) {
    throw new ChangewatchError('E_USAGE', `--unit ${unit}: only radar bands (${POLARIZATIONS.join(', ')}) have a unit`);
  }
}

/**
 * Writes the STAC item of one file; returns the reason instead when the file does not fit the options (its band
 * count) or has no date, which the user fixes by renaming or re-exporting, not by a code change.
 */
async function catalogueFile(file: string, target: CatalogTarget): Promise<CataloguedFile | { skip: string }> {
  const { options, root } = target;
  const reader = await RasterReader.open(new FileByteSource(file));
  const info = reader.info;
  if (info.bands !== options.bands.length) {
    return {
      skip: `has ${info.bands} band(s) but --bands names ${options.bands.length}: name every band of the file, in order`,
    };
  }
  const datetime = dateFromName(basename(file)) ?? dateFromTag(await reader.tag('DateTime'));
  if (!datetime) return { skip: 'no date in the file name or DateTime tag: name files like 20210611_…tif' };
  const { geometry, bbox } = footprint(info);
  const fraction = await nodataFraction(reader);
  const id = basename(file, extname(file));
  const cloudCover = Number((fraction * 100).toFixed(3));
  const item = stacItem(target, file, info, { id, datetime, bbox, cloudCover }, geometry);
  await writeFile(join(root, 'items', `${id}.json`), `${JSON.stringify(item, null, 2)}\n`);
  return { id, datetime, bbox, cloudCover };
}

/**
 * The asset's eo:bands and raster:bands. Spectral bands carry their eo:common_name; radar bands are named by their
 * polarisation (VV, VH), as Sentinel-1 items name them (the eo extension has no common name for them), and their
 * unit ("dB" or "linear") is stated in raster:bands; an index band by its name (NDVI).
 */
function assetBands(info: RasterInfo, options: CatalogBuildOptions) {
  const unit = options.unit === undefined ? undefined : options.unit === 'db' ? 'dB' : 'linear';
  return {
    'eo:bands': info.bandNames.map((name, band) =>
      unit === undefined && !isIndexBand(options.bands[band]!)
        ? { name: name ?? options.bands[band], common_name: options.bands[band] }
        : { name: options.bands[band]!.toUpperCase(), ...(name ? { description: name } : {}) },
    ),
    'raster:bands': info.bandNames.map(() => ({
      data_type: info.dataType,
      scale: options.scale,
      offset: options.offset,
      ...(unit !== undefined ? { unit } : {}),
      ...(info.nodata !== undefined && !Number.isNaN(info.nodata) ? { nodata: info.nodata } : {}),
      ...(info.dataType.startsWith('float') && info.nodata === undefined ? { nodata: 'nan' } : {}),
    })),
  };
}

/** A GDAL geotransform (x0, xres, xrot, y0, yrot, yres) as the projection extension's affine coefficients. */
function affineOf([x0, xres, xrot, y0, yrot, yres]: readonly number[]): number[] {
  return [xres!, xrot!, x0!, yrot!, yres!, y0!];
}

function stacItem(
  target: CatalogTarget,
  file: string,
  info: RasterInfo,
  { id, datetime, bbox, cloudCover }: CataloguedFile,
  geometry: ReturnType<typeof footprint>['geometry'],
) {
  const { options, out, root, collection } = target;
  return {
    type: 'Feature',
    stac_version: '1.0.0',
    stac_extensions: [
      'https://stac-extensions.github.io/eo/v1.1.0/schema.json',
      'https://stac-extensions.github.io/projection/v1.1.0/schema.json',
      'https://stac-extensions.github.io/raster/v1.1.0/schema.json',
    ],
    id,
    collection,
    geometry,
    bbox,
    properties: {
      datetime,
      // Radar sees through cloud: its no-data is swath edge or layover, never cloud.
      ...(options.nodataIsCloud && options.unit === undefined ? { 'eo:cloud_cover': cloudCover } : {}),
      'proj:epsg': info.epsg,
      'proj:shape': [info.height, info.width],
      // The projection extension's affine order (a, b, c, d, e, f: rasterio's), not GDAL's geotransform order.
      'proj:transform': affineOf(info.transform),
      gsd: Math.abs(info.transform[1]),
      'changewatch:nodata_percent': cloudCover,
      'changewatch:source_file': basename(file),
      created: new Date().toISOString(),
      'processing:software': { changewatch: VERSION },
    },
    links: [
      { rel: 'root', href: relative(join(root, 'items'), out), type: 'application/json' },
      { rel: 'parent', href: relative(join(root, 'items'), out), type: 'application/json' },
      { rel: 'self', href: `${id}.json`, type: 'application/geo+json' },
    ],
    assets: {
      data: {
        href: relative(join(root, 'items'), resolve(file)),
        type: 'image/tiff; application=geotiff',
        roles: ['data'],
        ...assetBands(info, options),
      },
    },
  };
}

function growExtent(extent: CatalogExtent, bbox: number[], datetime: string): void {
  extent.west = Math.min(extent.west, bbox[0]!);
  extent.south = Math.min(extent.south, bbox[1]!);
  extent.east = Math.max(extent.east, bbox[2]!);
  extent.north = Math.max(extent.north, bbox[3]!);
  extent.start = !extent.start || datetime < extent.start ? datetime : extent.start;
  extent.end = !extent.end || datetime > extent.end ? datetime : extent.end;
}

function stacCollection(target: CatalogTarget, itemLinks: Array<{ href: string }>, extent: CatalogExtent) {
  const { options, out, collection } = target;
  return {
    type: 'Collection',
    stac_version: '1.0.0',
    id: collection,
    description: `Static catalog of ${itemLinks.length} GeoTIFF(s) from ${basename(resolve(options.dir))}, built by changewatch ${VERSION}`,
    license: 'other',
    extent: {
      spatial: { bbox: [[extent.west, extent.south, extent.east, extent.north]] },
      temporal: { interval: [[extent.start, extent.end]] },
    },
    links: [{ rel: 'root', href: `./${basename(out)}`, type: 'application/json' }, ...itemLinks],
  };
}

export async function buildCatalog(options: CatalogBuildOptions): Promise<CatalogBuildResult> {
  checkBandNames(options.bands, options.unit);
  const files = await tiffsIn(options.dir);
  if (files.length === 0) throw new ChangewatchError('E_USAGE', `${options.dir}: no .tif or .tiff files found`);
  const out = resolve(options.out);
  const target: CatalogTarget = {
    options,
    out,
    root: dirname(out),
    collection: options.collection ?? slug(basename(resolve(options.dir))),
  };
  const skipped: CatalogBuildResult['skipped'] = [];
  const itemLinks: Array<{ rel: string; href: string; type: string }> = [];
  const extent: CatalogExtent = {
    west: Infinity,
    south: Infinity,
    east: -Infinity,
    north: -Infinity,
    start: '',
    end: '',
  };
  await mkdir(join(target.root, 'items'), { recursive: true });

  for (const [index, file] of files.entries()) {
    try {
      const done = await catalogueFile(file, target);
      if ('skip' in done) {
        skipped.push({ file, reason: done.skip });
        continue;
      }
      itemLinks.push({ rel: 'item', href: `./items/${done.id}.json`, type: 'application/geo+json' });
      growExtent(extent, done.bbox, done.datetime);
      options.onFile?.({ file, index: index + 1, total: files.length, cloudCover: done.cloudCover });
    } catch (error) {
      // A file that cannot be read is reported and the others catalogued; a usage error or a bug stops the build.
      if (!(error instanceof ChangewatchError) || error.outcome === 'usage') throw error;
      skipped.push({ file, reason: error.message });
    }
  }
  if (itemLinks.length === 0) {
    throw new ChangewatchError(
      'E_USAGE',
      `${options.dir}: no file could be catalogued:\n${skipped.map((s) => `${s.file}: ${s.reason}`).join('\n')}`,
    );
  }
  await writeFile(out, `${JSON.stringify(stacCollection(target, itemLinks, extent), null, 2)}\n`);
  return { catalog: out, items: itemLinks.length, skipped };
}
