/**
 * The summary a report author cites: the shape of `summary.json`, one per AOI and monitoring period. Its JSON
 * Schema is published as `reports/summary.schema.json` and the tests hold the two together.
 */

export const SUMMARY_SCHEMA_VERSION = 2;

export interface Tally {
  pixels: number;
  hectares: number;
}

export interface SceneRow {
  id: string;
  datetime: string;
  cloudCover: number | null;
  collection: string;
  platform: string | null;
  /** The item's own link when the catalog gave one. */
  href: string | null;
}

export interface PeriodSummary {
  /** The window as the AOI file or the run wrote it. */
  window: string;
  start: string;
  end: string;
  /** Observation dates with data over the AOI. */
  observationDates: string[];
  /** Share (0-1) of the AOI's area seen clear at least once. */
  clearFraction: number;
  /** Scenes that covered some of the AOI. */
  scenes: SceneRow[];
}

export interface ZoneSummary {
  name: string;
  hectares: number;
  classes: Record<string, Tally>;
  confidence: Record<string, Tally>;
  clearFraction: { baseline: number; monitoring: number };
}

export interface ProductSummary {
  /** Pixels and hectares per class name inside the AOI; pixels equal a count of the class in the raster. */
  classes: Record<string, Tally>;
  /** Change pixels by confidence name. */
  confidence: Record<string, Tally>;
  patches: { kept: number; belowMinimumMappingUnit: number };
  parameters: Record<string, unknown>;
  zones: Record<string, ZoneSummary>;
}

export interface AssetDigest {
  href: string;
  type: string;
  bytes: number;
  sha256: string;
}

export interface Summary {
  schemaVersion: typeof SUMMARY_SCHEMA_VERSION;
  software: { name: 'changewatch'; version: string };
  item: string;
  /** The digest of the inputs; names the folder of the assets. */
  inputs: string;
  aoi: { id: string; name: string; kind: string; hectares: number; gridHectares: number; source: string | null };
  grid: {
    epsg: number;
    width: number;
    height: number;
    transform: number[];
    resolution: number;
    pixelArea: string;
  };
  periods: { baseline: PeriodSummary; monitoring: PeriodSummary };
  /** The analyses the AOI asked for, and why any of them has no product in `products`. */
  analyses: { requested: string[]; notComputed: Record<string, string> };
  products: Record<string, ProductSummary>;
  parameters: Record<string, unknown>;
  /** Every other asset of the item, with its checksum. */
  assets: Record<string, AssetDigest>;
  caveats: string[];
}

export const roundHa = (hectares: number): number => Number(hectares.toFixed(4));
