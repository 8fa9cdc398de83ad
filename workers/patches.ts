/**
 * Change patches over a whole AOI without a whole-AOI label image: the change pixels of each row are kept as runs
 * (row, first column, end column) with the figures a patch needs, gathered block by block in any order; runs are
 * then joined into 8-connected patches with union-find (runs of one row that touch, and runs of neighbouring rows
 * that overlap or touch diagonally). Memory follows the number of runs, not the grid, so an AOI of any size is
 * labelled in the space its change takes. Pure.
 */

import { findRoot, unite } from './components.js';

/** What a run of change pixels carries into its patch. */
export interface RunFigures {
  /** Sum of the true pixel areas of the run, hectares. */
  hectares: number;
  /** Of which pixels with high confidence, hectares. */
  highHectares: number;
  /** Fewest clear monitoring observations of any pixel of the run. */
  clearMin: number;
  /** Earliest day (since 1970-01-01) a clear observation showed the change, -1 for none. */
  firstDay: number;
  /** Bits OR-ed over the run's pixels (which change classes it holds, for rules on mixed patches). */
  flags: number;
}

export class RunTable {
  private capacity = 1024;
  length = 0;
  row = new Int32Array(this.capacity);
  start = new Int32Array(this.capacity);
  /** Exclusive. */
  end = new Int32Array(this.capacity);
  hectares = new Float64Array(this.capacity);
  highHectares = new Float64Array(this.capacity);
  clearMin = new Int32Array(this.capacity);
  firstDay = new Int32Array(this.capacity);
  flags = new Int32Array(this.capacity);

  add(row: number, start: number, end: number, figures: RunFigures): void {
    if (end <= start) throw new RangeError(`RunTable: empty run ${start}..${end} in row ${row}`);
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    this.row[i] = row;
    this.start[i] = start;
    this.end[i] = end;
    this.hectares[i] = figures.hectares;
    this.highHectares[i] = figures.highHectares;
    this.clearMin[i] = figures.clearMin;
    this.firstDay[i] = figures.firstDay;
    this.flags[i] = figures.flags;
  }

  private grow(): void {
    this.capacity *= 2;
    const grown = <T extends Int32Array | Float64Array>(array: T): T => {
      const next = new (array.constructor as new (length: number) => T)(this.capacity);
      next.set(array);
      return next;
    };
    this.row = grown(this.row);
    this.start = grown(this.start);
    this.end = grown(this.end);
    this.hectares = grown(this.hectares);
    this.highHectares = grown(this.highHectares);
    this.clearMin = grown(this.clearMin);
    this.firstDay = grown(this.firstDay);
    this.flags = grown(this.flags);
  }
}

/**
 * The runs of one row of a block where `isChange` holds: `columnOffset`/`row` place the block in the grid,
 * `figures(i)` gives a pixel's contribution (index into the block row).
 */
export function addRowRuns(
  table: RunTable,
  row: number,
  columnOffset: number,
  width: number,
  isChange: (i: number) => boolean,
  pixel: (i: number) => { hectares: number; high: boolean; clear: number; firstDay: number; flags: number },
): void {
  let i = 0;
  while (i < width) {
    if (!isChange(i)) {
      i++;
      continue;
    }
    const start = i;
    const figures: RunFigures = { hectares: 0, highHectares: 0, clearMin: Infinity, firstDay: -1, flags: 0 };
    for (; i < width && isChange(i); i++) {
      const p = pixel(i);
      figures.hectares += p.hectares;
      if (p.high) figures.highHectares += p.hectares;
      figures.clearMin = Math.min(figures.clearMin, p.clear);
      figures.flags |= p.flags;
      if (p.firstDay >= 0 && (figures.firstDay < 0 || p.firstDay < figures.firstDay)) figures.firstDay = p.firstDay;
    }
    table.add(row, columnOffset + start, columnOffset + i, figures);
  }
}

export interface Patch {
  /** 1-based, in raster order of the patch's first pixel (as a two-pass labelling numbers them). */
  id: number;
  pixels: number;
  hectares: number;
  highHectares: number;
  clearMin: number;
  firstDay: number;
  /** The runs' flags, OR-ed. */
  flags: number;
  /** Bounding box in grid pixels: rows [top, bottom), columns [left, right). */
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export interface PatchLabels {
  /** Patch id (1-based) of each run of the table. */
  patchOfRun: Int32Array;
  patches: Patch[];
  /** Run indices sorted by row, then first column. */
  order: Int32Array;
}

/** Joins the runs into 8-connected patches. */
export function labelRuns(table: RunTable): PatchLabels {
  const n = table.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => table.row[a]! - table.row[b]! || table.start[a]! - table.start[b]!);
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (x: number) => findRoot(parent, x);
  const union = (a: number, b: number) => unite(parent, a, b);
  // Positions in `order`: [previousStart, previousEnd) is the row above the current one when it is adjacent.
  let previousStart = 0;
  let previousEnd = 0;
  let k = 0;
  while (k < n) {
    const row = table.row[order[k]!]!;
    let rowEnd = k;
    while (rowEnd < n && table.row[order[rowEnd]!] === row) rowEnd++;
    // Same row: runs split at a block seam touch end to start.
    for (let j = k + 1; j < rowEnd; j++) {
      if (table.start[order[j]!] === table.end[order[j - 1]!]) union(j, j - 1);
    }
    const above = previousEnd > previousStart && table.row[order[previousStart]!] === row - 1;
    if (above) {
      let a = previousStart;
      for (let j = k; j < rowEnd; j++) {
        const start = table.start[order[j]!]!;
        const end = table.end[order[j]!]!;
        // 8-connected: columns [start, end) and [s, e) touch when s <= end and start <= e.
        while (a < previousEnd && table.end[order[a]!]! < start) a++;
        for (let b = a; b < previousEnd && table.start[order[b]!]! <= end; b++) union(j, b);
      }
    }
    previousStart = k;
    previousEnd = rowEnd;
    k = rowEnd;
  }
  // `parent` indexes positions in `order`; roots are each patch's first run in raster order.
  const idOfRoot = new Int32Array(n);
  const patches: Patch[] = [];
  const patchOfRun = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const root = find(j);
    if (idOfRoot[root] === 0) {
      idOfRoot[root] = patches.length + 1;
      patches.push({
        id: patches.length + 1,
        pixels: 0,
        hectares: 0,
        highHectares: 0,
        clearMin: Infinity,
        firstDay: -1,
        flags: 0,
        top: Infinity,
        bottom: -Infinity,
        left: Infinity,
        right: -Infinity,
      });
    }
    const run = order[j]!;
    const patch = patches[idOfRoot[root]! - 1]!;
    patchOfRun[run] = patch.id;
    patch.pixels += table.end[run]! - table.start[run]!;
    patch.hectares += table.hectares[run]!;
    patch.highHectares += table.highHectares[run]!;
    patch.clearMin = Math.min(patch.clearMin, table.clearMin[run]!);
    patch.flags |= table.flags[run]!;
    const day = table.firstDay[run]!;
    if (day >= 0 && (patch.firstDay < 0 || day < patch.firstDay)) patch.firstDay = day;
    patch.top = Math.min(patch.top, table.row[run]!);
    patch.bottom = Math.max(patch.bottom, table.row[run]! + 1);
    patch.left = Math.min(patch.left, table.start[run]!);
    patch.right = Math.max(patch.right, table.end[run]!);
  }
  return { patchOfRun, patches, order };
}

/** The runs of each patch, as indices into the table, in raster order. */
export function runsByPatch(labels: PatchLabels): Int32Array[] {
  const counts = new Int32Array(labels.patches.length + 1);
  for (const id of labels.patchOfRun) counts[id]!++;
  const lists = Array.from({ length: labels.patches.length + 1 }, (_, id) => new Int32Array(counts[id]!));
  const filled = new Int32Array(labels.patches.length + 1);
  for (const run of labels.order) {
    const id = labels.patchOfRun[run]!;
    lists[id]![filled[id]!++] = run;
  }
  return lists;
}

/** A patch as a label raster of its bounding box (1 on its pixels), for tracing its outline. */
export function patchRaster(table: RunTable, patch: Patch, runs: Int32Array): Int32Array {
  const width = patch.right - patch.left;
  const raster = new Int32Array(width * (patch.bottom - patch.top));
  for (const run of runs) {
    const at = (table.row[run]! - patch.top) * width - patch.left;
    raster.fill(1, at + table.start[run]!, at + table.end[run]!);
  }
  return raster;
}
