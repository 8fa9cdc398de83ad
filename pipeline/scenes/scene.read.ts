import type { TypedArray } from 'geotiff';
import { projectedBounds } from '../../aoi/aoi.project.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { chooseLevel, scaleWindow, windowForBounds, type GeoTransform, type PixelWindow } from '../../workers/grid.js';
import { ChangewatchError } from '../errors.js';
import type { RasterReader } from '../io/cog.reader.js';
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

export interface AoiBand {
  href: string;
  /** Raw values, row-major, `width × height`. */
  data: TypedArray;
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

export interface AoiScene {
  scene: Scene;
  bands: Partial<Record<BandName, AoiBand>>;
  mask?: AoiBand;
}

export interface SceneReadOptions {
  bands: readonly BandName[];
  /** Read the scene's quality mask (SCL, QA_PIXEL) too. */
  mask: boolean;
  /** Coarsest pixel size wanted, in CRS units; overviews no coarser than this are used. Default: full resolution. */
  resolution?: number;
  /** Opens (and caches) the raster of an href, signed if its provider needs it. */
  open: (asset: SceneAsset, scene: Scene) => Promise<RasterReader>;
  signal?: AbortSignal;
}

/**
 * Reads the AOI window of one file for every asset of it asked for (a multi-band export holds red and NIR in one
 * file: one read, not two). Undefined when the file does not overlap the AOI.
 */
async function readFile(
  assets: SceneAsset[],
  scene: Scene,
  aoi: Pick<Aoi, 'geometry'>,
  options: SceneReadOptions,
): Promise<AoiBand[] | undefined> {
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
  const read = await reader.readWindow(window, {
    bands: assets.map((asset) => asset.band),
    level,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const [originX, pixelWidth, , originY, , pixelHeight] = info.transform;
  const levelPixelWidth = pixelWidth * factorX;
  const levelPixelHeight = pixelHeight * factorY;
  const cost = { requests: reader.stats.requests - before.requests, bytes: reader.stats.bytes - before.bytes };
  return assets.map((asset, index) => ({
    href: asset.href,
    data: read.bands[index]!,
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
export async function readSceneForAoi(
  scene: Scene,
  aoi: Pick<Aoi, 'geometry'>,
  options: SceneReadOptions,
): Promise<AoiScene | undefined> {
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
  const bands: Partial<Record<BandName, AoiBand>> = {};
  let mask: AoiBand | undefined;
  for (const entries of byFile.values()) {
    const reads = await readFile(
      entries.map((entry) => entry.asset),
      scene,
      aoi,
      options,
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
