import type { Aoi, Zone } from './aoi.schema.js';
import type { TimeInterval } from './interval.js';

/**
 * Legal zones as they were on the day: a zone id may have several versions (a permit granted, transferred, shrunk,
 * expired), each valid from `validFrom` to `validTo` (ISO dates, both days included; either end open). Versions of
 * one id never overlap (aoi.parse.ts refuses it). A figure about a date uses the version valid on that date; when
 * none is, the last version that ended before it ("expired") or, before the first one, that first one ("not yet
 * valid"): the zone is still drawn with that geometry, and its status says what it was on that day. Pure.
 */

/** What a zone was on a figure's date: its version valid then, or ended before it, or not started yet. */
export const ZONE_STATUSES = ['in-force', 'expired', 'not-yet-valid'] as const;
export type ZoneStatus = (typeof ZONE_STATUSES)[number];

/** The version an unversioned zone is: valid at all times. */
export const ALWAYS: ZoneVersion = { validFrom: null, validTo: null, status: 'in-force' };

/** Which version of a zone a figure used, and what the zone was on the figure's date. */
export interface ZoneVersion {
  /** First valid day, or null (open: valid since always). */
  validFrom: string | null;
  /** Last valid day, or null (open: still valid). */
  validTo: string | null;
  status: ZoneStatus;
}

/** A zone carries validity dates (a versioned zone); a zone without them is valid at all times. */
export const isVersioned = (zone: Zone): boolean => zone.validFrom !== undefined || zone.validTo !== undefined;

export const validOn = (zone: Zone, date: string): boolean =>
  (zone.validFrom === undefined || zone.validFrom <= date) && (zone.validTo === undefined || date <= zone.validTo);

/** The first day two versions are both valid, `"any date"` when both are open at the start; undefined: no overlap. */
export function firstSharedDay(a: Zone, b: Zone): string | undefined {
  const from = [a.validFrom, b.validFrom]
    .filter((day): day is string => day !== undefined)
    .sort()
    .at(-1);
  const to = [a.validTo, b.validTo].filter((day): day is string => day !== undefined).sort()[0];
  if (from !== undefined && to !== undefined && from > to) return undefined;
  return from ?? to ?? 'any date';
}

/** `2019-01-01..2021-05-10`, with `open` for an open end. */
export const validityText = (zone: Pick<Zone, 'validFrom' | 'validTo'>): string =>
  `${zone.validFrom ?? 'open'}..${zone.validTo ?? 'open'}`;

/** The version of one zone's versions (same id) a figure about `date` uses, and the zone's status on that date. */
export function versionOn(versions: readonly Zone[], date: string): { zone: Zone; version: ZoneVersion } {
  const said = (zone: Zone, status: ZoneStatus) => ({
    zone,
    version: { validFrom: zone.validFrom ?? null, validTo: zone.validTo ?? null, status },
  });
  const valid = versions.find((zone) => validOn(zone, date));
  if (valid) return said(valid, 'in-force');
  const ended = versions
    .filter((zone) => zone.validTo !== undefined && zone.validTo < date)
    .sort((a, b) => (a.validTo! < b.validTo! ? 1 : -1))[0];
  if (ended) return said(ended, 'expired');
  const first = [...versions].sort((a, b) => ((a.validFrom ?? '') < (b.validFrom ?? '') ? -1 : 1))[0]!;
  return said(first, 'not-yet-valid');
}

/** Every zone id once, in file order of first appearance, as it was on `date`: its version and status. */
export function zonesOn(zones: readonly Zone[], date: string): Zone[] {
  const byId = new Map<string, Zone[]>();
  for (const zone of zones) byId.set(zone.id, [...(byId.get(zone.id) ?? []), zone]);
  return [...byId.values()].map((versions) => {
    const { zone, version } = versionOn(versions, date);
    return { ...zone, version };
  });
}

/** The last day of a window (its end is exclusive), YYYY-MM-DD. */
export const lastDayOf = (window: TimeInterval): string =>
  new Date(Date.parse(window.end) - 1).toISOString().slice(0, 10);

/**
 * The AOI as it was at the end of a monitoring window: each zone once, in the version valid on the window's last day
 * (else as {@link versionOn} says), every version kept in `zoneVersions` for figures about other dates (a site's
 * first sighting). An AOI without versioned zones is returned as it is.
 */
export function aoiForWindow(aoi: Aoi, window: TimeInterval): Aoi {
  const all = aoi.zoneVersions ?? aoi.zones;
  if (!all.some(isVersioned)) return aoi;
  return { ...aoi, zones: zonesOn(all, lastDayOf(window)), zoneVersions: all };
}
