import type { TypedArray } from 'geotiff';
import { projectedBounds } from '../../aoi/aoi.project.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { chooseLevel, scaleWindow, windowForBounds, type GeoTransform, type PixelWindow } from '../../workers/grid.js';
import { ChangewatchError } from '../errors.js';
import type { RasterReader, TileDecoder } from '../io/cog.reader.js';

export type { TileDecoder } from '../io/cog.reader.js';
import type { WindowTiles } from '../../workers/block.dates.js';
import type { ReadStats } from '../ports.js';
import type { BandName } from '../../workers/bands.js';
import { checkSceneAgreement } from './scene.agreement.js';
import type { Scene, SceneAsset } from './stac.profiles.js';

/**
 * The pixels of one scene that cover an AOI, in memory: for each band asked for (and the quality mask), the
 * AOI's outline projected into the raster's CRS (whatever its UTM zone), the covering window, read at the level
 * that matches the wanted resolution. Values stay digital numbers with their scale/offset: the compute core
 * turns them into reflectance.
 */

export interface AoiBand<Data = TypedArray> {
  href: string;
  /** Raw values, row-major, `width × height` (or, read with {@link fetchSceneForAoi}, maybe the window's tiles). */
  data: Data;
  width: number;
  height: number;
  epsg: number;
  /** Geotransform of the window read (at its level). */
  transform: GeoTransform;
  /** The window in the raster's level-0 pixels, for provenance and logs. */
  window: PixelWindow;
  level: number;
  scale: number;
  offset: number;
  nodata: number | undefined;
  /** What this window read cost: range requests and bytes (the header, read on opening, is in the opener totals). */
  cost: ReadStats;
}

export interface AoiScene<Data = TypedArray> {
  scene: Scene;
  bands: Partial<Record<BandName, AoiBand<Data>>>;
  mask?: AoiBand<Data>;
}

/** A window's pixels, or its tiles fetched but not decoded (workers/tile.window.ts assembles them). */
export type WindowPixels = TypedArray | WindowTiles;

/** How a file's window is read: its bands' values, or (for the workers) its tiles. */
type WindowReader<Data> = (
  reader: RasterReader,
  window: PixelWindow,
  options: { bands: number[]; level: number; signal?: AbortSignal; decode?: TileDecoder },
) => Promise<Data[]>;

const decodedWindow: WindowReader<TypedArray> = async (reader, window, options) =>
  (await reader.readWindow(window, options)).bands;

/** The window's decoded tiles when workers/tile.window.ts can assemble them, else its values read here. */
const tiledWindow: WindowReader<WindowPixels> = async (reader, window, options) => {
  const tiled = await reader.tiledWindow(window, options);
  if (!tiled) return decodedWindow(reader, window, options);
  // The bands of a file share its tiles: one window, assembled once, each band its output.
  return options.bands.map((_, band) => ({ tiles: tiled, band }));
};

export interface SceneReadOptions {
  bands: readonly BandName[];
  /** Read the scene's quality mask (SCL, QA_PIXEL) too. */
  mask: boolean;
  /** Coarsest pixel size wanted, in CRS units; overviews no coarser than this are used. Default: full resolution. */
  resolution?: number;
  /** Opens (and caches) the raster of an href, signed if its provider needs it. */
  open: (asset: SceneAsset, scene: Scene) => Promise<RasterReader>;
  signal?: AbortSignal;
  /** Decodes the tiles the cache lacks (a run's worker pool); default: on this thread. */
  decode?: TileDecoder;
}

/**
 * Reads the AOI window of one file for every asset of it asked for (a multi-band export holds red and NIR in one
 * file: one read, not two). Undefined when the file does not overlap the AOI.
 */
async function readFile<Data>(
  assets: SceneAsset[],
  scene: Scene,
  aoi: Pick<Aoi, 'geometry'>,
  options: SceneReadOptions,
  readPixels: WindowReader<Data>,
): Promise<Array<AoiBand<Data>> | undefined> {
  const first = assets[0]!;
  const reader = await options.open(first, scene);
  const before = reader.stats;
  const info = reader.info;
  if (info.epsg === undefined) {
    throw new ChangewatchError(
      'E_READ',
      `${scene.id} ${first.key}: the raster has no EPSG code: changewatch cannot place it`,
    );
  }
  for (const asset of assets) {
    checkSceneAgreement(scene, asset, info);
    if (asset.band >= info.bands) {
      throw new ChangewatchError(
        'E_READ',
        `${scene.id} ${asset.key}: band ${asset.band + 1} asked for, the file has ${info.bands}`,
      );
    }
  }
  const bounds = projectedBounds(aoi.geometry, info.epsg);
  const full = windowForBounds(bounds, info.transform, info.width, info.height);
  if (!full) return undefined;
  const level = options.resolution === undefined ? 0 : chooseLevel(info.levels, options.resolution);
  const { width: levelWidth, height: levelHeight } = info.levels[level]!;
  const factorX = info.width / levelWidth;
  const factorY = info.height / levelHeight;
  const window = level === 0 ? full : scaleWindow(full, factorX, factorY, levelWidth, levelHeight);
  const data = await readPixels(reader, window, {
    bands: assets.map((asset) => asset.band),
    level,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.decode ? { decode: options.decode } : {}),
  });
  const read = { width: window.x1 - window.x0, height: window.y1 - window.y0 };
  const [originX, pixelWidth, , originY, , pixelHeight] = info.transform;
  const levelPixelWidth = pixelWidth * factorX;
  const levelPixelHeight = pixelHeight * factorY;
  const cost = { requests: reader.stats.requests - before.requests, bytes: reader.stats.bytes - before.bytes };
  return assets.map((asset, index) => ({
    href: asset.href,
    data: data[index]!,
    width: read.width,
    height: read.height,
    epsg: info.epsg!,
    transform: [
      originX + window.x0 * levelPixelWidth,
      levelPixelWidth,
      0,
      originY + window.y0 * levelPixelHeight,
      0,
      levelPixelHeight,
    ] as const,
    window: full,
    level,
    scale: asset.scale,
    offset: asset.offset,
    nodata: asset.nodata ?? info.nodata,
    // The file's cost is booked on its first band; the others share that read.
    cost: index === 0 ? cost : { requests: 0, bytes: 0 },
  }));
}

/**
 * Reads the AOI's pixels of a scene; undefined when the scene's rasters do not overlap the AOI at all. Rejects with
 * a `SceneDisagreementError` (scene.agreement.ts) when a file and the scene's item disagree on its CRS or footprint.
 */
export function readSceneForAoi(
  scene: Scene,
  aoi: Pick<Aoi, 'geometry'>,
  options: SceneReadOptions,
): Promise<AoiScene | undefined> {
  return readScene(scene, aoi, options, decodedWindow);
}

/**
 * As {@link readSceneForAoi}, but a window workers/tile.window.ts can assemble comes as its decoded tiles (shared
 * memory), for the worker that computes the block to assemble; `options.decode` decodes the tiles not cached.
 */
export function fetchSceneForAoi(
  scene: Scene,
  aoi: Pick<Aoi, 'geometry'>,
  options: SceneReadOptions,
): Promise<AoiScene<WindowPixels> | undefined> {
  return readScene(scene, aoi, options, tiledWindow);
}

async function readScene<Data>(
  scene: Scene,
  aoi: Pick<Aoi, 'geometry'>,
  options: SceneReadOptions,
  readPixels: WindowReader<Data>,
): Promise<AoiScene<Data> | undefined> {
  const wanted: Array<{ name: BandName | 'mask'; asset: SceneAsset }> = [];
  for (const name of options.bands) {
    const asset = scene.bands[name];
    if (!asset)
      throw new ChangewatchError('E_READ', `${scene.id}: no ${name} band in this scene (profile ${scene.profile})`);
    wanted.push({ name, asset });
  }
  if (options.mask && scene.mask) wanted.push({ name: 'mask', asset: scene.mask.asset });
  const byFile = new Map<string, Array<{ name: BandName | 'mask'; asset: SceneAsset }>>();
  for (const entry of wanted) byFile.set(entry.asset.href, [...(byFile.get(entry.asset.href) ?? []), entry]);
  const bands: Partial<Record<BandName, AoiBand<Data>>> = {};
  let mask: AoiBand<Data> | undefined;
  for (const entries of byFile.values()) {
    const reads = await readFile(
      entries.map((entry) => entry.asset),
      scene,
      aoi,
      options,
      readPixels,
    );
    if (!reads) return undefined;
    entries.forEach((entry, index) => {
      if (entry.name === 'mask') mask = reads[index];
      else bands[entry.name] = reads[index];
    });
  }
  return { scene, bands, ...(mask ? { mask } : {}) };
}

/** Sums the read statistics of rasters (header and tiles), for the run report. */
export function totalStats(readers: Iterable<RasterReader>): ReadStats {
  let requests = 0;
  let bytes = 0;
  for (const reader of readers) {
    requests += reader.stats.requests;
    bytes += reader.stats.bytes;
  }
  return { requests, bytes };
}
