/**
 * RGBA pictures of composites and change classes for previews: the grid reduced by a whole factor so the longer
 * side fits a limit, then coloured. Pure; encoding to PNG is the caller's.
 *
 * Reduction keeps what a reader must not miss: an NDVI cell is the mean of the values seen in it; a class cell
 * takes the class of highest priority present in it (forest loss before "not seen" before the rest), so a loss
 * patch smaller than a preview pixel still shows, as GLAD's and Global Forest Watch's tiles do at low zoom.
 */

export interface Picture {
  width: number;
  height: number;
  /** RGBA, row-major, 4 bytes per pixel. */
  rgba: Uint8Array;
}

export type Rgb = readonly [number, number, number];

/** Pixel `pixel` (row-major index) opaque in `colour`; no array made per pixel. */
export function paint(rgba: Uint8Array, pixel: number, colour: Rgb): void {
  const o = pixel * 4;
  rgba[o] = colour[0];
  rgba[o + 1] = colour[1];
  rgba[o + 2] = colour[2];
  rgba[o + 3] = 255;
}

/** The whole factor that brings the longer side to at most `maxSide`. */
export function reductionFactor(width: number, height: number, maxSide: number): number {
  return Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
}

/** Green ramp for NDVI, from bare (-0.1 and below) to dense canopy (0.9 and above); ColorBrewer YlGn stops. */
const NDVI_STOPS: ReadonlyArray<readonly [number, Rgb]> = [
  [-0.1, [255, 255, 229]],
  [0.2, [217, 240, 163]],
  [0.45, [120, 198, 121]],
  [0.7, [35, 132, 67]],
  [0.9, [0, 69, 41]],
];

export function ndviColour(value: number): Rgb {
  const first = NDVI_STOPS[0]!;
  if (value <= first[0]) return first[1];
  for (let k = 1; k < NDVI_STOPS.length; k++) {
    const [v1, c1] = NDVI_STOPS[k]!;
    if (value > v1) continue;
    const [v0, c0] = NDVI_STOPS[k - 1]!;
    const t = (value - v0) / (v1 - v0);
    return [
      Math.round(c0[0] + t * (c1[0] - c0[0])),
      Math.round(c0[1] + t * (c1[1] - c0[1])),
      Math.round(c0[2] + t * (c1[2] - c0[2])),
    ];
  }
  return NDVI_STOPS[NDVI_STOPS.length - 1]![1];
}

/** Colour of ground inside the AOI that was not seen clear. */
export const NOT_SEEN_COLOUR: Rgb = [189, 189, 189];

/** What the blocks added to one row of reduced cells: per cell, the NDVI seen summed, pixels seen, pixels inside. */
interface NdviCells {
  sum: Float64Array;
  seen: Uint32Array;
  covered: Uint32Array;
}

/**
 * A picture being reduced from blocks: each reduced cell accumulates what the blocks covering it add, so blocks
 * may arrive in any order and the full-resolution raster is never held whole. A row of cells is painted and its
 * sums let go once every grid pixel under it was added: blocks come row by row, so only a few rows are open at a
 * time (the sums of every cell were 16 bytes a cell, 81 MiB for Kahuzi-Biega's two previews).
 */
export interface NdviReduction {
  width: number;
  height: number;
  factor: number;
  gridWidth: number;
  gridHeight: number;
  /** Rows of cells still being added to, by row. */
  open: Map<number, NdviCells>;
  /** Grid pixels added under each row of cells, inside the AOI or not. */
  added: Float64Array;
  /** The picture, row by row as rows are finished. */
  rgba: Uint8Array;
}

export function ndviReduction(width: number, height: number, maxSide: number): NdviReduction {
  const factor = reductionFactor(width, height, maxSide);
  const [outWidth, outHeight] = [Math.ceil(width / factor), Math.ceil(height / factor)];
  return {
    width: outWidth,
    height: outHeight,
    factor,
    gridWidth: width,
    gridHeight: height,
    open: new Map(),
    added: new Float64Array(outHeight),
    rgba: new Uint8Array(outWidth * outHeight * 4),
  };
}

function openCells(reduction: NdviReduction, row: number): NdviCells {
  let cells = reduction.open.get(row);
  if (!cells) {
    const width = reduction.width;
    cells = { sum: new Float64Array(width), seen: new Uint32Array(width), covered: new Uint32Array(width) };
    reduction.open.set(row, cells);
  }
  return cells;
}

/** Outside the AOI transparent, not seen grey, else the green ramp of the cell's mean. */
function paintNdviRow(reduction: NdviReduction, row: number, cells: NdviCells): void {
  for (let x = 0; x < reduction.width; x++) {
    if (cells.covered[x] === 0) continue;
    const seen = cells.seen[x]!;
    paint(reduction.rgba, row * reduction.width + x, seen === 0 ? NOT_SEEN_COLOUR : ndviColour(cells.sum[x]! / seen));
  }
}

/**
 * Adds a block (`width`×`height` at column `x0`, row `y0` of the full grid); every block of the grid must be added
 * once, those outside the AOI too (`inside` all 0), for its rows of cells to be finished.
 */
export function addNdviBlock(
  reduction: NdviReduction,
  block: { x0: number; y0: number; width: number; height: number },
  ndvi: ArrayLike<number>,
  inside: ArrayLike<number>,
): void {
  const { factor } = reduction;
  for (let y = 0; y < block.height; y++) {
    const row = Math.floor((block.y0 + y) / factor);
    const cells = openCells(reduction, row);
    for (let x = 0; x < block.width; x++) {
      const i = y * block.width + x;
      if (!inside[i]) continue;
      const cell = Math.floor((block.x0 + x) / factor);
      cells.covered[cell]!++;
      const value = ndvi[i]!;
      if (Number.isNaN(value)) continue;
      cells.sum[cell]! += value;
      cells.seen[cell]!++;
    }
    reduction.added[row]! += block.width;
    const rows = Math.min(reduction.gridHeight, (row + 1) * factor) - row * factor;
    if (reduction.added[row] !== reduction.gridWidth * rows) continue;
    paintNdviRow(reduction, row, cells);
    reduction.open.delete(row);
  }
}

/** The NDVI picture: rows of cells not finished (blocks never added) are painted from what they have. */
export function ndviPicture(reduction: NdviReduction): Picture {
  for (const [row, cells] of reduction.open) paintNdviRow(reduction, row, cells);
  return { width: reduction.width, height: reduction.height, rgba: reduction.rgba };
}

/** Classes reduced from blocks: each cell keeps the code of highest priority seen in it (-1 for none yet). */
export interface ClassReduction {
  width: number;
  height: number;
  factor: number;
  /** Rank of each code (higher wins; 0 never drawn), from the priority list. */
  rank: Int16Array;
  best: Int16Array;
}

/** `priority` lists the codes from most to least important for reduced cells. */
export function classReduction(
  width: number,
  height: number,
  maxSide: number,
  priority: readonly number[],
): ClassReduction {
  const factor = reductionFactor(width, height, maxSide);
  const rank = new Int16Array(256).fill(-1);
  priority.forEach((code, k) => (rank[code] = priority.length - k));
  const [outWidth, outHeight] = [Math.ceil(width / factor), Math.ceil(height / factor)];
  return { width: outWidth, height: outHeight, factor, rank, best: new Int16Array(outWidth * outHeight).fill(-1) };
}

export function addClassBlock(
  reduction: ClassReduction,
  block: { x0: number; y0: number; width: number; height: number },
  classes: ArrayLike<number>,
): void {
  const { factor, rank, best } = reduction;
  for (let y = 0; y < block.height; y++) {
    const cellRow = Math.floor((block.y0 + y) / factor) * reduction.width;
    for (let x = 0; x < block.width; x++) {
      const code = classes[y * block.width + x]!;
      if (rank[code]! <= 0) continue;
      const cell = cellRow + Math.floor((block.x0 + x) / factor);
      const current = best[cell]!;
      if (current < 0 || rank[code]! > rank[current]!) best[cell] = code;
    }
  }
}

/**
 * Change overlay: reduced classes drawn over a base picture of the same reduction; `colours` gives the colour of
 * each class code to draw (classes without a colour let the base show through).
 */
export function classesOver(base: Picture, reduction: ClassReduction, colours: ReadonlyMap<number, Rgb>): Picture {
  if (reduction.width !== base.width || reduction.height !== base.height)
    throw new RangeError(
      `classesOver: base is ${base.width}×${base.height}, classes reduce to ${reduction.width}×${reduction.height}`,
    );
  const rgba = Uint8Array.from(base.rgba);
  for (let cell = 0; cell < reduction.best.length; cell++) {
    const code = reduction.best[cell]!;
    const colour = code >= 0 ? colours.get(code) : undefined;
    if (colour) paint(rgba, cell, colour);
  }
  return { width: base.width, height: base.height, rgba };
}
