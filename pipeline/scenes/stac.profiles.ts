import create from 'stac-js';
import { BAND_NAMES, type BandName } from '../../workers/bands.js';
import type { StacItem } from '../ports.js';

/**
 * Provider profiles: how the items of one collection at one provider map onto changewatch's bands, masks and
 * radiometry. A registry of small objects, first match wins, instead of `if` chains in the readers. Pure.
 */

/** Per-pixel quality layers changewatch understands. */
export type MaskKind = 'scl' | 'qa_pixel' | 'fmask';

export interface SceneAsset {
  /** Asset key in the item (`red`, `B04`…). */
  key: string;
  href: string;
  /** Band of the file to read, 0-based (multi-band exports carry several bands in one asset). */
  band: number;
  /** Physical value = DN × scale + offset (reflectance for spectral bands). */
  scale: number;
  offset: number;
  nodata?: number;
  /** The asset's own `proj:code`/`proj:epsg`, when it states one (it overrides the item's). */
  epsg?: number;
}

/** How hrefs must be signed before reading. */
export type Signing = 'planetary-computer';

export interface Scene {
  id: string;
  collection: string;
  /** Name of the profile that read the item. */
  profile: string;
  /** Acquisition time, ISO 8601 UTC, from `properties.datetime`. */
  datetime: string;
  platform?: string;
  /** `eo:cloud_cover`, percent. */
  cloudCover?: number;
  /** MGRS tile or WRS-2 path/row. */
  tile?: string;
  /** Sentinel-2 processing baseline (e.g. "04.00"). */
  processingBaseline?: string;
  epsg?: number;
  bbox?: [number, number, number, number];
  bands: Partial<Record<BandName, SceneAsset>>;
  mask?: { kind: MaskKind; asset: SceneAsset };
  /** The item's `self` link, for provenance. */
  href?: string;
  signing?: Signing;
}

/** An item a profile recognised but that cannot be used, with the reason users should read. */
export interface Unusable {
  id: string;
  collection: string;
  reason: string;
}

type Json = Record<string, unknown>;
export type { StacItem };
export interface Profile {
  name: string;
  matches(item: StacItem): boolean;
  read(item: StacItem): Scene | Unusable;
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Sentinel-2 L2A reflectance: DN × 1e-4, and from processing baseline 04.00 (25 Jan 2022) DN carry an added
 * BOA_ADD_OFFSET of +1000, so reflectance = DN × 1e-4 − 0.1. Source: ESA, "Copernicus Sentinel-2: Major Products
 * Upgrade Upcoming" (S2 MPC, 2021) and the L2A product specification (BOA_QUANTIFICATION_VALUE 10000,
 * BOA_ADD_OFFSET −1000).
 */
export const S2_SCALE = 1e-4;
export const S2_OFFSET_FROM_BASELINE_0400 = -0.1;

/**
 * Landsat Collection 2 Level-2 surface reflectance: DN × 0.0000275 − 0.2. Source: USGS, "Landsat Collection 2
 * Level-2 Science Products" (scale 2.75e-05, offset −0.2).
 */
export const LANDSAT_C2_SCALE = 2.75e-5;
export const LANDSAT_C2_OFFSET = -0.2;

function baselineAtLeast0400(baseline: string | undefined): boolean {
  if (!baseline) return false;
  const value = Number.parseFloat(baseline);
  return Number.isFinite(value) && value >= 4;
}

function rasterBand(asset: Json, index: number): Json | undefined {
  const bands = asset['raster:bands'] ?? asset.bands;
  return Array.isArray(bands) && isObject(bands[index]) ? bands[index] : undefined;
}

function numberOr(value: unknown, fallback: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** An asset, with scale/offset from `raster:bands` when the provider states them, else from `fallback`. */
function assetOf(
  item: StacItem,
  key: string,
  fallback: { scale: number; offset: number },
  band = 0,
): SceneAsset | undefined {
  const asset = item.assets[key];
  if (!isObject(asset) || typeof asset.href !== 'string') return undefined;
  const raster = rasterBand(asset, band);
  const nodata = numberOr(raster?.nodata, numberOr(asset.nodata, undefined));
  const epsg = numberOr(asset['proj:epsg'], undefined) ?? parseProjCode(asset['proj:code']);
  return {
    key,
    href: asset.href,
    band,
    scale: numberOr(raster?.scale, numberOr(raster?.['raster:scale'], fallback.scale))!,
    offset: numberOr(raster?.offset, numberOr(raster?.['raster:offset'], fallback.offset))!,
    ...(nodata !== undefined ? { nodata } : {}),
    ...(epsg !== undefined ? { epsg } : {}),
  };
}

function common(item: StacItem, profile: string): Omit<Scene, 'bands'> {
  const p = item.properties;
  const epsg = numberOr(p['proj:epsg'], undefined) ?? parseProjCode(p['proj:code']);
  const tile =
    (typeof p['grid:code'] === 'string' ? p['grid:code'].replace(/^(MGRS|WRS2)-/, '') : undefined) ??
    (typeof p['s2:mgrs_tile'] === 'string' ? p['s2:mgrs_tile'] : undefined) ??
    (p['landsat:wrs_path'] !== undefined
      ? `${String(p['landsat:wrs_path'])}${String(p['landsat:wrs_row'])}`
      : undefined) ??
    (p['mgrs:utm_zone'] !== undefined
      ? `${String(p['mgrs:utm_zone'])}${String(p['mgrs:latitude_band'])}${String(p['mgrs:grid_square'])}`
      : undefined) ??
    (p['sentinel:utm_zone'] !== undefined
      ? `${String(p['sentinel:utm_zone'])}${String(p['sentinel:latitude_band'])}${String(p['sentinel:grid_square'])}`
      : undefined) ??
    // Sentinel-2 ids carry the MGRS tile (S2A_28QCH_…, …_T35MNM_…) when the properties do not.
    /(?:^S2[A-D]_|_T)(\d{2}[C-X][A-Z]{2})(?:_|$)/.exec(item.id)?.[1];
  const baseline = p['s2:processing_baseline'] ?? p['sentinel:processing_baseline'];
  const self = item.links?.find((link) => link.rel === 'self')?.href;
  const cloudCover = numberOr(p['eo:cloud_cover'], undefined);
  return {
    id: item.id,
    collection: item.collection ?? 'unknown',
    profile,
    datetime: new Date(String(p.datetime)).toISOString(),
    ...(typeof p.platform === 'string' ? { platform: p.platform.toLowerCase() } : {}),
    ...(cloudCover !== undefined ? { cloudCover } : {}),
    ...(tile !== undefined ? { tile } : {}),
    ...(typeof baseline === 'string' ? { processingBaseline: baseline } : {}),
    ...(epsg !== undefined ? { epsg } : {}),
    ...(Array.isArray(item.bbox) && item.bbox.length === 4
      ? { bbox: item.bbox as [number, number, number, number] }
      : {}),
    ...(self ? { href: self } : {}),
  };
}

function parseProjCode(code: unknown): number | undefined {
  const match = typeof code === 'string' ? /^EPSG:(\d+)$/.exec(code) : null;
  return match ? Number(match[1]) : undefined;
}

/** Builds a scene from a key map, or says which required assets are missing. */
function fromKeys(
  item: StacItem,
  profile: string,
  keys: Partial<Record<BandName, string | { key: string; band: number }>>,
  mask: { kind: MaskKind; key: string } | undefined,
  radiometry: { scale: number; offset: number },
  signing?: Signing,
): Scene | Unusable {
  const bands: Partial<Record<BandName, SceneAsset>> = {};
  for (const [band, where] of Object.entries(keys) as Array<[BandName, string | { key: string; band: number }]>) {
    const asset =
      typeof where === 'string' ? assetOf(item, where, radiometry) : assetOf(item, where.key, radiometry, where.band);
    if (asset) bands[band] = asset;
  }
  const missing = (['red', 'nir'] as const)
    .filter((band) => !bands[band])
    .map((band) => {
      const where = keys[band];
      return where === undefined ? band : `"${typeof where === 'string' ? where : where.key}"`;
    });
  if (missing.length > 0) {
    return {
      id: item.id,
      collection: item.collection ?? 'unknown',
      reason: `${profile}: item has no ${missing.join(' or ')} asset: changewatch needs red and NIR bands`,
    };
  }
  const maskAsset = mask ? assetOf(item, mask.key, { scale: 1, offset: 0 }) : undefined;
  return {
    ...common(item, profile),
    bands,
    ...(maskAsset && mask ? { mask: { kind: mask.kind, asset: maskAsset } } : {}),
    ...(signing ? { signing } : {}),
  };
}

function s2Radiometry(item: StacItem): { scale: number; offset: number } {
  const baseline = item.properties['s2:processing_baseline'] ?? item.properties['sentinel:processing_baseline'];
  // Earth Search v1 states the offset in raster:bands (earthsearch:boa_offset_applied); assetOf prefers that.
  return {
    scale: S2_SCALE,
    offset: baselineAtLeast0400(typeof baseline === 'string' ? baseline : undefined) ? S2_OFFSET_FROM_BASELINE_0400 : 0,
  };
}

const hrefHost = (item: StacItem): string => {
  const href = Object.values(item.assets).find((asset) => isObject(asset) && typeof asset.href === 'string')?.href;
  try {
    return new URL(String(href)).host;
  } catch {
    return '';
  }
};

const EARTH_SEARCH_S2_KEYS = {
  blue: 'blue',
  green: 'green',
  red: 'red',
  nir: 'nir',
  swir16: 'swir16',
  swir22: 'swir22',
};
const S2_SAFE_KEYS = { blue: 'B02', green: 'B03', red: 'B04', nir: 'B08', swir16: 'B11', swir22: 'B12' };
const LANDSAT_KEYS = { blue: 'blue', green: 'green', red: 'red', nir: 'nir08', swir16: 'swir16', swir22: 'swir22' };

const GENERIC_MASK_KEYS: Readonly<Record<string, MaskKind>> = { scl: 'scl', qa_pixel: 'qa_pixel', fmask: 'fmask' };

export const PROFILES: readonly Profile[] = [
  {
    // Earth Search v1 sentinel-2-l2a and sentinel-2-c1-l2a: common-name keys, raster:bands with scale/offset.
    name: 'earth-search-sentinel-2',
    matches: (item) =>
      ['sentinel-2-l2a', 'sentinel-2-c1-l2a'].includes(item.collection ?? '') &&
      'red' in item.assets &&
      'scl' in item.assets,
    read: (item) =>
      fromKeys(item, 'earth-search-sentinel-2', EARTH_SEARCH_S2_KEYS, { kind: 'scl', key: 'scl' }, s2Radiometry(item)),
  },
  {
    // Planetary Computer sentinel-2-l2a: SAFE band names, no offset stated, baseline 04.00 offset applied here.
    name: 'planetary-computer-sentinel-2',
    matches: (item) => item.collection === 'sentinel-2-l2a' && 'B04' in item.assets && 'SCL' in item.assets,
    read: (item) =>
      fromKeys(
        item,
        'planetary-computer-sentinel-2',
        S2_SAFE_KEYS,
        { kind: 'scl', key: 'SCL' },
        s2Radiometry(item),
        hrefHost(item).endsWith('.blob.core.windows.net') ? 'planetary-computer' : undefined,
      ),
  },
  {
    // Earth Search v0 sentinel-s2-l2a-cogs (the Morocco sample's layout): SAFE band names.
    name: 'earth-search-v0-sentinel-2',
    matches: (item) => item.collection === 'sentinel-s2-l2a-cogs' && 'B04' in item.assets,
    read: (item) =>
      fromKeys(item, 'earth-search-v0-sentinel-2', S2_SAFE_KEYS, { kind: 'scl', key: 'SCL' }, s2Radiometry(item)),
  },
  {
    // Earth Search landsat-c2-l2 points at the USGS requester-pays bucket: reading it bills the reader.
    name: 'earth-search-landsat-requester-pays',
    matches: (item) =>
      item.collection === 'landsat-c2-l2' &&
      Object.values(item.assets).some(
        (asset) => isObject(asset) && String(asset.href).startsWith('s3://usgs-landsat/'),
      ),
    read: (item) => ({
      id: item.id,
      collection: item.collection ?? 'landsat-c2-l2',
      reason:
        'landsat-c2-l2 on Earth Search points at the requester-pays bucket s3://usgs-landsat (reads are billed to your AWS account and need credentials): use Planetary Computer landsat-c2-l2 or leave Landsat out of stac.collections',
    }),
  },
  {
    // Landsat Collection 2 Level-2 (Planetary Computer and other https hosts): common-name keys, QA_PIXEL bits.
    name: 'landsat-c2-l2',
    matches: (item) => item.collection === 'landsat-c2-l2' && 'red' in item.assets && 'qa_pixel' in item.assets,
    read: (item) =>
      fromKeys(
        item,
        'landsat-c2-l2',
        LANDSAT_KEYS,
        { kind: 'qa_pixel', key: 'qa_pixel' },
        { scale: LANDSAT_C2_SCALE, offset: LANDSAT_C2_OFFSET },
        hrefHost(item).endsWith('.blob.core.windows.net') ? 'planetary-computer' : undefined,
      ),
  },
  {
    // Anything else: bands found by eo:common_name (stac-js), in single-band assets first, then in multi-band
    // data assets (researchers' exports); display assets (visual, overview, thumbnail) never. A quality mask when
    // an asset has a known mask key (scl, qa_pixel, fmask).
    name: 'generic',
    matches: () => true,
    read: (item) => {
      // stac-js migrates older items (eo:bands, raster:bands) to STAC 1.1 `bands` before the lookup.
      const stac = create(structuredClone(item));
      const found: Partial<Record<BandName, { key: string; band: number; single: boolean }>> = {};
      for (const asset of stac.getAssets()) {
        const type = String(asset.getMetadata('type') ?? '');
        const roles = asset.getMetadata('roles');
        const display =
          Array.isArray(roles) && roles.some((role) => ['visual', 'overview', 'thumbnail'].includes(String(role)));
        if (display || (type !== '' && !type.includes('tiff'))) continue;
        const bands = asset.getBands();
        bands.forEach((band, index) => {
          const common = band.getMetadata('eo:common_name');
          const name = (common === 'nir08' ? 'nir' : common) as BandName;
          if (!BAND_NAMES.includes(name)) return;
          const single = bands.length === 1;
          const current = found[name];
          if (!current || (single && !current.single)) found[name] = { key: asset.getKey(), band: index, single };
        });
      }
      const keys = Object.fromEntries(
        Object.entries(found).map(([name, where]) => [name, { key: where.key, band: where.band }]),
      ) as Partial<Record<BandName, { key: string; band: number }>>;
      // A quality layer by its usual key (Sentinel-2 SCL, Landsat QA_PIXEL, Fmask), whatever the case.
      const maskKey = Object.keys(item.assets).find((key) => GENERIC_MASK_KEYS[key.toLowerCase()]);
      const mask = maskKey ? { kind: GENERIC_MASK_KEYS[maskKey.toLowerCase()]!, key: maskKey } : undefined;
      return fromKeys(item, 'generic', keys, mask, { scale: 1, offset: 0 });
    },
  },
];

export function readItem(item: StacItem): Scene | Unusable {
  const profile = PROFILES.find((candidate) => candidate.matches(item))!;
  return profile.read(item);
}

export function isScene(value: Scene | Unusable): value is Scene {
  return 'bands' in value;
}
