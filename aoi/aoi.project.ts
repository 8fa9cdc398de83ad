import proj4 from 'proj4';
import { polygonsOf, type AreaGeometry, type Position } from './geometry.js';

/**
 * AOIs in the CRS of a scene: UTM (north and south, any zone, so a scene of a neighbouring zone works) and the
 * geographic and web-mercator CRSs. Pure: proj4 computes, nothing is fetched.
 */

/** The proj4 definition of an EPSG code changewatch can read, or undefined. */
export function crsDefinition(epsg: number): string | undefined {
  if (epsg === 4326) return '+proj=longlat +datum=WGS84 +no_defs';
  if (epsg === 3857) return proj4.defs('EPSG:3857') ? 'EPSG:3857' : undefined;
  // WGS 84 / UTM zone N (326NN) and S (327NN): EPSG registry, zones 1-60.
  const zone = epsg % 100;
  if ((Math.floor(epsg / 100) === 326 || Math.floor(epsg / 100) === 327) && zone >= 1 && zone <= 60) {
    return `+proj=utm +zone=${zone}${Math.floor(epsg / 100) === 327 ? ' +south' : ''} +datum=WGS84 +units=m +no_defs`;
  }
  return undefined;
}

/** The WGS 84 / UTM EPSG code of the zone holding a lon/lat position (no Norway/Svalbard exceptions). */
export function utmEpsgFor(lon: number, lat: number): number {
  const normalised = lon === 180 ? 180 : ((((lon + 180) % 360) + 360) % 360) - 180;
  const zone = Math.min(60, Math.floor((normalised + 180) / 6) + 1);
  return (lat < 0 ? 32700 : 32600) + zone;
}

const LONLAT = '+proj=longlat +datum=WGS84 +no_defs';

/** proj4 converters by definition pair, made once: making one parses both definitions (tens of microseconds). */
const converters = new Map<string, proj4.Converter>();
function converter(from: string, to: string): proj4.Converter {
  const key = `${from}|${to}`;
  let made = converters.get(key);
  if (!made) converters.set(key, (made = proj4(from, to)));
  return made;
}

/** A converter from lon/lat to `epsg`; throws RangeError for a CRS changewatch does not know. */
export function toCrs(epsg: number): (position: Position) => Position {
  const definition = crsDefinition(epsg);
  if (!definition) {
    throw new RangeError(
      `EPSG:${epsg} is not supported: changewatch reads scenes in WGS 84 / UTM, EPSG:4326 or EPSG:3857`,
    );
  }
  const forward = converter(LONLAT, definition);
  return (position) => forward.forward([position[0], position[1]]) as Position;
}

/** A converter from `epsg` back to lon/lat. */
export function fromCrs(epsg: number): (position: Position) => Position {
  const definition = crsDefinition(epsg);
  if (!definition) throw new RangeError(`EPSG:${epsg} is not supported`);
  const inverse = converter(definition, LONLAT);
  return (position) => inverse.forward([position[0], position[1]]) as Position;
}

/** Edges are densified to this many segments before projecting: a straight lon/lat edge bends in UTM. */
const DENSIFY = 16;

/**
 * Pieces are at most this long (degrees, in longitude and in latitude: about 11 m), up to {@link DENSIFY} per edge:
 * a 0.001° edge along a parallel 2° off the central meridian bends 14 µm from its chord at 2.5° S and 120 µm at
 * 45° (measured with proj4), and the bend goes with the square of the length, so 11 m pieces stay within about a
 * micrometre. Sites' outlines, traced along 10 m pixel edges, keep their vertices as they are (thousands of them).
 */
const DENSIFY_PIECE_DEGREES = 1e-4;

/** The geometry projected into `epsg`, long edges densified so the projected outline stays faithful. */
export function projectGeometry(geometry: AreaGeometry, epsg: number): Position[][][] {
  const forward = toCrs(epsg);
  return polygonsOf(geometry).map((polygon) =>
    polygon.map((ring) => {
      const out: Position[] = [];
      for (let i = 0; i < ring.length - 1; i++) {
        const [a, b] = [ring[i]!, ring[i + 1]!];
        const span = Math.max(Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1]));
        const steps = Math.min(DENSIFY, Math.max(1, Math.ceil(span / DENSIFY_PIECE_DEGREES)));
        for (let step = 0; step < steps; step++) {
          const t = step / steps;
          out.push(forward([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]));
        }
      }
      out.push(forward(ring[ring.length - 1]!));
      return out;
    }),
  );
}

/**
 * Bounds of geometries already projected, by geometry object and CRS: a block's outline is projected into each
 * scene's CRS for every scene read over the block. Geometries are never modified once made.
 */
const boundsMade = new WeakMap<object, Map<number, [number, number, number, number]>>();

/** Bounds [minX, minY, maxX, maxY] of the geometry in `epsg`. */
export function projectedBounds(geometry: AreaGeometry, epsg: number): [number, number, number, number] {
  let made = boundsMade.get(geometry);
  if (!made) boundsMade.set(geometry, (made = new Map()));
  const known = made.get(epsg);
  if (known) return [...known];
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const polygon of projectGeometry(geometry, epsg)) {
    for (const [x, y] of polygon[0] ?? []) {
      [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
    }
  }
  made.set(epsg, [minX, minY, maxX, maxY]);
  return [minX, minY, maxX, maxY];
}
