import { windowGrid, type Grid, type PixelWindow, type RowRuns } from '../../aoi/rasterize.js';

/** The grid cut into blocks, and the masks of the AOI and zones over them. */

/**
 * Masks of blocks, from full-width strips of `blockSize` rows kept as runs: blocks of one strip share its scan, and
 * every strip is kept (a few bytes a row; as masks, four strips of Kahuzi-Biega's grid were 29 MiB).
 */
export function stripMasks(runsOf: (window: PixelWindow) => RowRuns, grid: Grid, blockSize: number) {
  const strips = new Map<number, RowRuns>();
  return (window: PixelWindow): Uint8Array => {
    const top = Math.floor(window.y0 / blockSize) * blockSize;
    let strip = strips.get(top);
    if (!strip) {
      strip = runsOf({ x0: 0, y0: top, x1: grid.width, y1: Math.min(grid.height, top + blockSize) });
      strips.set(top, strip);
    }
    const { first, runs } = strip;
    const width = window.x1 - window.x0;
    const out = new Uint8Array(width * (window.y1 - window.y0));
    for (let row = window.y0; row < window.y1; row++) {
      const at = (row - window.y0) * width - window.x0;
      for (let k = first[row - top]!; k < first[row - top + 1]!; k++) {
        const [start, end] = [Math.max(window.x0, runs[2 * k]!), Math.min(window.x1, runs[2 * k + 1]!)];
        if (end > start) out.fill(1, at + start, at + end);
      }
    }
    return out;
  };
}

/** A block of the grid, and whether any of it lies inside the AOI (blocks wholly outside are not computed). */
export type BlockWindow = PixelWindow & { any: boolean };

/** The blocks of the grid in raster order. */
export function blockWindows(grid: Grid, blockSize: number, insideOf: (window: PixelWindow) => Uint8Array) {
  const windows: BlockWindow[] = [];
  for (let y0 = 0; y0 < grid.height; y0 += blockSize) {
    for (let x0 = 0; x0 < grid.width; x0 += blockSize) {
      const window = { x0, y0, x1: Math.min(grid.width, x0 + blockSize), y1: Math.min(grid.height, y0 + blockSize) };
      windows.push({ ...window, any: insideOf(window).includes(1) });
    }
  }
  return windows;
}

/** The grid of a block with its halo (less at the grid's edges), and the halo widths [left, top, right, bottom]. */
export function haloGrid(grid: Grid, window: PixelWindow, halo: number) {
  const hx0 = Math.max(0, window.x0 - halo);
  const hy0 = Math.max(0, window.y0 - halo);
  const hx1 = Math.min(grid.width, window.x1 + halo);
  const hy1 = Math.min(grid.height, window.y1 + halo);
  const blockGrid = windowGrid(grid, { x0: hx0, y0: hy0, x1: hx1, y1: hy1 });
  const widths: [number, number, number, number] = [window.x0 - hx0, window.y0 - hy0, hx1 - window.x1, hy1 - window.y1];
  return { blockGrid, halo: widths };
}
