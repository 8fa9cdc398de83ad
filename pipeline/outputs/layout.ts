import { createHash } from 'node:crypto';
import { isVersioned } from '../../aoi/zone.versions.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import type { TimeInterval } from '../../aoi/interval.js';

/**
 * Where published things live in the store, relative to its root. Keys are deterministic: the same AOI, period
 * and inputs give the same keys, so re-running a period rewrites identical objects.
 *
 *   catalog.json                                    root catalog: one child link per AOI collection
 *   <aoi>/collection.json                           the AOI's collection: one item link per monitoring period
 *   <aoi>/<item>/<item>.json                        the STAC item of one monitoring period
 *   <aoi>/<item>/<inputs digest>/<asset file>       its assets, in a folder named after the inputs that made them
 *
 * Assets of new inputs go to a new folder, and the item is replaced only once they are all written: a reader
 * following any item finds complete assets, whatever point an interrupted run stopped at.
 */
export const CATALOG_KEY = 'catalog.json';

export const collectionKey = (aoiId: string): string => `${aoiId}/collection.json`;

export const itemKey = (aoiId: string, itemId: string): string => `${aoiId}/${itemId}/${itemId}.json`;

/** The key of an item's asset, from the item's key and the asset's href (relative to the item). */
export function assetKeyOf(itemKeyValue: string, href: string): string {
  return `${itemKeyValue.slice(0, itemKeyValue.lastIndexOf('/'))}/${href.replace(/^\.\//, '')}`;
}

/**
 * Where an item's accuracy assessments live: in the item's folder but outside any inputs folder, so recomputing the
 * item (new inputs) neither prunes them nor hides them; each says which inputs it was made on.
 */
export const ACCURACY_FOLDER = 'accuracy';
export const accuracyKey = (aoiId: string, itemId: string, product: string): string =>
  `${aoiId}/${itemId}/${ACCURACY_FOLDER}/${product}.json`;
export const ACCURACY_ASSET_PREFIX = 'accuracy-';

export const assetFolder = (aoiId: string, itemId: string, digest: string): string => `${aoiId}/${itemId}/${digest}`;

const day = (iso: string) => iso.slice(0, 10);

/** `<aoi>-<first day>-<last day>` of the monitoring window (its end is exclusive, so the last day is one before). */
export function itemIdFor(aoiId: string, monitoring: TimeInterval): string {
  const lastDay = new Date(Date.parse(monitoring.end) - 1).toISOString();
  return `${aoiId}-${day(monitoring.start)}-${day(lastDay)}`;
}

/**
 * A short digest of everything a period's outputs depend on: software version, AOI geometry and zones, scene ids
 * of both periods and every parameter. Equal digests mean equal outputs; a new scene or a changed threshold
 * changes it, which is how a run knows a period must be recomputed.
 */
export function inputsDigest(input: {
  version: string;
  aoi: Pick<Aoi, 'geometry' | 'zones' | 'analyses'>;
  scenes: { baseline: readonly string[]; monitoring: readonly string[] };
  windows: { baseline: TimeInterval; monitoring: TimeInterval };
  parameters: unknown;
}): string {
  const canonical = JSON.stringify({
    version: input.version,
    geometry: input.aoi.geometry,
    // A zone's version is part of what made the figures; an unversioned zone keeps the digest it always had.
    zones: input.aoi.zones.map((zone) =>
      zone.version && isVersioned(zone)
        ? [zone.id, zone.geometry, zone.version.validFrom, zone.version.validTo, zone.version.status]
        : [zone.id, zone.geometry],
    ),
    analyses: [...input.aoi.analyses].sort(),
    scenes: { baseline: [...input.scenes.baseline].sort(), monitoring: [...input.scenes.monitoring].sort() },
    windows: [
      input.windows.baseline.start,
      input.windows.baseline.end,
      input.windows.monitoring.start,
      input.windows.monitoring.end,
    ],
    parameters: input.parameters,
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
