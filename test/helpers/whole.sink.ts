import type { Grid, PixelWindow } from '../../aoi/rasterize.js';
import type { ForestLossSink } from '../../pipeline/analysis.forest.js';
import type { ForestBlockResult } from '../../workers/forest.block.js';

/**
 * A sink that pastes a run's blocks into whole-grid arrays, so tests can compare every pixel with a peer or with
 * another run. Tests only: a real run never holds an AOI whole.
 */
export interface WholePeriod {
  red: Float32Array;
  nir: Float32Array;
  count: Uint16Array;
  ndvi: Float32Array;
}

export class WholeGridSink implements ForestLossSink {
  grid!: Grid;
  inside!: Uint8Array;
  baseline!: WholePeriod;
  monitoring!: WholePeriod;
  classes!: Uint8Array;
  confidence!: Uint8Array;
  firstShowingDay!: Int32Array;
  showing!: Uint8Array;

  open(grid: Grid): void {
    this.grid = grid;
    const pixels = grid.width * grid.height;
    const period = (): WholePeriod => ({
      red: new Float32Array(pixels).fill(NaN),
      nir: new Float32Array(pixels).fill(NaN),
      count: new Uint16Array(pixels),
      ndvi: new Float32Array(pixels).fill(NaN),
    });
    this.inside = new Uint8Array(pixels);
    this.baseline = period();
    this.monitoring = period();
    this.classes = new Uint8Array(pixels);
    this.confidence = new Uint8Array(pixels);
    this.firstShowingDay = new Int32Array(pixels).fill(-1);
    this.showing = new Uint8Array(pixels);
  }

  private paste(
    target: { set(array: ArrayLike<number>, offset: number): void },
    window: PixelWindow,
    block: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> },
  ): void {
    const width = window.x1 - window.x0;
    for (let row = window.y0; row < window.y1; row++) {
      const from = (row - window.y0) * width;
      target.set(block.subarray(from, from + width), row * this.grid.width + window.x0);
    }
  }

  composites(window: PixelWindow, inside: Uint8Array, result: ForestBlockResult | null): void {
    this.paste(this.inside, window, inside);
    if (!result) return;
    for (const name of ['baseline', 'monitoring'] as const) {
      for (const band of ['red', 'nir', 'count', 'ndvi'] as const)
        this.paste(this[name][band], window, result[name][band]);
    }
    this.paste(this.firstShowingDay, window, result.firstShowingDay);
    this.paste(this.showing, window, result.showing);
  }

  classified(window: PixelWindow, _inside: Uint8Array, classes: Uint8Array, confidence: Uint8Array): void {
    this.paste(this.classes, window, classes);
    this.paste(this.confidence, window, confidence);
  }
}
