import type { Aoi, Zone } from '../../aoi/aoi.schema.js';
import { isVersioned, versionOn } from '../../aoi/zone.versions.js';
import { pixelAreaHaByColumn } from '../../aoi/pixel.area.js';
import { rasterizer, type Grid, type PixelWindow } from '../../aoi/rasterize.js';
import { outlineOf, type OutlineGeometry } from '../../workers/outline.js';
import type { Site, SitePeriodInput } from '../../workers/sites.js';
import type { SiteProperties } from '../../reports/site.properties.js';
import type { SiteCounts } from '../../reports/summary.js';
import { VERSION } from '../version.js';

/**
 * `<aoi>/sites.geojson`: every site of the AOI (workers/sites.ts) as one RFC 7946 feature, its footprint traced
 * along pixel edges, with its state, dates, per-period history and the hectares inside each zone; the collection
 * says which items (and inputs digests) it was folded from, with what rules, and counts the sites by state and zone.
 */

export type { SiteProperties };

export interface SitesCollection {
  type: 'FeatureCollection';
  changewatch: {
    aoi: string;
    software: string;
    periods: Array<{ item: string; digest: string; monitoring: string }>;
    rules: SiteRulesSaid;
    counts: SiteCounts;
  };
  features: Array<{ type: 'Feature'; id: string; geometry: OutlineGeometry; properties: SiteProperties }>;
}

/** The fold's rules as the document says them. */
export interface SiteRulesSaid {
  matchDistanceM: number;
  inactiveAfterPeriods: number;
  /** Per product with a revegetation rule: the rule applied per pixel (workers/products); absent before it existed. */
  revegetating?: Record<string, string>;
}

const round4 = (value: number) => Number(value.toFixed(4));

/** The footprint's bounding box on the grid, end-exclusive (loops, not spreads: a footprint may hold millions). */
function footprintWindow(footprint: Int32Array, gridWidth: number): PixelWindow {
  const box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  for (const pixel of footprint) {
    const [row, column] = [Math.floor(pixel / gridWidth), pixel % gridWidth];
    [box.x0, box.x1] = [Math.min(box.x0, column), Math.max(box.x1, column + 1)];
    [box.y0, box.y1] = [Math.min(box.y0, row), Math.max(box.y1, row + 1)];
  }
  return box;
}

/** The footprint as a label raster of its bounding box. */
function footprintBox(footprint: Int32Array, grid: Grid) {
  const { x0: left, y0: top, x1, y1 } = footprintWindow(footprint, grid.width);
  const [width, height] = [x1 - left, y1 - top];
  const raster = new Int32Array(width * height);
  for (const pixel of footprint)
    raster[(Math.floor(pixel / grid.width) - top) * width + (pixel % grid.width) - left] = 1;
  return { raster, left, top, width, height };
}

/** Burns a zone over a window of the grid (aoi/rasterize.ts): a zone is never held whole, whatever its size. */
type ZoneBurner = (window: PixelWindow) => Uint8Array;

/** Hectares of the footprint inside each zone (zones it does not reach are left out), burnt over its bounding box. */
function zoneHectares(footprint: Int32Array, zones: Map<string, ZoneBurner>, area: Float64Array, width: number) {
  const out: Record<string, number> = {};
  if (footprint.length === 0) return out;
  const box = footprintWindow(footprint, width);
  for (const [id, burn] of zones) {
    const mask = burn(box);
    let hectares = 0;
    for (const pixel of footprint) {
      const [row, column] = [Math.floor(pixel / width), pixel % width];
      if (mask[(row - box.y0) * (box.x1 - box.x0) + column - box.x0]) hectares += area[column]!;
    }
    if (hectares > 0) out[id] = round4(hectares);
  }
  return out;
}

/**
 * A site's hectares in each zone, with versioned zones taken as they were on the day it was first seen (else on the
 * last day of its latest period), and which version that was.
 */
function zonesOnFirstSighting(
  site: Site,
  versions: ReadonlyMap<string, Array<{ zone: Zone; burn: ZoneBurner }>>,
  area: Float64Array,
  width: number,
) {
  const day =
    site.firstSeen ??
    site.history
      .at(-1)
      ?.monitoring.match(/\d{4}-\d{2}-\d{2}/g)
      ?.at(-1) ??
    '';
  const zones: Record<string, number> = {};
  const said: NonNullable<SiteProperties['zone_versions']> = {};
  for (const [id, all] of versions) {
    const { zone, version } = versionOn(
      all.map((entry) => entry.zone),
      day,
    );
    const burn = all.find((entry) => entry.zone === zone)!.burn;
    const hectares = zoneHectares(site.footprint, new Map([[id, burn]]), area, width)[id];
    if (hectares === undefined) continue;
    zones[id] = hectares;
    if (isVersioned(zone))
      said[id] = { valid_from: version.validFrom, valid_to: version.validTo, status: version.status };
  }
  return { zones, said };
}

function properties(site: Site, hectares: number, zones: Record<string, number>): SiteProperties {
  return {
    site: site.id,
    product: site.product,
    state: site.state,
    first_seen: site.firstSeen,
    last_change: site.lastChange,
    last_clear_view: site.lastClearView,
    hectares: round4(hectares),
    zones,
    merged_from: site.mergedFrom,
    merged_into: site.mergedInto ?? null,
    split_from: site.splitFrom ?? null,
    history: site.history.map((period) => ({
      item: period.item,
      monitoring: period.monitoring,
      hectares: round4(period.hectares),
      hectares_high_confidence: round4(period.hectaresHigh),
      new_hectares: round4(period.newHectares),
      patches: period.patches,
      classes: period.classes,
    })),
  };
}

function counts(features: SitesCollection['features']): SiteCounts {
  const byState: Record<string, number> = {};
  const byZone: Record<string, Record<string, number>> = {};
  for (const { properties: site } of features) {
    byState[site.state] = (byState[site.state] ?? 0) + 1;
    for (const zone of Object.keys(site.zones)) {
      const states = (byZone[zone] ??= {});
      states[site.state] = (states[site.state] ?? 0) + 1;
    }
  }
  return { byState, byZone };
}

export function sitesCollection(input: {
  aoi: Aoi;
  grid: Grid;
  sites: readonly Site[];
  periods: readonly SitePeriodInput[];
  rules: SiteRulesSaid;
}): SitesCollection {
  const { grid } = input;
  const area = pixelAreaHaByColumn(grid);
  // Zones burnt over each site's box only: a zone's pixels as a set took 1.2 GB and 9 s for Kibali's zones.
  const zones = new Map(input.aoi.zones.map((zone) => [zone.id, rasterizer(zone.geometry, grid)]));
  // Versioned zones (aoi/zone.versions.ts): every version burnt, each site placed by its first sighting.
  const versions = new Map<string, Array<{ zone: Zone; burn: ZoneBurner }>>();
  for (const zone of input.aoi.zoneVersions ?? []) {
    versions.set(zone.id, [...(versions.get(zone.id) ?? []), { zone, burn: rasterizer(zone.geometry, grid) }]);
  }
  const features = input.sites
    .filter((site) => site.footprint.length > 0)
    .map((site) => {
      let hectares = 0;
      for (const pixel of site.footprint) hectares += area[pixel % grid.width]!;
      const geometry = outlineOf(grid, footprintBox(site.footprint, grid));
      if (versions.size === 0) {
        const zoned = zoneHectares(site.footprint, zones, area, grid.width);
        return { type: 'Feature' as const, id: site.id, geometry, properties: properties(site, hectares, zoned) };
      }
      const { zones: zoned, said } = zonesOnFirstSighting(site, versions, area, grid.width);
      const placed = { ...properties(site, hectares, zoned), zone_versions: said };
      return { type: 'Feature' as const, id: site.id, geometry, properties: placed };
    });
  return {
    type: 'FeatureCollection',
    changewatch: {
      aoi: input.aoi.id,
      software: `changewatch ${VERSION}`,
      periods: input.periods.map(({ item, digest, monitoring }) => ({ item, digest, monitoring })),
      rules: input.rules,
      counts: counts(features),
    },
    features,
  };
}
