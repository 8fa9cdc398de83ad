import geographiclib from 'geographiclib-geodesic';

/** Pure geometry on GeoJSON coordinates (lon/lat, WGS84, RFC 7946). */

export type Position = [number, number];
export type Ring = Position[];
export type PolygonCoordinates = Ring[];

export interface PolygonGeometry {
  type: 'Polygon';
  coordinates: PolygonCoordinates;
}
export interface MultiPolygonGeometry {
  type: 'MultiPolygon';
  coordinates: PolygonCoordinates[];
}
export type AreaGeometry = PolygonGeometry | MultiPolygonGeometry;

/** [west, south, east, north] in degrees. */
export type BBox = [number, number, number, number];

export function polygonsOf(geometry: AreaGeometry): PolygonCoordinates[] {
  return geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
}

/**
 * Area of a ring in m² on the WGS84 ellipsoid, by Karney's algorithm (GeographicLib, the same library
 * PROJ's `geod` and pyproj's `Geod.polygon_area_perimeter` use), so the figure is equal-area by construction
 * and comparable with those peers. Always positive, whatever the winding.
 */
export function ringAreaM2(ring: Ring): number {
  const polygon = geographiclib.Geodesic.WGS84.Polygon(false);
  // The closing position repeats the first; GeographicLib closes the ring itself.
  const count = ringIsClosed(ring) ? ring.length - 1 : ring.length;
  for (let i = 0; i < count; i++) polygon.AddPoint(ring[i]![1], ring[i]![0]);
  // area is optional in the typings only because polylines have none; a polygon always has one.
  return Math.abs(polygon.Compute(false, true).area ?? 0);
}

/** Geodesic area (m²) of a Polygon or MultiPolygon: exterior rings less their holes. */
export function areaM2(geometry: AreaGeometry): number {
  let total = 0;
  for (const polygon of polygonsOf(geometry)) {
    polygon.forEach((ring, index) => {
      total += index === 0 ? ringAreaM2(ring) : -ringAreaM2(ring);
    });
  }
  return total;
}

export function ringIsClosed(ring: Ring): boolean {
  const first = ring[0];
  const last = ring[ring.length - 1];
  return ring.length > 1 && first !== undefined && last !== undefined && first[0] === last[0] && first[1] === last[1];
}

export function bboxOf(geometry: AreaGeometry): BBox {
  let [west, south, east, north] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const polygon of polygonsOf(geometry)) {
    for (const [lon, lat] of polygon[0] ?? []) {
      west = Math.min(west, lon);
      east = Math.max(east, lon);
      south = Math.min(south, lat);
      north = Math.max(north, lat);
    }
  }
  return [west, south, east, north];
}

export function bboxesIntersect(a: BBox, b: BBox): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

/** Drops consecutive repeated positions, which GIS exports often carry and which are not an error. */
export function withoutRepeats(ring: Ring): Ring {
  return ring.filter((p, i) => i === 0 || p[0] !== ring[i - 1]![0] || p[1] !== ring[i - 1]![1]);
}

function orientation(a: Position, b: Position, c: Position): number {
  const value = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  return value > 0 ? 1 : value < 0 ? -1 : 0;
}

function onSegment(a: Position, b: Position, p: Position): boolean {
  return (
    Math.min(a[0], b[0]) <= p[0] &&
    p[0] <= Math.max(a[0], b[0]) &&
    Math.min(a[1], b[1]) <= p[1] &&
    p[1] <= Math.max(a[1], b[1])
  );
}

/** True when closed segments ab and cd share at least one point. */
export function segmentsIntersect(a: Position, b: Position, c: Position, d: Position): boolean {
  const o1 = orientation(a, b, c);
  const o2 = orientation(a, b, d);
  const o3 = orientation(c, d, a);
  const o4 = orientation(c, d, b);
  if (o1 !== o2 && o3 !== o4) return true;
  return (
    (o1 === 0 && onSegment(a, b, c)) ||
    (o2 === 0 && onSegment(a, b, d)) ||
    (o3 === 0 && onSegment(c, d, a)) ||
    (o4 === 0 && onSegment(c, d, b))
  );
}

/** Where a ring (or two rings) meets itself: the two segment indexes and a point near the crossing. */
export interface Crossing {
  ringA: number;
  segmentA: number;
  ringB: number;
  segmentB: number;
  near: Position;
}

interface Segment {
  ring: number;
  index: number;
  a: Position;
  b: Position;
  minX: number;
  maxX: number;
}

/**
 * Finds the first place where the rings of a polygon touch or cross themselves or each other, other than
 * the shared vertex of consecutive segments. Sort-and-sweep on x: near-linear for real boundaries.
 * Rings must be closed and free of consecutive repeats ({@link withoutRepeats}).
 */
export function findCrossing(rings: readonly Ring[]): Crossing | undefined {
  const segments: Segment[] = [];
  rings.forEach((ring, r) => {
    for (let i = 0; i < ring.length - 1; i++) {
      const a = ring[i]!;
      const b = ring[i + 1]!;
      segments.push({ ring: r, index: i, a, b, minX: Math.min(a[0], b[0]), maxX: Math.max(a[0], b[0]) });
    }
  });
  segments.sort((s, t) => s.minX - t.minX);
  let active: Segment[] = [];
  for (const segment of segments) {
    active = active.filter((other) => other.maxX >= segment.minX);
    for (const other of active) {
      if (!segmentsIntersect(segment.a, segment.b, other.a, other.b)) continue;
      if (other.ring === segment.ring && adjacentAndOnlyTouching(segment, other, rings[segment.ring]!.length - 1)) {
        continue;
      }
      const [first, second] =
        segment.ring < other.ring || (segment.ring === other.ring && segment.index < other.index)
          ? [segment, other]
          : [other, segment];
      return {
        ringA: first.ring,
        segmentA: first.index,
        ringB: second.ring,
        segmentB: second.index,
        near: first.a,
      };
    }
    active.push(segment);
  }
  return undefined;
}

/** Consecutive segments share a vertex; that alone is no crossing, but folding back over each other is. */
function adjacentAndOnlyTouching(s: Segment, t: Segment, segmentCount: number): boolean {
  const [first, second] = s.index < t.index ? [s, t] : [t, s];
  const consecutive = second.index - first.index === 1;
  const wraps = first.index === 0 && second.index === segmentCount - 1;
  if (!consecutive && !wraps) return false;
  // Consecutive: first.a → shared → second.b. Wrap-around: second.a → shared (= first.a) → first.b.
  const [p, shared, q] = consecutive ? [first.a, first.b, second.b] : [second.a, first.a, first.b];
  // They only touch unless they are collinear and point the same way from the shared vertex (a spike).
  const foldsBack =
    orientation(p, shared, q) === 0 &&
    (p[0] - shared[0]) * (q[0] - shared[0]) + (p[1] - shared[1]) * (q[1] - shared[1]) > 0;
  return !foldsBack;
}

/** Metres per degree at a latitude, for tolerances only (never for areas). */
function metresPerDegree(lat: number): [number, number] {
  const radians = (lat * Math.PI) / 180;
  return [111_320 * Math.cos(radians), 110_574];
}

/**
 * Douglas-Peucker simplification of a closed ring with a tolerance in metres. Keeps the ring closed and at
 * least four positions long. The caller checks the result for crossings (simplification can create them).
 */
export function simplifyRing(ring: Ring, toleranceM: number): Ring {
  const points = withoutRepeats(ring);
  if (points.length <= 4) return points;
  const lat0 = points.reduce((sum, p) => sum + p[1], 0) / points.length;
  const [mx, my] = metresPerDegree(lat0);
  const keep = new Uint8Array(points.length);
  keep[0] = 1;
  keep[points.length - 1] = 1;
  // A closed ring has first === last; split it at the farthest vertex so both halves have distinct ends.
  let farthest = 1;
  let farthestDistance = -1;
  for (let i = 1; i < points.length - 1; i++) {
    const d = Math.hypot((points[i]![0] - points[0]![0]) * mx, (points[i]![1] - points[0]![1]) * my);
    if (d > farthestDistance) [farthest, farthestDistance] = [i, d];
  }
  keep[farthest] = 1;
  const stack: Array<[number, number]> = [
    [0, farthest],
    [farthest, points.length - 1],
  ];
  while (stack.length > 0) {
    const [start, end] = stack.pop()!;
    const [ax, ay] = [points[start]![0] * mx, points[start]![1] * my];
    const [bx, by] = [points[end]![0] * mx, points[end]![1] * my];
    const [dx, dy] = [bx - ax, by - ay];
    const length2 = dx * dx + dy * dy;
    let worst = -1;
    let worstDistance = toleranceM;
    for (let i = start + 1; i < end; i++) {
      const [px, py] = [points[i]![0] * mx, points[i]![1] * my];
      const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length2));
      const distance = Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
      if (distance > worstDistance) [worst, worstDistance] = [i, distance];
    }
    if (worst >= 0) {
      keep[worst] = 1;
      stack.push([start, worst], [worst, end]);
    }
  }
  const simplified = points.filter((_, i) => keep[i] === 1);
  return simplified.length >= 4 ? simplified : points;
}
