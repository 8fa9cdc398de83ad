/**
 * Outlines of labelled patches (8-connected components) as polygons traced along pixel edges, the way
 * gdal_polygonize draws them: every vertex is a pixel corner, so a polygon covers exactly its pixels. Pure.
 *
 * Coordinates are pixel corners: (x, y) with x to the right and y down; pixel (col, row) covers
 * [col, col + 1] × [row, row + 1]. Each pixel's boundary edges are walked with the pixel on the right, so outer
 * rings come out clockwise on screen (positive shoelace area in these y-down coordinates) and holes the other way.
 * Where two pixels of a patch touch only at a corner, the two background pixels at that corner decide the turn, so
 * that every ring stays simple (OGC: a ring may not touch itself; parts of a MultiPolygon, and a hole and its
 * shell, may touch at a point). When the background pixels belong to one background region (4-connected, the
 * grid's outside included), the walk turns right and hugs the pixel it came along: the patch is drawn as parts
 * touching at the corner. When they belong to different regions, the patch closes a loop there and one of them is
 * a hole: the walk turns left and keeps to one background region, so the hole touches its shell at the corner.
 */

export type PixelRing = Array<[number, number]>;

export interface PatchOutline {
  /** The component label (1..count). */
  label: number;
  /** Polygons of the patch: an outer ring, then its holes; rings closed (first vertex repeated last). */
  polygons: PixelRing[][];
}

/** Direction of an edge: 0 east, 1 south, 2 west, 3 north (y down). Turning right is (d + 1) % 4. */
const STEP_X = [1, 0, -1, 0] as const;
const STEP_Y = [0, 1, 0, -1] as const;

/** Signed shoelace area of a closed ring; positive for rings clockwise on screen (y down). */
export function ringArea(ring: PixelRing): number {
  let sum = 0;
  for (let i = 0; i < ring.length - 1; i++) sum += ring[i]![0] * ring[i + 1]![1] - ring[i + 1]![0] * ring[i]![1];
  return sum / 2;
}

function contains(ring: PixelRing, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 2; i < ring.length - 1; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Background regions (label 0 pixels, 4-connected): 1 for the region that reaches the grid's edge (the outside),
 * 2.. for enclosed ones.
 */
function backgroundRegions(labels: Int32Array, width: number, height: number): Int32Array {
  const regions = new Int32Array(labels.length);
  const stack = new Int32Array(labels.length);
  const flood = (seed: number, region: number) => {
    if (labels[seed] !== 0 || regions[seed] !== 0) return;
    let top = 0;
    regions[seed] = region;
    stack[top++] = seed;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % width;
      for (const n of [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i - width, i + width]) {
        if (n < 0 || n >= labels.length || labels[n] !== 0 || regions[n] !== 0) continue;
        regions[n] = region;
        stack[top++] = n;
      }
    }
  };
  for (let x = 0; x < width; x++) {
    flood(x, 1);
    flood((height - 1) * width + x, 1);
  }
  for (let y = 0; y < height; y++) {
    flood(y * width, 1);
    flood(y * width + width - 1, 1);
  }
  let next = 2;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 0 && regions[i] === 0) flood(i, next++);
  return regions;
}

export function tracePatches(labels: Int32Array, count: number, width: number, height: number): PatchOutline[] {
  if (labels.length !== width * height)
    throw new RangeError(`tracePatches: ${labels.length} labels for ${width}×${height}`);
  const columns = width + 1;
  // Boundary edges, in flat arrays: start vertex (y * columns + x), direction, label.
  const from: number[] = [];
  const direction: number[] = [];
  const owner: number[] = [];
  const addEdge = (vertex: number, d: number, label: number) => {
    from.push(vertex);
    direction.push(d);
    owner.push(label);
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const label = labels[i]!;
      if (label === 0) continue;
      if (y === 0 || labels[i - width] !== label) addEdge(y * columns + x, 0, label);
      if (x === width - 1 || labels[i + 1] !== label) addEdge(y * columns + x + 1, 1, label);
      if (y === height - 1 || labels[i + width] !== label) addEdge((y + 1) * columns + x + 1, 2, label);
      if (x === 0 || labels[i - 1] !== label) addEdge((y + 1) * columns + x, 3, label);
    }
  }
  // Outgoing edges per vertex: one, or two where pixels of a patch touch at a corner.
  const outgoing = new Map<number, number | [number, number]>();
  for (let e = 0; e < from.length; e++) {
    const existing = outgoing.get(from[e]!);
    outgoing.set(from[e]!, existing === undefined ? e : [existing as number, e]);
  }
  let regions: Int32Array | undefined;
  /** At a corner where two patch pixels touch diagonally (never on the grid's edge): turn right or left. */
  const turnRight = (vertex: number): boolean => {
    regions ??= backgroundRegions(labels, width, height);
    const x = vertex % columns;
    const y = Math.floor(vertex / columns);
    // The two background pixels at the corner: top-right and bottom-left, or top-left and bottom-right.
    const topLeft = labels[(y - 1) * width + x - 1] === 0;
    const [b, c] = topLeft ? [(y - 1) * width + x - 1, y * width + x] : [(y - 1) * width + x, y * width + x - 1];
    return regions[b] === regions[c];
  };
  const used = new Uint8Array(from.length);
  const rings = new Map<number, Array<{ ring: PixelRing; area: number; probe: [number, number] }>>();
  for (let start = 0; start < from.length; start++) {
    if (used[start]) continue;
    const corners: number[] = [];
    const turns: number[] = [];
    let edge = start;
    while (!used[edge]) {
      used[edge] = 1;
      corners.push(from[edge]!);
      turns.push(direction[edge]!);
      const d = direction[edge]!;
      const vertex = from[edge]! + STEP_Y[d]! * columns + STEP_X[d]!;
      const next = outgoing.get(vertex)!;
      if (typeof next === 'number') {
        edge = next;
      } else {
        const wanted = turnRight(vertex) ? (d + 1) % 4 : (d + 3) % 4;
        edge = direction[next[0]] === wanted ? next[0] : next[1];
      }
    }
    const ring: PixelRing = [];
    for (let k = 0; k < corners.length; k++) {
      // Only corners where the direction changes are vertices.
      if (turns[k] !== turns[(k + corners.length - 1) % corners.length]) {
        ring.push([corners[k]! % columns, Math.floor(corners[k]! / columns)]);
      }
    }
    ring.push([ring[0]![0], ring[0]![1]]);
    // The centre of the pixel on the right of the first edge: inside the patch, for placing holes.
    const [x0, y0] = [corners[0]! % columns, Math.floor(corners[0]! / columns)];
    const d0 = turns[0]!;
    const probe: [number, number] = [
      x0 + (d0 === 1 || d0 === 2 ? -0.5 : 0.5),
      y0 + (d0 === 2 || d0 === 3 ? -0.5 : 0.5),
    ];
    const label = owner[start]!;
    const list = rings.get(label) ?? [];
    list.push({ ring, area: ringArea(ring), probe });
    rings.set(label, list);
  }
  const outlines: PatchOutline[] = [];
  for (let label = 1; label <= count; label++) {
    const list = rings.get(label);
    if (!list) continue;
    const outers = list.filter((r) => r.area > 0).sort((a, b) => a.area - b.area);
    const polygons = new Map(outers.map((outer) => [outer, [outer.ring]]));
    for (const hole of list.filter((r) => r.area < 0)) {
      // The smallest outer ring around a pixel bordering the hole is the one the hole belongs to.
      const outer = outers.find((candidate) => contains(candidate.ring, hole.probe[0], hole.probe[1]));
      if (!outer) throw new Error(`tracePatches: hole of patch ${label} lies in no outer ring`);
      polygons.get(outer)!.push(hole.ring);
    }
    outlines.push({ label, polygons: [...polygons.values()] });
  }
  return outlines;
}
