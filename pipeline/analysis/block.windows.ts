import { windowGrid, type Grid, type PixelWindow, type RowRuns } from '../../aoi/rasterize.js';

/** The grid cut into blocks, and the masks of the AOI and zones over them. */

/**
 * Masks of blocks, from full-width strips of `blockSize` rows kept as runs: blocks of one strip share its scan, and
 * every strip is kept (a few bytes a row; as masks, four strips of Kahuzi-Biega's grid were 29 MiB).
 */
export class StripMasks {
  private readonly strips = new Map<number, RowRuns>();

  constructor(
    private readonly runsOf: (window: PixelWindow) => RowRuns,
    private readonly grid: Grid,
    private readonly blockSize: number,
  ) {}

  /** The runs of the window's strip, and the strip's first row. */
  private stripOf(window: PixelWindow): { strip: RowRuns; top: number } {
    const top = Math.floor(window.y0 / this.blockSize) * this.blockSize;
    let strip = this.strips.get(top);
    if (!strip) {
      const bottom = Math.min(this.grid.height, top + this.blockSize);
      strip = this.runsOf({ x0: 0, y0: top, x1: this.grid.width, y1: bottom });
      this.strips.set(top, strip);
    }
    return { strip, top };
  }

  /** Calls `run(row, start, end)` for each run of the window, clipped to it, until `run` returns false. */
  private eachRun(window: PixelWindow, run: (row: number, start: number, end: number) => boolean | void): void {
    const { strip, top } = this.stripOf(window);
    const { first, runs } = strip;
    for (let row = window.y0; row < window.y1; row++) {
      for (let k = first[row - top]!; k < first[row - top + 1]!; k++) {
        const [start, end] = [Math.max(window.x0, runs[2 * k]!), Math.min(window.x1, runs[2 * k + 1]!)];
        if (end > start && run(row, start, end) === false) return;
      }
    }
  }

  /** 1 where the pixel is inside, row-major over the window (a block within one strip). */
  mask(window: PixelWindow): Uint8Array {
    const width = window.x1 - window.x0;
    const out = new Uint8Array(width * (window.y1 - window.y0));
    this.eachRun(window, (row, start, end) => {
      const at = (row - window.y0) * width - window.x0;
      out.fill(1, at + start, at + end);
    });
    return out;
  }

  /** Whether any pixel of the window is inside, without making its mask. */
  touches(window: PixelWindow): boolean {
    let any = false;
    this.eachRun(window, () => {
      any = true;
      return false;
    });
    return any;
  }
}

/** A block of the grid, and whether any of it lies inside the AOI (blocks wholly outside are not computed). */
export type BlockWindow = PixelWindow & { any: boolean };

/** The blocks of the grid in raster order. */
export function blockWindows(grid: Grid, blockSize: number, touches: (window: PixelWindow) => boolean) {
  const windows: BlockWindow[] = [];
  for (let y0 = 0; y0 < grid.height; y0 += blockSize) {
    for (let x0 = 0; x0 < grid.width; x0 += blockSize) {
      const window = { x0, y0, x1: Math.min(grid.width, x0 + blockSize), y1: Math.min(grid.height, y0 + blockSize) };
      windows.push({ ...window, any: touches(window) });
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
