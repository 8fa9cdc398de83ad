import { firstSharedDay, isVersioned, validityText } from './zone.versions.js';
import {
  AOI_KINDS,
  ANALYSES,
  SLUG,
  WINDOW_NAMES,
  type Aoi,
  type AoiKind,
  type AoiProblem,
  type Analysis,
  type WindowName,
  type Zone,
} from './aoi.schema.js';
import {
  areaM2,
  bboxOf,
  bboxesIntersect,
  findCrossing,
  ringAreaM2,
  ringIsClosed,
  withoutRepeats,
  type AreaGeometry,
  type BBox,
  type PolygonCoordinates,
  type Position,
  type Ring,
} from './geometry.js';
import { parseInterval, type TimeInterval } from './interval.js';

export interface AoiParseOptions {
  /** Largest AOI accepted, km² (config `aoi.maxAreaKm2`). */
  maxAreaKm2: number;
}

export type AoiParseResult = { aoi: Aoi; problems: [] } | { aoi?: undefined; problems: AoiProblem[] };

/** Below this an area is taken as zero: a polygon collapsed to a line or a point. */
const MIN_AREA_M2 = 1;

const KNOWN_AOI_PROPERTIES = ['role', 'id', 'name', 'kind', 'analyses', 'source', 'maxCloudCover', 'windows'];

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Collects the problems of one feature under its index. */
class Problems {
  readonly list: AoiProblem[] = [];
  constructor(readonly file: string) {}
  add(feature: number | undefined, message: string): void {
    this.list.push(feature === undefined ? { file: this.file, message } : { file: this.file, feature, message });
  }
}

/**
 * Parses and validates the text of one AOI file. Every problem is reported (not just the first), each as
 * `problem: what to do`. Pure: the caller reads the file.
 */
export function parseAoi(text: string, file: string, options: AoiParseOptions): AoiParseResult {
  const problems = new Problems(file);
  const features = readFeatures(text, problems);
  if (!features) return { problems: problems.list };
  const roles = features.map((feature) =>
    isObject(feature) && isObject(feature.properties) ? feature.properties.role : undefined,
  );
  const aoiIndex = findAoiIndex(roles, problems);
  if (aoiIndex === undefined) return { problems: problems.list };
  const limitM2 = options.maxAreaKm2 * 1e6;

  const aoiFeature = features[aoiIndex];
  const geometry = checkFeatureGeometry(aoiFeature, aoiIndex, problems, limitM2);
  const properties = isObject(aoiFeature) && isObject(aoiFeature.properties) ? aoiFeature.properties : undefined;
  if (!properties) {
    problems.add(aoiIndex, 'has no properties: give it id, name, kind and analyses');
    return { problems: problems.list };
  }
  const fields = checkAoiProperties(properties, aoiIndex, problems);
  const aoiBox = geometry ? bboxOf(geometry.geometry) : undefined;
  const zones = checkZones(features, roles, aoiIndex, aoiBox, problems);

  if (problems.list.length > 0 || !geometry || !fields) return { problems: problems.list };
  return {
    aoi: {
      file,
      feature: aoiIndex,
      ...fields,
      geometry: geometry.geometry,
      bbox: bboxOf(geometry.geometry),
      areaHa: geometry.areaM2 / 1e4,
      zones,
    },
    problems: [],
  };
}

/**
 * The features of a FeatureCollection, or a lone Feature as a list of one; undefined when the text is not one of
 * them (the problem is added: nothing else can be checked).
 */
function readFeatures(text: string, problems: Problems): unknown[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    problems.add(undefined, `not JSON (${(error as Error).message}): save the AOI as a GeoJSON text file`);
    return undefined;
  }
  if (!isObject(json) || (json.type !== 'FeatureCollection' && json.type !== 'Feature')) {
    const found = isObject(json) && typeof json.type === 'string' ? `a GeoJSON ${json.type}` : 'not GeoJSON';
    problems.add(
      undefined,
      `${found}, expected a FeatureCollection (or a single Feature): wrap the AOI polygon in a Feature with id, name, kind and analyses properties`,
    );
    return undefined;
  }
  checkCrs(json, problems);

  let features: unknown[];
  if (json.type === 'Feature') features = [json];
  else if (Array.isArray(json.features)) features = json.features;
  else {
    problems.add(undefined, 'FeatureCollection has no "features" array: add the AOI feature to "features"');
    return undefined;
  }
  if (features.length === 0) {
    problems.add(undefined, 'FeatureCollection is empty: add one feature with "role": "aoi"');
    return undefined;
  }
  return features;
}

/**
 * The index of the one feature with role "aoi" (a file of a single feature needs no role), after a problem for
 * each unknown or missing role; undefined when there is not exactly one.
 */
function findAoiIndex(roles: unknown[], problems: Problems): number | undefined {
  let aoiIndexes = roles.flatMap((role, index) => (role === 'aoi' ? [index] : []));
  if (roles.length === 1 && roles[0] === undefined) aoiIndexes = [0];
  roles.forEach((role, index) => {
    if (role !== undefined && role !== 'aoi' && role !== 'zone') {
      problems.add(index, `unknown role ${JSON.stringify(role)}: use "aoi" for the area and "zone" for its sub-areas`);
    } else if (role === undefined && roles.length > 1) {
      problems.add(index, 'has no "role": in a file with several features, mark the area "aoi" and the others "zone"');
    }
  });
  if (aoiIndexes.length === 0) {
    problems.add(undefined, 'no feature has "role": "aoi": mark the feature that outlines the area of interest');
    return undefined;
  }
  if (aoiIndexes.length > 1) {
    problems.add(
      undefined,
      `features ${aoiIndexes.join(', ')} all have "role": "aoi": keep one AOI per file and split the others into their own files`,
    );
    return undefined;
  }
  return aoiIndexes[0]!;
}

/** A zone's `valid_from` or `valid_to`: a calendar date, YYYY-MM-DD; undefined when absent or wrong (then a problem). */
function checkValidityDate(value: unknown, key: string, feature: number, problems: Problems): string | undefined {
  if (value === undefined || value === null) return undefined;
  const match = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!date || date.toISOString().slice(0, 10) !== value) {
    problems.add(
      feature,
      `${key} ${JSON.stringify(value)} is not a calendar date: write it YYYY-MM-DD (e.g. "2021-05-11")`,
    );
    return undefined;
  }
  return value as string;
}

/** The version dates of a zone feature, checked: each a date, `valid_from` not after `valid_to`. */
function checkValidity(properties: Json, feature: number, problems: Problems): Pick<Zone, 'validFrom' | 'validTo'> {
  const validFrom = checkValidityDate(properties.valid_from, 'valid_from', feature, problems);
  const validTo = checkValidityDate(properties.valid_to, 'valid_to', feature, problems);
  if (validFrom !== undefined && validTo !== undefined && validFrom > validTo) {
    problems.add(
      feature,
      `valid_from ${validFrom} is after valid_to ${validTo}: swap them (valid_to is the last valid day)`,
    );
  }
  return { ...(validFrom !== undefined ? { validFrom } : {}), ...(validTo !== undefined ? { validTo } : {}) };
}

/**
 * Versions of one zone id must not overlap in time: a figure about a date must find one version. Two features with
 * the same id and no dates are simply a duplicate id.
 */
function checkVersions(versions: ReadonlyArray<{ zone: Zone; feature: number }>, problems: Problems): void {
  for (const [k, later] of versions.entries()) {
    for (const earlier of versions.slice(0, k)) {
      const shared = firstSharedDay(earlier.zone, later.zone);
      if (shared === undefined) continue;
      const id = later.zone.id;
      if (!isVersioned(earlier.zone) && !isVersioned(later.zone)) {
        problems.add(
          later.feature,
          `zone id "${id}" is also used by feature ${earlier.feature}: give each zone its own id`,
        );
        continue;
      }
      problems.add(
        later.feature,
        `zone "${id}": this version (${validityText(later.zone)}) overlaps the version of feature ${earlier.feature} (${validityText(earlier.zone)}): both are valid on ${shared}: end one (valid_to, the last valid day) before the other starts (valid_from)`,
      );
    }
  }
}

/** The valid zones, in file order; a problem for each invalid one, duplicate id or overlapping version, or zone outside `aoiBox`. */
function checkZones(
  features: unknown[],
  roles: unknown[],
  aoiIndex: number,
  aoiBox: BBox | undefined,
  problems: Problems,
): Zone[] {
  const zones: Zone[] = [];
  const versions = new Map<string, Array<{ zone: Zone; feature: number }>>();
  features.forEach((feature, index) => {
    if (index === aoiIndex || roles[index] !== 'zone') return;
    const zoneGeometry = checkFeatureGeometry(feature, index, problems, Infinity);
    const zoneProperties = isObject(feature) && isObject(feature.properties) ? feature.properties : {};
    const id = checkId(zoneProperties.id, index, problems, 'zone');
    const name = checkName(zoneProperties.name, index, problems, 'zone');
    const validity = checkValidity(zoneProperties, index, problems);
    if (zoneGeometry && aoiBox && !bboxesIntersect(aoiBox, bboxOf(zoneGeometry.geometry))) {
      problems.add(index, `zone "${id ?? index}" lies entirely outside the AOI: enlarge the AOI or remove the zone`);
    }
    if (id === undefined) return;
    const { role: _role, id: _id, name: _name, valid_from: _from, valid_to: _to, ...attributes } = zoneProperties;
    const zone: Zone = {
      id,
      name: name ?? id,
      geometry: zoneGeometry?.geometry ?? { type: 'Polygon', coordinates: [] },
      areaHa: (zoneGeometry?.areaM2 ?? 0) / 1e4,
      attributes,
      ...validity,
    };
    versions.set(id, [...(versions.get(id) ?? []), { zone, feature: index }]);
    if (zoneGeometry && name !== undefined) zones.push(zone);
  });
  for (const same of versions.values()) checkVersions(same, problems);
  return zones;
}

function checkCrs(json: Json, problems: Problems): void {
  if (json.crs === undefined || json.crs === null) return;
  const name = isObject(json.crs) && isObject(json.crs.properties) ? String(json.crs.properties.name ?? '') : '';
  if (/CRS84$|EPSG:+4326$/i.test(name)) return;
  problems.add(
    undefined,
    `declares crs ${JSON.stringify(name || json.crs)}: GeoJSON AOIs must be lon/lat WGS84; reproject with "ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson"`,
  );
}

function checkId(value: unknown, feature: number, problems: Problems, what: 'AOI' | 'zone'): string | undefined {
  if (typeof value !== 'string' || value === '') {
    problems.add(
      feature,
      `${what} has no "id": add a short slug such as "kahuzi-biega" (it becomes part of object keys)`,
    );
    return undefined;
  }
  if (!SLUG.test(value)) {
    const why =
      value.includes('/') || value.includes('..')
        ? 'contains a path separator or ".."'
        : /\s/.test(value)
          ? 'contains spaces'
          : /[A-Z]/.test(value)
            ? 'contains capital letters'
            : value.length > 64
              ? 'is longer than 64 characters'
              : 'has characters other than a-z, 0-9 and single hyphens';
    const suggestion = value
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64);
    problems.add(
      feature,
      `${what} id ${JSON.stringify(value)} ${why}, so it is not safe in object keys: use lowercase letters, digits and hyphens${suggestion ? `, e.g. "${suggestion}"` : ''}`,
    );
    return undefined;
  }
  return value;
}

function checkName(value: unknown, feature: number, problems: Problems, what: 'AOI' | 'zone'): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  problems.add(feature, `${what} has no "name": add the name report authors will read, e.g. "Exclusion Zone B"`);
  return undefined;
}

type AoiFields = Pick<Aoi, 'id' | 'name' | 'kind' | 'analyses' | 'source' | 'maxCloudCover' | 'windows'>;

function checkAoiProperties(properties: Json, feature: number, problems: Problems): AoiFields | undefined {
  const before = problems.list.length;
  const id = checkId(properties.id, feature, problems, 'AOI');
  const name = checkName(properties.name, feature, problems, 'AOI');

  const kind = properties.kind;
  if (!AOI_KINDS.includes(kind as AoiKind)) {
    problems.add(
      feature,
      `kind ${kind === undefined ? 'is missing' : `${JSON.stringify(kind)} is unknown`}: use one of ${AOI_KINDS.join(', ')}`,
    );
  }

  const analyses: Analysis[] = [];
  if (!Array.isArray(properties.analyses) || properties.analyses.length === 0) {
    problems.add(feature, `analyses must be a non-empty list: choose from ${ANALYSES.join(', ')}`);
  } else {
    for (const analysis of properties.analyses) {
      if (!ANALYSES.includes(analysis as Analysis)) {
        problems.add(feature, `unknown analysis ${JSON.stringify(analysis)}: use one of ${ANALYSES.join(', ')}`);
      } else if (analyses.includes(analysis as Analysis)) {
        problems.add(feature, `analysis "${analysis}" is listed twice: list each analysis once`);
      } else analyses.push(analysis as Analysis);
    }
  }

  let source: string | undefined;
  if (properties.source !== undefined) {
    if (typeof properties.source === 'string' && properties.source.trim() !== '') source = properties.source;
    else problems.add(feature, 'source must be a non-empty string: say where the boundary came from');
  }

  let maxCloudCover: number | undefined;
  if (properties.maxCloudCover !== undefined) {
    const value = properties.maxCloudCover;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
      problems.add(feature, `maxCloudCover ${JSON.stringify(value)} is not a percentage: give a number from 0 to 100`);
    } else maxCloudCover = value;
  }

  const windows = checkWindows(properties.windows, feature, problems);

  for (const key of Object.keys(properties)) {
    if (KNOWN_AOI_PROPERTIES.includes(key)) continue;
    const folded = key.replace(/[_\s-]/g, '').toLowerCase();
    const meant = KNOWN_AOI_PROPERTIES.find((known) => known.toLowerCase() === folded);
    if (meant) problems.add(feature, `property "${key}" would be ignored: rename it "${meant}"`);
  }

  if (problems.list.length > before || id === undefined || name === undefined || !windows) return undefined;
  return {
    id,
    name,
    kind: kind as AoiKind,
    analyses,
    ...(source !== undefined ? { source } : {}),
    ...(maxCloudCover !== undefined ? { maxCloudCover } : {}),
    windows,
  };
}

function checkWindows(
  value: unknown,
  feature: number,
  problems: Problems,
): Partial<Record<WindowName, TimeInterval>> | undefined {
  if (value === undefined) return {};
  if (!isObject(value)) {
    problems.add(
      feature,
      'windows must be an object: write {"baseline": "2021-06-01/2021-07-15", "monitoring": "2022-06-01/2022-07-15"}',
    );
    return undefined;
  }
  const windows: Partial<Record<WindowName, TimeInterval>> = {};
  let ok = true;
  for (const [key, text] of Object.entries(value)) {
    if (!WINDOW_NAMES.includes(key as WindowName)) {
      problems.add(feature, `unknown window "${key}": use ${WINDOW_NAMES.join(' and ')}`);
      ok = false;
      continue;
    }
    const interval = parseInterval(text);
    if (typeof interval === 'string') {
      problems.add(feature, `windows.${key}: ${interval}`);
      ok = false;
    } else windows[key as WindowName] = interval;
  }
  const { baseline, monitoring } = windows;
  if (baseline && monitoring && baseline.end > monitoring.start) {
    problems.add(
      feature,
      `windows.baseline (${baseline.text}) does not end before windows.monitoring (${monitoring.text}) starts: the baseline must come first`,
    );
    ok = false;
  }
  return ok ? windows : undefined;
}

interface CheckedGeometry {
  geometry: AreaGeometry;
  areaM2: number;
}

function checkFeatureGeometry(
  feature: unknown,
  index: number,
  problems: Problems,
  limitM2: number,
): CheckedGeometry | undefined {
  const area = featurePolygons(feature, index, problems);
  if (!area) return undefined;
  const before = problems.list.length;
  const clean: PolygonCoordinates[] = [];
  area.polygons.forEach((polygon: unknown, p: number) => {
    const rings = checkPolygon(polygon, area.type === 'MultiPolygon' ? `polygon ${p} ` : '', index, problems);
    if (rings) clean.push(rings);
  });
  if (problems.list.length > before) return undefined;
  const geometry = { type: area.type, coordinates: area.type === 'Polygon' ? clean[0]! : clean } as AreaGeometry;
  return checkArea(geometry, index, problems, limitM2);
}

/**
 * The polygons of a feature's area geometry (a Polygon as a list of one), not yet checked; undefined when the
 * feature has no Polygon or MultiPolygon with at least one polygon.
 */
function featurePolygons(
  feature: unknown,
  index: number,
  problems: Problems,
): { type: AreaGeometry['type']; polygons: unknown[] } | undefined {
  if (!isObject(feature) || feature.type !== 'Feature') {
    problems.add(
      index,
      'is not a GeoJSON Feature: each entry of "features" needs "type": "Feature", geometry and properties',
    );
    return undefined;
  }
  const geometry = feature.geometry;
  if (!isObject(geometry)) {
    problems.add(index, 'has no geometry: draw the area as a Polygon or MultiPolygon');
    return undefined;
  }
  if (geometry.type !== 'Polygon' && geometry.type !== 'MultiPolygon') {
    problems.add(
      index,
      `geometry is a ${String(geometry.type)}, not an area: draw the area as a Polygon or MultiPolygon`,
    );
    return undefined;
  }
  const coordinates = geometry.coordinates;
  const polygons = geometry.type === 'Polygon' ? [coordinates] : coordinates;
  if (
    !Array.isArray(polygons) ||
    polygons.length === 0 ||
    (geometry.type === 'Polygon' && !Array.isArray(coordinates))
  ) {
    problems.add(index, 'geometry is empty: draw at least one ring');
    return undefined;
  }
  return { type: geometry.type, polygons };
}

/**
 * The rings of one polygon when each is valid, none crosses another or itself, and the outer ring has an area;
 * `where` names the polygon in a MultiPolygon ("polygon 2 "), empty for a Polygon.
 */
function checkPolygon(polygon: unknown, where: string, index: number, problems: Problems): Ring[] | undefined {
  if (!Array.isArray(polygon) || polygon.length === 0) {
    problems.add(index, `${where || 'geometry '}is empty: draw at least one ring`);
    return undefined;
  }
  const rings: Ring[] = [];
  polygon.forEach((ring: unknown, r: number) => {
    const checked = checkRing(ring, `${where}ring ${r}`, index, problems);
    if (checked) rings.push(checked);
  });
  if (rings.length !== polygon.length) return undefined;
  const crossing = findCrossing(rings);
  if (crossing) {
    const [lon, lat] = crossing.near;
    const what =
      crossing.ringA === crossing.ringB
        ? `${where}ring ${crossing.ringA} intersects itself (segments ${crossing.segmentA} and ${crossing.segmentB})`
        : `${where}rings ${crossing.ringA} and ${crossing.ringB} cross (segments ${crossing.segmentA} and ${crossing.segmentB})`;
    problems.add(
      index,
      `${what} near ${lon.toFixed(5)}, ${lat.toFixed(5)}: fix the boundary there (QGIS "Fix geometries" or ST_MakeValid)`,
    );
    return undefined;
  }
  if (ringAreaM2(rings[0]!) < MIN_AREA_M2) {
    problems.add(index, `${where}has zero area: its points lie on a line or on one spot; draw a real area`);
    return undefined;
  }
  return rings;
}

/** The geometry with its area, when the area is neither zero (holes covering it) nor over `limitM2`. */
function checkArea(
  geometry: AreaGeometry,
  index: number,
  problems: Problems,
  limitM2: number,
): CheckedGeometry | undefined {
  const total = areaM2(geometry);
  if (total < MIN_AREA_M2) {
    problems.add(index, 'has zero area: its holes cover it entirely; draw a real area');
    return undefined;
  }
  if (total > limitM2) {
    problems.add(
      index,
      `area ${(total / 1e6).toFixed(0)} km² is over the limit of ${limitM2 / 1e6} km²: split the AOI or raise aoi.maxAreaKm2 in the config`,
    );
    return undefined;
  }
  return { geometry, areaM2: total };
}

function checkRing(ring: unknown, where: string, feature: number, problems: Problems): Ring | undefined {
  if (!Array.isArray(ring)) {
    problems.add(feature, `${where} is not a list of positions: write it as [[lon, lat], …]`);
    return undefined;
  }
  const positions: Position[] = [];
  for (let i = 0; i < ring.length; i++) {
    const position: unknown = ring[i];
    if (
      !Array.isArray(position) ||
      position.length < 2 ||
      position.length > 3 ||
      !position.every((value) => typeof value === 'number' && Number.isFinite(value))
    ) {
      problems.add(
        feature,
        `${where} position ${i} is ${JSON.stringify(position)}, not [lon, lat]: write each position as two numbers`,
      );
      return undefined;
    }
    positions.push([position[0] as number, position[1] as number]);
  }
  if (positions.length === 0) {
    problems.add(feature, `${where} is empty: draw at least three corners`);
    return undefined;
  }
  if (!checkRanges(positions, where, feature, problems)) return undefined;
  if (!ringIsClosed(positions)) {
    const [lon, lat] = positions[0]!;
    problems.add(feature, `${where} is not closed: repeat its first position [${lon}, ${lat}] at the end`);
    return undefined;
  }
  const distinct = withoutRepeats(positions);
  if (distinct.length < 4) {
    problems.add(feature, `${where} has ${distinct.length - 1} distinct corner(s): a ring needs at least three`);
    return undefined;
  }
  return distinct;
}

function checkRanges(positions: Position[], where: string, feature: number, problems: Problems): boolean {
  const bad = positions.findIndex(([lon, lat]) => Math.abs(lon) > 180 || Math.abs(lat) > 90);
  if (bad < 0) return true;
  const [lon, lat] = positions[bad]!;
  const projected = positions.some(([x, y]) => Math.abs(x) > 1000 || Math.abs(y) > 1000);
  const swapped = positions.every(([x, y]) => Math.abs(x) <= 90 && Math.abs(y) <= 180);
  if (projected) {
    problems.add(
      feature,
      `${where} position ${bad} is [${lon}, ${lat}], which looks projected (metres, e.g. UTM), not lon/lat: reproject to WGS84 with "ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson"`,
    );
  } else if (swapped) {
    problems.add(
      feature,
      `${where} position ${bad} is [${lon}, ${lat}]: latitude ${lat} is out of range and the positions look swapped (lat, lon): GeoJSON positions are [longitude, latitude]`,
    );
  } else {
    problems.add(
      feature,
      `${where} position ${bad} is [${lon}, ${lat}], outside longitude -180..180 / latitude -90..90: use lon/lat degrees in WGS84`,
    );
  }
  return false;
}

/** Problems for AOI ids used by more than one file. */
export function findDuplicateIds(aois: ReadonlyArray<Pick<Aoi, 'id' | 'file' | 'feature'>>): AoiProblem[] {
  const byId = new Map<string, Array<Pick<Aoi, 'file' | 'feature'>>>();
  for (const aoi of aois) byId.set(aoi.id, [...(byId.get(aoi.id) ?? []), aoi]);
  const problems: AoiProblem[] = [];
  for (const [id, owners] of byId) {
    if (owners.length < 2) continue;
    for (const owner of owners) {
      const others = owners.filter((other) => other !== owner).map((other) => other.file);
      problems.push({
        file: owner.file,
        feature: owner.feature,
        message: `duplicate AOI id "${id}", also used by ${others.join(', ')}: ids name outputs, so give each AOI its own`,
      });
    }
  }
  return problems;
}
