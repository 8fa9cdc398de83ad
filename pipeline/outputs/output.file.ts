import type { TimeInterval } from '../../aoi/interval.js';
import type { SceneSearch } from '../scenes/scenes.find.js';
import { sha256Hex } from './layout.js';

/** One file a period publishes: a STAC asset with its bytes (or a file in the work folder) and checksum. */
export interface OutputFile {
  /** The STAC asset key (`forest-loss`, `summary`…). */
  asset: string;
  file: string;
  /** The bytes, or a file in the work folder (rasters). */
  body: Uint8Array | { path: string };
  size: number;
  /** SHA-256, hex. */
  sha256: string;
  type: string;
  title: string;
  roles: string[];
  /** Further STAC asset fields: bands, classification:classes. */
  stac: Record<string, unknown>;
}

export const COG_TYPE = 'image/tiff; application=geotiff; profile=cloud-optimized';

/** A period's window and the scenes found for it. */
export interface PeriodInput {
  window: TimeInterval;
  search: SceneSearch;
}

export type Periods = { baseline: PeriodInput; monitoring: PeriodInput };

/** Bytes held in memory as an output file. */
export function inMemory(bytes: Uint8Array): Pick<OutputFile, 'body' | 'size' | 'sha256'> {
  return { body: bytes, size: bytes.length, sha256: sha256Hex(bytes) };
}
