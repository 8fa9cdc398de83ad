import { PRODUCT_TYPES, type ProductType } from '../workers/products/index.js';
import type { AreaGeometry, BBox } from './geometry.js';
import type { TimeInterval } from './interval.js';
import type { ZoneVersion } from './zone.versions.js';

/**
 * The AOI contract other tools and tests rely on (documented in README "Areas of interest").
 *
 * An AOI file is a GeoJSON FeatureCollection (RFC 7946, lon/lat WGS84) holding one feature whose
 * `properties.role` is `"aoi"` and any number of zone features whose `properties.role` is `"zone"`. A file with a
 * single feature, bare or in a collection, may leave `role` out: that feature is the AOI and it has no zones.
 */

/** What an AOI is, for reports and default parameters. */
export const AOI_KINDS = ['protected-area', 'exclusion-zone', 'mining-site', 'custom'] as const;
export type AoiKind = (typeof AOI_KINDS)[number];

/** The change analyses changewatch runs (the product registry's types); an AOI lists those it wants. */
export const ANALYSES: readonly ProductType[] = PRODUCT_TYPES;
export type Analysis = ProductType;

/** The periods an AOI may pin down; without them the nightly run rolls its windows. */
export const WINDOW_NAMES = ['baseline', 'monitoring'] as const;
export type WindowName = (typeof WINDOW_NAMES)[number];

/**
 * Ids become object-key segments (`aoi/<id>/…`) and file names: lowercase letters, digits and single hyphens,
 * starting and ending with a letter or digit, at most 64 characters. No `/`, `..`, spaces or capitals.
 */
export const SLUG = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,63}$/;

/**
 * Whether an AOI named on the command line (`--aoi`) is a path to a GeoJSON file rather than an id: anything with a
 * `/` or ending in `.geojson` or `.json` (an id, a {@link SLUG}, has neither).
 */
export function isAoiPath(reference: string): boolean {
  return reference.includes('/') || reference.endsWith('.geojson') || reference.endsWith('.json');
}

/**
 * A named sub-polygon whose hectares are reported separately (a permit, "Exclusion Zone B"). One zone id may have
 * several versions over time (aoi/zone.versions.ts), each with its own geometry and attributes.
 */
export interface Zone {
  id: string;
  name: string;
  geometry: AreaGeometry;
  /** Geodesic area on WGS84, hectares. */
  areaHa: number;
  /** Any other properties the file carried (permit holder, status…), kept for reports. */
  attributes: Record<string, unknown>;
  /** `valid_from`: first day this version is valid (YYYY-MM-DD); unset: open. */
  validFrom?: string;
  /** `valid_to`: last day this version is valid (YYYY-MM-DD, included); unset: open. */
  validTo?: string;
  /** Set once the AOI is taken as of a date (zone.versions.ts): which version this is and its status then. */
  version?: ZoneVersion;
}

export interface Aoi {
  /** The file it was read from. */
  file: string;
  /** Index of the AOI feature in the file's `features` (0-based). */
  feature: number;
  id: string;
  name: string;
  kind: AoiKind;
  analyses: Analysis[];
  /** Attribution: where the boundary came from. */
  source?: string;
  /** Per-AOI cloud-cover limit in percent (0-100), overriding `stac.maxCloudCover`. */
  maxCloudCover?: number;
  /** Explicit analysis periods; a missing one is derived by the nightly run. */
  windows: Partial<Record<WindowName, TimeInterval>>;
  geometry: AreaGeometry;
  bbox: BBox;
  /** Geodesic area on WGS84, hectares. */
  areaHa: number;
  /**
   * The zones. As parsed: every version of every zone (an id repeats when it has versions); once taken as of a date
   * (aoi/zone.versions.ts `aoiForWindow`), each id once, in the version of that date.
   */
  zones: Zone[];
  /** Every version of every zone, kept when the AOI is taken as of a date and has versioned zones. */
  zoneVersions?: Zone[];
}

/** One problem found in an AOI file; printed as `file: feature N: message`. */
export interface AoiProblem {
  file: string;
  /** Index of the feature in `features` (0-based), or undefined for a problem with the whole file. */
  feature?: number;
  /** `problem: what to do`. */
  message: string;
}

export function formatProblem(problem: AoiProblem): string {
  return problem.feature === undefined
    ? `${problem.file}: ${problem.message}`
    : `${problem.file}: feature ${problem.feature}: ${problem.message}`;
}
