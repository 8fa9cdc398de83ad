import type { Grid, PixelWindow } from '../../aoi/rasterize.js';
import type { AnalysisSink, BlockClasses } from '../../pipeline/analysis/analysis.js';
import type { ProductSelection } from '../../pipeline/analysis/products.select.js';
import type { ChangeBlockResult } from '../../workers/change.block.js';

/**
 * A sink that pastes a run's blocks into whole-grid arrays, so tests can compare every pixel with a peer or with
 * another run. Tests only: a real run never holds an AOI whole.
 */
export interface WholePeriod {
  /** Median composite of each band read. */
  bands: Record<string, Float32Array>;
  count: Uint16Array;
  ndvi: Float32Array;
  /** The other indices computed (NDBI, MNDWI…). */
  indices: Record<string, Float32Array>;
}

type Pasteable = ArrayLike<number> & { subarray(start: number, end: number): ArrayLike<number> };

export class WholeGridSink implements AnalysisSink {
  grid!: Grid;
  inside!: Uint8Array;
  baseline!: WholePeriod;
  monitoring!: WholePeriod;
  /** Final classes of each product; forest loss also has its confidence. */
  classes!: Uint8Array;
  confidence!: Uint8Array;
  products: Record<string, Uint8Array> = {};
  firstShowingDay!: Int32Array;
  showing!: Uint8Array;

  open(grid: Grid, { products }: ProductSelection): void {
    this.grid = grid;
    const pixels = grid.width * grid.height;
    const period = (): WholePeriod => ({ bands: {}, count: new Uint16Array(pixels), ndvi: nans(pixels), indices: {} });
    this.inside = new Uint8Array(pixels);
    this.baseline = period();
    this.monitoring = period();
    this.classes = new Uint8Array(pixels);
    this.confidence = new Uint8Array(pixels);
    for (const { type } of products) this.products[type] = new Uint8Array(pixels);
    this.firstShowingDay = new Int32Array(pixels).fill(-1);
    this.showing = new Uint8Array(pixels);
  }

  private paste(
    target: { set(array: ArrayLike<number>, offset: number): void },
    window: PixelWindow,
    block: Pasteable,
  ) {
    const width = window.x1 - window.x0;
    for (let row = window.y0; row < window.y1; row++) {
      const from = (row - window.y0) * width;
      target.set(block.subarray(from, from + width), row * this.grid.width + window.x0);
    }
  }

  composites(window: PixelWindow, inside: Uint8Array, result: ChangeBlockResult | null): void {
    this.paste(this.inside, window, inside);
    if (!result) return;
    const pixels = this.inside.length;
    for (const name of ['baseline', 'monitoring'] as const) {
      const whole = this[name];
      const block = result[name];
      for (const [band, values] of Object.entries(block.bands))
        this.paste((whole.bands[band] ??= nans(pixels)), window, values);
      for (const [index, values] of Object.entries(block.indices))
        this.paste((whole.indices[index] ??= nans(pixels)), window, values);
      this.paste(whole.count, window, block.count);
      this.paste(whole.ndvi, window, block.ndvi);
    }
    const loss = result.products['forest-loss'];
    if (loss) {
      this.paste(this.firstShowingDay, window, loss.firstDay!);
      this.paste(this.showing, window, loss.layers!.showing!);
    }
  }

  classified(window: PixelWindow, _inside: Uint8Array, block: BlockClasses): void {
    this.paste(this.classes, window, block['forest-loss']!.classes);
    this.paste(this.confidence, window, block['forest-loss']!.confidence!);
    for (const [product, classes] of Object.entries(block)) {
      this.paste(this.products[product]!, window, classes.classes);
    }
  }

  /** The two periods' NDVI and NDBI with the AOI mask and grid: what the in-memory settlement and mining kernels take. */
  twoPeriodIndices(pixelAreaHa: Float64Array) {
    return {
      width: this.grid.width,
      height: this.grid.height,
      inside: this.inside,
      pixelAreaHa,
      ndviBefore: this.baseline.ndvi,
      ndviAfter: this.monitoring.ndvi,
      ndbiBefore: this.baseline.indices.ndbi!,
      ndbiAfter: this.monitoring.indices.ndbi!,
    };
  }
}

function nans(pixels: number): Float32Array {
  return new Float32Array(pixels).fill(NaN);
}
