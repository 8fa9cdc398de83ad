import create from 'stac-js';
import {
  POLARIZATIONS,
  SPECTRAL_BANDS,
  INDEX_BANDS,
  type BackscatterUnit,
  type BandName,
  type Polarization,
} from '../../workers/bands.js';
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
  /** The file's checksum as the item states it (`file:checksum`, a multihash), for the record; never verified here. */
  checksum?: string;
}

/** What a radar scene's values are, and which orbit took them. */
export interface SarInfo {
  /** Linear power ratio or decibels: the product converts to what its distributions are written in. */
  unit: BackscatterUnit;
  /**
   * `sat:orbit_state`. Ascending and descending passes see a slope from opposite sides (and at other local times):
   * their backscatter differs on sloped ground, so a time series keeps them apart.
   */
  orbitState?: 'ascending' | 'descending';
  /** `sat:relative_orbit`: the track, whose viewing geometry repeats every 12 days (Sentinel-1 orbit cycle). */
  relativeOrbit?: number;
  /** `sar:polarizations` as the item states them (`VV`, `VH`). */
  polarizations?: string[];
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
  /** Radar scenes only: unit, orbit and polarisations. */
  sar?: SarInfo;
  /**
   * Radar scenes and index exports only: the item's `proj:transform` (GDAL order), when it states one: a run with
   * radar scenes whose scenes all share one grid analyses on that grid, so their pixels are read without resampling.
   */
  transform?: readonly [number, number, number, number, number, number];
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
  const checksum = typeof asset['file:checksum'] === 'string' ? asset['file:checksum'] : undefined;
  return {
    key,
    href: asset.href,
    band,
    scale: numberOr(raster?.scale, numberOr(raster?.['raster:scale'], fallback.scale))!,
    offset: numberOr(raster?.offset, numberOr(raster?.['raster:offset'], fallback.offset))!,
    ...(nodata !== undefined ? { nodata } : {}),
    ...(epsg !== undefined ? { epsg } : {}),
    ...(checksum !== undefined ? { checksum } : {}),
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
    ...(isLonLatBox(item.bbox) ? { bbox: item.bbox } : {}),
    ...(self ? { href: self } : {}),
  };
}

/**
 * A bbox in degrees. STAC requires WGS 84, but some producers' items carry their projected extent there (the
 * Planetary Computer's own sentinel-1-rtc test items: UTM metres); such a box would make every file "disagree" with
 * its item (scene.agreement.ts), so it is dropped and the file's own georeferencing stands.
 */
function isLonLatBox(bbox: unknown): bbox is [number, number, number, number] {
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((value) => typeof value === 'number')) return false;
  const [west, south, east, north] = bbox as number[];
  return [west, east].every((lon) => Math.abs(lon!) <= 180) && [south, north].every((lat) => Math.abs(lat!) <= 90);
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
  // An NDVI export stands without red and NIR (only a time-series product fuses it; nothing composites it).
  const missing = (bands.ndvi ? [] : (['red', 'nir'] as const))
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
  const transform = bands.ndvi ? northUpTransform(item.properties['proj:transform']) : undefined;
  return {
    ...common(item, profile),
    bands,
    ...(maskAsset && mask ? { mask: { kind: mask.kind, asset: maskAsset } } : {}),
    ...(transform ? { transform } : {}),
    ...(signing ? { signing } : {}),
  };
}

type BandAt = { key: string; band: number };

/**
 * A north-up `proj:transform` in GDAL order (x0, res, 0, y0, 0, −res). The projection extension states the affine
 * coefficients in rasterio's order (res, 0, x0, 0, −res, y0, optionally 0, 0, 1: the Planetary Computer's items, and
 * `catalog build`'s); catalogs built before it wrote GDAL's order, which is read too. Undefined for anything else
 * (rotated, missing).
 */
function northUpTransform(value: unknown): Scene['transform'] {
  if (!Array.isArray(value) || value.length < 6 || !value.slice(0, 6).every(Number.isFinite)) return undefined;
  const [a, b, c, d, e, f] = value as number[];
  if (a! > 0 && b === 0 && d === 0 && e === -a!) return [c!, a!, 0, f!, 0, e!];
  if (b! > 0 && c === 0 && e === 0 && f === -b!) return [a!, b!, 0, d!, 0, f!];
  return undefined;
}

/** What the item says of its orbit and polarisations (sat and sar extensions). */
function sarInfo(item: StacItem, unit: BackscatterUnit): SarInfo {
  const p = item.properties;
  const state = p['sat:orbit_state'];
  const relative = numberOr(p['sat:relative_orbit'], undefined);
  const polarizations = p['sar:polarizations'];
  return {
    unit,
    ...(state === 'ascending' || state === 'descending' ? { orbitState: state } : {}),
    ...(relative !== undefined ? { relativeOrbit: relative } : {}),
    ...(Array.isArray(polarizations) ? { polarizations: polarizations.map(String) } : {}),
  };
}

/**
 * A radar scene from the assets of its polarisations, or why it cannot be read: no VV/VH asset (an HH/HV scene),
 * or no stated unit (a value of -12 is dB, 0.06 is linear, and guessing from the numbers is not safe).
 */
function radarScene(
  item: StacItem,
  profile: string,
  where: Partial<Record<Polarization, BandAt>>,
  unit: BackscatterUnit | undefined,
  signing?: Signing,
): Scene | Unusable {
  const bands: Partial<Record<BandName, SceneAsset>> = {};
  for (const [name, at] of Object.entries(where) as Array<[Polarization, BandAt]>) {
    const asset = assetOf(item, at.key, { scale: 1, offset: 0 }, at.band);
    if (asset) bands[name] = asset;
  }
  const collection = item.collection ?? 'unknown';
  if (Object.keys(bands).length === 0) {
    const stated = item.properties['sar:polarizations'];
    return {
      id: item.id,
      collection,
      reason: `${profile}: item has no VV or VH asset${Array.isArray(stated) ? ` (polarisations ${stated.join('+')})` : ''}: changewatch reads Sentinel-1 VV/VH backscatter (HH/HV scenes are polar or ocean acquisitions)`,
    };
  }
  if (!unit) {
    return {
      id: item.id,
      collection,
      reason: `${profile}: the backscatter unit is not stated: give raster:bands "unit" "dB" or "linear" (changewatch catalog build --unit)`,
    };
  }
  const transform = northUpTransform(item.properties['proj:transform']);
  const grid = transform ? { transform } : {};
  return { ...common(item, profile), bands, sar: sarInfo(item, unit), ...grid, ...(signing ? { signing } : {}) };
}

/** The first of `keys` the item has, as a band-0 asset. */
function firstKey(item: StacItem, keys: readonly string[]): BandAt | undefined {
  const key = keys.find((candidate) => isObject(item.assets[candidate]));
  return key === undefined ? undefined : { key, band: 0 };
}

/**
 * Planetary Computer sentinel-1-rtc asset keys: `vv`/`vh` in the published collection (its item_assets), `vv-rtc`/
 * `vh-rtc` in items of its ingest pipeline (planetary-computer-tasks test data).
 */
const PC_RTC_KEYS: Record<Polarization, readonly string[]> = { vv: ['vv', 'vv-rtc'], vh: ['vh', 'vh-rtc'] };
const hasRtcAsset = (item: StacItem) =>
  ['vv-rtc', 'vh-rtc', 'hh-rtc', 'hv-rtc'].some((key) => key in item.assets) ||
  (item.collection === 'sentinel-1-rtc' && ['vv', 'vh', 'hh', 'hv'].some((key) => key in item.assets));

/** Unit of a backscatter band as raster:bands (or STAC 1.1 bands) state it: dB or linear, undefined when unknown. */
export function backscatterUnit(unit: unknown): BackscatterUnit | undefined {
  const text = typeof unit === 'string' ? unit.trim().toLowerCase() : '';
  if (['db', 'decibel', 'decibels'].includes(text)) return 'db';
  if (['linear', 'power', '1'].includes(text)) return 'linear';
  return undefined;
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

/**
 * The bands of an item's data assets: spectral ones by eo:common_name (single-band assets first, then multi-band
 * data assets: researchers' exports), radar ones by their band name (VV, VH) with the units they state; display
 * assets (visual, overview, thumbnail) never. stac-js migrates older items (eo:bands, raster:bands) to STAC 1.1
 * `bands` before the lookup.
 */
function bandsByName(item: StacItem): {
  spectral: Partial<Record<BandName, BandAt>>;
  radar: Partial<Record<Polarization, BandAt>>;
  units: Set<BackscatterUnit | undefined>;
} {
  const stac = create(structuredClone(item));
  const found: Partial<Record<BandName, BandAt & { single: boolean }>> = {};
  const units = new Set<BackscatterUnit | undefined>();
  for (const asset of stac.getAssets()) {
    const type = String(asset.getMetadata('type') ?? '');
    const roles = asset.getMetadata('roles');
    const display =
      Array.isArray(roles) && roles.some((role) => ['visual', 'overview', 'thumbnail'].includes(String(role)));
    if (display || (type !== '' && !type.includes('tiff'))) continue;
    const bands = asset.getBands();
    bands.forEach((band, index) => {
      const common = band.getMetadata('eo:common_name');
      const polarization = String(band.getMetadata('name') ?? '').toLowerCase() as Polarization;
      const radar = common === undefined && POLARIZATIONS.includes(polarization);
      // An index exported as a band (`NDVI`) has no common name either: it is known by its name.
      const indexBand = common === undefined && (INDEX_BANDS as readonly string[]).includes(polarization);
      const name = radar || indexBand ? polarization : ((common === 'nir08' ? 'nir' : common) as BandName);
      if (!radar && !indexBand && !(SPECTRAL_BANDS as readonly string[]).includes(name)) return;
      if (radar) units.add(backscatterUnit(band.getMetadata('unit')));
      const single = bands.length === 1;
      const current = found[name];
      if (!current || (single && !current.single)) found[name] = { key: asset.getKey(), band: index, single };
    });
  }
  const spectral: Partial<Record<BandName, BandAt>> = {};
  const radar: Partial<Record<Polarization, BandAt>> = {};
  for (const [name, { key, band }] of Object.entries(found) as Array<[BandName, BandAt]>) {
    if ((POLARIZATIONS as readonly string[]).includes(name)) radar[name as Polarization] = { key, band };
    else spectral[name] = { key, band };
  }
  return { spectral, radar, units };
}

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
    // Planetary Computer sentinel-1-rtc (Catalyst RTC of GRD): γ⁰ as a linear power ratio, Float32, nodata
    // -32768 (item_assets raster:bands), 10 m UTM COGs, hrefs on Azure Blob signed by the PC SAS API. Items of its
    // ingest pipeline carry no collection: they are recognised by their -rtc asset keys.
    name: 'planetary-computer-sentinel-1-rtc',
    matches: (item) => (item.collection === 'sentinel-1-rtc' || item.collection === undefined) && hasRtcAsset(item),
    read: (item) => {
      const where: Partial<Record<Polarization, BandAt>> = {};
      for (const name of POLARIZATIONS) {
        const at = firstKey(item, PC_RTC_KEYS[name]);
        if (at) where[name] = at;
      }
      const signing = hrefHost(item).endsWith('.blob.core.windows.net') ? 'planetary-computer' : undefined;
      // The SAS token is asked for per collection (pc.signer.ts): an item without one is signed as sentinel-1-rtc.
      const own = item.collection === undefined ? { ...item, collection: 'sentinel-1-rtc' } : item;
      return radarScene(own, 'planetary-computer-sentinel-1-rtc', where, 'linear', signing);
    },
  },
  {
    // Sentinel-1 GRD: radar geometry (GCPs, no map projection), no terrain flattening: not comparable pass to pass
    // on slopes, and not on a grid changewatch can read.
    name: 'sentinel-1-grd',
    matches: (item) =>
      item.collection === 'sentinel-1-grd' ||
      (item.collection === undefined &&
        'safe-manifest' in item.assets &&
        item.properties['sar:product_type'] === 'GRD'),
    read: (item) => ({
      id: item.id,
      collection: item.collection ?? 'sentinel-1-grd',
      reason:
        'sentinel-1-grd is in radar geometry without terrain correction: use sentinel-1-rtc (radiometrically terrain corrected, map-projected)',
    }),
  },
  {
    // Anything else: bands found by eo:common_name (stac-js), in single-band assets first, then in multi-band
    // data assets (researchers' exports); display assets (visual, overview, thumbnail) never. A quality mask when
    // an asset has a known mask key (scl, qa_pixel, fmask).
    name: 'generic',
    matches: () => true,
    read: (item) => {
      const { spectral, radar, units } = bandsByName(item);
      if (Object.keys(radar).length > 0 && !spectral.red && !spectral.nir) {
        return radarScene(item, 'generic', radar, units.size === 1 ? [...units][0] : undefined);
      }
      const keys = spectral;
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
