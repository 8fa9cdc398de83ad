import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aoiGrid } from '../../../aoi/aoi.grid.js';
import { parseAoi } from '../../../aoi/aoi.parse.js';
import { formatProblem, type Aoi } from '../../../aoi/aoi.schema.js';
import { parseInterval, type TimeInterval } from '../../../aoi/interval.js';
import { aoiForWindow, versionOn } from '../../../aoi/zone.versions.js';
import { sitesCollection } from '../../../pipeline/outputs/sites.js';
import { pixelsOf, type Site } from '../../../workers/sites.js';
import { ROOT } from '../../helpers/paths.js';

type Feature = {
  type: 'Feature';
  properties: Record<string, unknown>;
  geometry: { type: string; coordinates: unknown };
};

const KIBALI = join(ROOT, 'aoi', 'kibali.geojson');
/** PE 11447 as the cadastre draws it (cells of 1/120°), cut at 3.125° N: the blocks south of it relinquished. */
const RENEWED_RING = [
  [29.733333, 3.258333],
  [29.733333, 3.25],
  [29.766667, 3.25],
  [29.766667, 3.241667],
  [29.758333, 3.241667],
  [29.758333, 3.233333],
  [29.733333, 3.233333],
  [29.733333, 3.175],
  [29.741667, 3.175],
  [29.741667, 3.166667],
  [29.75, 3.166667],
  [29.75, 3.158333],
  [29.766667, 3.158333],
  [29.766667, 3.133333],
  [29.783333, 3.133333],
  [29.783333, 3.125],
  [29.583333, 3.125],
  [29.583333, 3.166667],
  [29.666667, 3.166667],
  [29.666667, 3.258333],
  [29.733333, 3.258333],
];
const window = (text: string) => parseInterval(text) as TimeInterval;

/**
 * The seed Kibali AOI with a realistic history for PE 11447 (the permit the issue names): held by Borgakim Mining
 * from its grant until 10 May 2021, then renewed to Kibali Goldmines from 11 May 2021 with its eastern block
 * relinquished (the cells south of 3.125° N), valid to 11 May 2029 (the cadastre's
 * date); and PE 11469 expiring on 10 May 2024 (the day before its cadastre date).
 */
function versionedKibali(edit?: (features: Feature[]) => void) {
  const file = JSON.parse(readFileSync(KIBALI, 'utf8')) as { features: Feature[] };
  const features = file.features;
  const index = features.findIndex((feature) => feature.properties.id === 'pe-11447');
  const granted = features[index]!;
  const renewed: Feature = {
    type: 'Feature',
    properties: { ...granted.properties, valid_from: '2021-05-11', valid_to: '2029-05-11' },
    geometry: { type: 'MultiPolygon', coordinates: [[RENEWED_RING]] },
  };
  granted.properties = {
    ...granted.properties,
    holder: 'BORGAKIM MINING (100%)',
    valid_from: '2009-11-13',
    valid_to: '2021-05-10',
  };
  features.splice(index + 1, 0, renewed);
  const expiring = features.find((feature) => feature.properties.id === 'pe-11469')!;
  expiring.properties = { ...expiring.properties, valid_to: '2024-05-10' };
  edit?.(features);
  return parseAoi(JSON.stringify(file), 'kibali.geojson', { maxAreaKm2: 10_000 });
}

describe('legal zones as they were on the day (Kibali, PE 11447 versioned)', () => {
  it('parses the versions of one zone id, with their dates out of the attributes', () => {
    const { aoi, problems } = versionedKibali();
    expect(problems).toEqual([]);
    const versions = aoi!.zones.filter((zone) => zone.id === 'pe-11447');
    expect(versions.map((zone) => [zone.validFrom, zone.validTo, zone.attributes['holder']])).toEqual([
      ['2009-11-13', '2021-05-10', 'BORGAKIM MINING (100%)'],
      ['2021-05-11', '2029-05-11', 'KIBALI GOLDMINES (100%)'],
    ]);
    expect(versions[0]!.attributes).not.toHaveProperty('valid_from');
  });

  it('takes each zone once, in the version valid on the last day of the monitoring window', () => {
    const aoi = versionedKibali().aoi!;
    const baseline = aoiForWindow(aoi, window('2020-12-01/2021-02-28'));
    const monitoring = aoiForWindow(aoi, window('2021-12-01/2022-02-28'));
    for (const resolved of [baseline, monitoring]) {
      expect(resolved.zones.map((zone) => zone.id)).toEqual([...new Set(aoi.zones.map((zone) => zone.id))]);
      expect(resolved.zoneVersions).toHaveLength(11);
    }
    const permit = (resolved: Aoi) => resolved.zones.find((zone) => zone.id === 'pe-11447')!;
    expect(permit(baseline).attributes['holder']).toBe('BORGAKIM MINING (100%)');
    expect(permit(baseline).version).toEqual({ validFrom: '2009-11-13', validTo: '2021-05-10', status: 'in-force' });
    expect(permit(monitoring).attributes['holder']).toBe('KIBALI GOLDMINES (100%)');
    expect(permit(monitoring).areaHa).toBeLessThan(permit(baseline).areaHa);
    expect(permit(monitoring).version).toEqual({ validFrom: '2021-05-11', validTo: '2029-05-11', status: 'in-force' });
    // Taking an AOI already taken as of a date again starts from every version.
    expect(permit(aoiForWindow(monitoring, window('2020-12-01/2021-02-28'))).version!.validTo).toBe('2021-05-10');
    // After PE 11469 expired, its last version is still drawn, and said expired.
    const later = aoiForWindow(aoi, window('2025-01-01/2025-03-31'));
    expect(later.zones.find((zone) => zone.id === 'pe-11469')!.version).toEqual({
      validFrom: null,
      validTo: '2024-05-10',
      status: 'expired',
    });
    expect(permit(aoiForWindow(aoi, window('2008-01-01/2008-02-01'))).version!.status).toBe('not-yet-valid');
    // The seed AOIs without dates are returned as they are (same figures, same inputs digest).
    const seed = parseAoi(readFileSync(KIBALI, 'utf8'), KIBALI, { maxAreaKm2: 10_000 }).aoi!;
    expect(aoiForWindow(seed, window('2021-12-01/2022-02-28'))).toBe(seed);
  });

  it('refuses versions of one zone that overlap, naming the zone and the dates; and dates that are not dates', () => {
    const { problems } = versionedKibali((features) => {
      const renewed = features.find((feature) => feature.properties.valid_from === '2021-05-11')!;
      renewed.properties.valid_from = '2021-03-01';
      features.find((feature) => feature.properties.id === 'pe-5052')!.properties.valid_to = '2021-02-30';
    });
    expect(problems.map(formatProblem)).toEqual([
      'kibali.geojson: feature 1: valid_to "2021-02-30" is not a calendar date: write it YYYY-MM-DD (e.g. "2021-05-11")',
      'kibali.geojson: feature 5: zone "pe-11447": this version (2021-03-01..2029-05-11) overlaps the version of feature 4 (2009-11-13..2021-05-10): both are valid on 2021-03-01: end one (valid_to, the last valid day) before the other starts (valid_from)',
    ]);
  });

  it('places each site in the zone version of the day it was first seen, and says when the permit had expired', () => {
    const aoi = aoiForWindow(versionedKibali().aoi!, window('2021-12-01/2022-02-28'));
    const grid = aoiGrid(aoi.geometry, aoi.bbox, 60, 0);
    const [granted, renewed] = aoi.zoneVersions!.filter((zone) => zone.id === 'pe-11447');
    const footprint = pixelsOf(granted!.geometry, grid);
    const site = (id: string, firstSeen: string): Site => ({
      id,
      product: 'mining-expansion',
      state: 'new',
      firstSeen,
      lastChange: '2021-12-01/2022-02-28',
      lastClearView: null,
      mergedFrom: [],
      history: [],
      footprint,
      quietPeriods: 0,
    });
    const sites = [site('before', '2021-04-20'), site('after', '2022-01-15'), site('expired', '2029-06-01')];
    const rules = { matchDistanceM: 60, inactiveAfterPeriods: 2 };
    const collection = sitesCollection({ aoi, grid, sites, periods: [], rules });
    const [before, after, expired] = collection.features.map((feature) => feature.properties);
    expect(before!.zone_versions!['pe-11447']).toEqual({
      valid_from: '2009-11-13',
      valid_to: '2021-05-10',
      status: 'in-force',
    });
    expect(after!.zone_versions!['pe-11447']).toEqual({
      valid_from: '2021-05-11',
      valid_to: '2029-05-11',
      status: 'in-force',
    });
    expect(expired!.zone_versions!['pe-11447']!.status).toBe('expired');
    // The same footprint: all of it in the permit as granted, only the renewed part after the renewal.
    const renewedPixels = new Set(pixelsOf(renewed!.geometry, grid));
    const inRenewed = [...footprint].filter((pixel) => renewedPixels.has(pixel)).length;
    expect(inRenewed).toBeGreaterThan(0);
    expect(inRenewed).toBeLessThan(footprint.length);
    expect(after!.zones['pe-11447']! / before!.zones['pe-11447']!).toBeCloseTo(inRenewed / footprint.length, 2);
    // An unversioned zone the site reaches has hectares and no version entry.
    expect(Object.keys(before!.zone_versions!)).toEqual(['pe-11447']);
  });
});

describe('versionOn', () => {
  it('prefers the version valid on the day, then the latest ended, then the first to come', () => {
    const zone = (validFrom?: string, validTo?: string) =>
      ({
        id: 'z',
        name: 'Z',
        geometry: { type: 'Polygon', coordinates: [] },
        areaHa: 0,
        attributes: {},
        validFrom,
        validTo,
      }) as never;
    const versions = [zone('2020-01-01', '2020-12-31'), zone('2022-01-01', '2022-06-30')];
    expect(versionOn(versions, '2020-12-31').version.status).toBe('in-force');
    expect(versionOn(versions, '2021-06-01').version).toEqual({
      validFrom: '2020-01-01',
      validTo: '2020-12-31',
      status: 'expired',
    });
    expect(versionOn(versions, '2023-01-01').version.validTo).toBe('2022-06-30');
    expect(versionOn(versions, '2019-01-01').version).toEqual({
      validFrom: '2020-01-01',
      validTo: '2020-12-31',
      status: 'not-yet-valid',
    });
  });
});
