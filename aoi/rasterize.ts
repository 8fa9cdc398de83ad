import { fromCrs, projectGeometry } from './aoi.project.js';
import type { AreaGeometry, Position } from './geometry.js';

/**
 * Burns an AOI or zone into a pixel grid: 1 where the pixel centre lies inside the polygon (even-odd over all
 * rings, so holes are holes), as GDAL's default rasterisation does. Pure.
 */
export interface Grid {
  epsg: number;
  width: number;
  height: number;
  /** GDAL geotransform, north-up. */
  transform: readonly [number, number, number, number, number, number];
}

/** A window of a grid: columns [x0, x1), rows [y0, y1). */
export interface PixelWindow {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The grid of a window of `grid` (which may reach past its edges): same CRS and pixel size, origin moved. */
export function windowGrid(grid: Grid, window: PixelWindow): Grid {
  const [originX, pixelWidth, , originY, , pixelHeight] = grid.transform;
  return {
    epsg: grid.epsg,
    width: window.x1 - window.x0,
    height: window.y1 - window.y0,
    transform: [originX + window.x0 * pixelWidth, pixelWidth, 0, originY + window.y0 * pixelHeight, 0, pixelHeight],
  };
}

/** The polygons' edges in pixel coordinates of `grid`, by the first scanline they may cross. */
function pixelEdges(geometry: AreaGeometry, grid: Grid): Edge[] {
  const [originX, pixelWidth, , originY, , pixelHeight] = grid.transform;
  const edges: Edge[] = [];
  for (const polygon of projectGeometry(geometry, grid.epsg)) {
    for (const ring of polygon) {
      for (let i = 0; i < ring.length - 1; i++) {
        // Edges in pixel coordinates (column, row), so scanlines run along pixel-centre rows.
        const [x1, y1] = ring[i]!;
        const [x2, y2] = ring[i + 1]!;
        edges.push(
          edgeOf(
            (x1 - originX) / pixelWidth,
            (y1 - originY) / pixelHeight,
            (x2 - originX) / pixelWidth,
            (y2 - originY) / pixelHeight,
          ),
        );
      }
    }
  }
  edges.sort((a, b) => a.low - b.low);
  return edges;
}

/**
 * Calls `run(row, start, end)` for each run of pixels inside, columns [start, end) within the window, row by row,
 * with the same arithmetic (in whole-grid pixel coordinates) whichever window is asked, so windows burnt
 * separately agree with the whole grid burnt at once.
 */
function scanWindow(edges: Edge[], window: PixelWindow, run: (row: number, start: number, end: number) => void): void {
  const crossings: number[] = [];
  const active: Edge[] = [];
  let next = 0;
  // Each window walks the edges down its rows, keeping only those under the row.
  for (let row = window.y0; row < window.y1; row++) {
    const y = row + 0.5;
    while (next < edges.length && edges[next]!.low <= y) active.push(edges[next++]!);
    crossings.length = 0;
    let kept = 0;
    for (const edge of active) {
      if (edge.high <= y) continue;
      active[kept++] = edge;
      // Half-open rule: an edge counts when y is in [min, max), so a vertex on the scanline is counted once.
      const { x1, y1, x2, y2 } = edge;
      crossings.push(x1 + ((y - y1) / (y2 - y1)) * (x2 - x1));
    }
    active.length = kept;
    crossings.sort((a, b) => a - b);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      // Pixel centres x + 0.5 within [start, end).
      const start = Math.max(window.x0, Math.ceil(crossings[k]! - 0.5));
      const end = Math.min(window.x1, Math.ceil(crossings[k + 1]! - 0.5));
      if (end > start) run(row, start, end);
    }
  }
}

/** Burns windows of the grid one at a time: 1 where the pixel centre is inside, row-major over the window. */
export function rasterizer(geometry: AreaGeometry, grid: Grid): (window: PixelWindow) => Uint8Array {
  const edges = pixelEdges(geometry, grid);
  return (window) => {
    const width = window.x1 - window.x0;
    const mask = new Uint8Array(width * (window.y1 - window.y0));
    scanWindow(edges, window, (row, start, end) => {
      const at = (row - window.y0) * width - window.x0;
      mask.fill(1, at + start, at + end);
    });
    return mask;
  };
}

/**
 * Rows of a window as runs of pixels inside: row r's runs are the column pairs [start, end) at
 * `runs[2k], runs[2k + 1]` for k from `first[r]` to `first[r + 1]` − 1. A few bytes a row where a mask takes one a
 * pixel.
 */
export interface RowRuns {
  window: PixelWindow;
  first: Uint32Array;
  runs: Int32Array;
}

/** Like {@link rasterizer}, the same pixels, as runs. */
export function runRasterizer(geometry: AreaGeometry, grid: Grid): (window: PixelWindow) => RowRuns {
  const edges = pixelEdges(geometry, grid);
  return (window) => {
    const first = new Uint32Array(window.y1 - window.y0 + 1);
    const runs: number[] = [];
    scanWindow(edges, window, (row, start, end) => {
      runs.push(start, end);
      first[row - window.y0 + 1] = runs.length / 2;
    });
    // Rows without runs start where the row before them ended.
    for (let r = 1; r < first.length; r++) first[r] = Math.max(first[r]!, first[r - 1]!);
    return { window, first, runs: Int32Array.from(runs) };
  };
}

/** A polygon edge in pixel coordinates, with the rows it spans: a scanline y crosses it when low ≤ y < high. */
interface Edge {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  low: number;
  high: number;
}

const edgeOf = (x1: number, y1: number, x2: number, y2: number): Edge => ({
  x1,
  y1,
  x2,
  y2,
  low: Math.min(y1, y2),
  high: Math.max(y1, y2),
});

export function rasterize(geometry: AreaGeometry, grid: Grid): Uint8Array {
  return rasterizer(geometry, grid)({ x0: 0, y0: 0, x1: grid.width, y1: grid.height });
}

/**
 * The outline of a grid in lon/lat: its four edges, each split into `stepsPerEdge` pieces and transformed, as a
 * closed counter-clockwise ring (RFC 7946), since straight grid edges bend in lon/lat.
 */
export function gridOutline(grid: Grid, stepsPerEdge = 8): Position[] {
  const inverse = fromCrs(grid.epsg);
  const [x0, dx, , y0, , dy] = grid.transform;
  const corners: Position[] = [
    [x0, y0],
    [x0 + grid.width * dx, y0],
    [x0 + grid.width * dx, y0 + grid.height * dy],
    [x0, y0 + grid.height * dy],
  ];
  const ring: Position[] = [];
  for (let i = 0; i < 4; i++) {
    const [a, b] = [corners[i]!, corners[(i + 1) % 4]!];
    for (let step = 0; step < stepsPerEdge; step++) {
      const t = step / stepsPerEdge;
      ring.push(inverse([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]));
    }
  }
  // The corners above run clockwise in a north-up grid.
  ring.reverse();
  ring.push(ring[0]!);
  return ring;
}
