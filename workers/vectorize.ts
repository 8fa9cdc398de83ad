/**
 * Outlines of labelled patches (8-connected components) as polygons traced along pixel edges, the way
 * gdal_polygonize draws them: every vertex is a pixel corner, so a polygon covers exactly its pixels. Pure.
 *
 * Coordinates are pixel corners: (x, y) with x to the right and y down; pixel (col, row) covers
 * [col, col + 1] × [row, row + 1]. Each pixel's boundary edges are walked with the pixel on the right, so outer
 * rings come out clockwise on screen (positive shoelace area in these y-down coordinates) and holes the other way.
 * Each polygon is one 4-connected piece of the patch (its pixels share edges), so its interior is connected, as
 * OGC requires; pieces that touch only at corners are the parts of a MultiPolygon. At a corner where two pixels of
 * a patch touch diagonally, the walk turns right (hugging the pixel it came along) when they belong to different
 * pieces, and left when they belong to the same piece, which then closes a loop there: the hole it encloses
 * touches the shell at that corner. Either way no ring passes a corner twice.
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

/** 4-connected pieces of the labelled pixels: 1..n per pixel, 0 for background. */
function pieces4(labels: Int32Array, width: number): Int32Array {
  const pieces = new Int32Array(labels.length);
  const stack = new Int32Array(labels.length);
  let next = 0;
  for (let seed = 0; seed < labels.length; seed++) {
    if (labels[seed] === 0 || pieces[seed] !== 0) continue;
    const label = labels[seed]!;
    pieces[seed] = ++next;
    let top = 0;
    stack[top++] = seed;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % width;
      for (const n of [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i - width, i + width]) {
        if (n < 0 || n >= labels.length || labels[n] !== label || pieces[n] !== 0) continue;
        pieces[n] = next;
        stack[top++] = n;
      }
    }
  }
  return pieces;
}

/** Boundary edges of the labelled pixels, in parallel flat arrays (one entry per edge, millions on a large grid). */
interface BoundaryEdges {
  /** Start vertex, y * (width + 1) + x. */
  from: number[];
  /** 0 east, 1 south, 2 west, 3 north. */
  direction: number[];
  /** The 4-connected piece of the pixel on the edge's right. */
  owner: number[];
}

function addEdge(edges: BoundaryEdges, vertex: number, d: number, piece: number): void {
  edges.from.push(vertex);
  edges.direction.push(d);
  edges.owner.push(piece);
}

/** Each pixel edge between a patch pixel and anything else, directed so the patch pixel is on its right. */
function boundaryEdges(labels: Int32Array, pieces: Int32Array, width: number, height: number): BoundaryEdges {
  const columns = width + 1;
  const edges: BoundaryEdges = { from: [], direction: [], owner: [] };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const label = labels[i]!;
      if (label === 0) continue;
      const piece = pieces[i]!;
      if (y === 0 || labels[i - width] !== label) addEdge(edges, y * columns + x, 0, piece);
      if (x === width - 1 || labels[i + 1] !== label) addEdge(edges, y * columns + x + 1, 1, piece);
      if (y === height - 1 || labels[i + width] !== label) addEdge(edges, (y + 1) * columns + x + 1, 2, piece);
      if (x === 0 || labels[i - 1] !== label) addEdge(edges, (y + 1) * columns + x, 3, piece);
    }
  }
  return edges;
}

/** Outgoing edges per vertex: one, or two where pixels of a patch touch at a corner. */
function outgoingEdges(from: readonly number[]): Map<number, number | [number, number]> {
  const outgoing = new Map<number, number | [number, number]>();
  for (let e = 0; e < from.length; e++) {
    const existing = outgoing.get(from[e]!);
    outgoing.set(from[e]!, existing === undefined ? e : [existing as number, e]);
  }
  return outgoing;
}

/** Walks the loop of edges from `start`, marking them used; returns it as a closed ring of its turning corners. */
function traceRing(
  edges: BoundaryEdges,
  outgoing: Map<number, number | [number, number]>,
  used: Uint8Array,
  start: number,
  columns: number,
): PixelRing {
  const { from, direction, owner } = edges;
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
      // Same piece on both sides of the corner: turn left (stay on this piece's loop); else right.
      const samePiece = owner[next[0]] === owner[next[1]];
      const wanted = samePiece ? (d + 3) % 4 : (d + 1) % 4;
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
  return ring;
}

/** The label of the pixel on the right of edge `e`: pieces are numbered apart from patches, so a shell needs it. */
function labelRightOf(edges: BoundaryEdges, e: number, labels: Int32Array, width: number): number {
  const columns = width + 1;
  const vertex = edges.from[e]!;
  const d = edges.direction[e]!;
  const px = (vertex % columns) - (d === 1 || d === 2 ? 1 : 0);
  const py = Math.floor(vertex / columns) - (d === 2 || d === 3 ? 1 : 0);
  return labels[py * width + px]!;
}

/** Each patch's polygons (shell, then holes), pieces in order of their numbers, patches by label. */
function outlinesByPatch(
  shells: Map<number, PixelRing>,
  holes: Map<number, PixelRing[]>,
  patchOfPiece: Map<number, number>,
  count: number,
): PatchOutline[] {
  const byPatch = new Map<number, PixelRing[][]>();
  for (const [piece, shell] of [...shells].sort((a, b) => a[0] - b[0])) {
    const label = patchOfPiece.get(piece)!;
    const polygons = byPatch.get(label) ?? [];
    polygons.push([shell, ...(holes.get(piece) ?? [])]);
    byPatch.set(label, polygons);
  }
  const outlines: PatchOutline[] = [];
  for (let label = 1; label <= count; label++) {
    const polygons = byPatch.get(label);
    if (polygons) outlines.push({ label, polygons });
  }
  return outlines;
}

export function tracePatches(labels: Int32Array, count: number, width: number, height: number): PatchOutline[] {
  if (labels.length !== width * height)
    throw new RangeError(`tracePatches: ${labels.length} labels for ${width}×${height}`);
  const columns = width + 1;
  const edges = boundaryEdges(labels, pieces4(labels, width), width, height);
  const outgoing = outgoingEdges(edges.from);
  const used = new Uint8Array(edges.from.length);
  // Per piece: its shell and its holes; a loop's orientation tells which it is.
  const shells = new Map<number, PixelRing>();
  const holes = new Map<number, PixelRing[]>();
  const patchOfPiece = new Map<number, number>();
  for (let start = 0; start < edges.from.length; start++) {
    if (used[start]) continue;
    const ring = traceRing(edges, outgoing, used, start, columns);
    const piece = edges.owner[start]!;
    if (ringArea(ring) > 0) {
      shells.set(piece, ring);
      patchOfPiece.set(piece, labelRightOf(edges, start, labels, width));
    } else {
      const list = holes.get(piece) ?? [];
      list.push(ring);
      holes.set(piece, list);
    }
  }
  return outlinesByPatch(shells, holes, patchOfPiece, count);
}
