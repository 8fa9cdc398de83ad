import { join } from 'node:path';
import type { Grid, PixelWindow } from '../../aoi/rasterize.js';
import type { ChangeBlockResult } from '../../workers/change.block.js';
import { DISPLAY_NODATA, displayScale, type DisplayComposite } from '../../workers/display.js';
import { leadProduct, productOf } from '../../workers/products/index.js';
import {
  CONFIDENCE_CLASSES,
  type AnyProduct,
  type ClassInfo,
  type ValueRaster,
} from '../../workers/products/product.js';
import {
  addClassBlock,
  addNdviBlock,
  classReduction,
  classesOver,
  ndviPicture,
  ndviReduction,
  type ClassReduction,
  type NdviReduction,
  type Picture,
  type Rgb,
} from '../../workers/render.js';
import type { AnalysisSink, BlockClasses } from '../analysis/analysis.js';
import type { ProductSelection, SelectedProduct } from '../analysis/products.select.js';
import { CogWriter, type CogOptions } from '../io/cog.writer.js';
import type { TileEncoder } from '../../workers/cog.tile.js';

/** A full disk under the work folder, said as such (the rasters are the largest files a run writes). */
export { noSpaceLeft } from '../io/cog.writer.js';
import { classesMetadata, classificationOf, nodataOf, rgbOf } from './legend.js';
import { COG_TYPE, type OutputFile } from './output.file.js';
import { PREVIEW_MAX_SIDE } from './previews.js';

/**
 * A run's rasters and previews, written as its blocks arrive: the composites' NDVI and clear counts in pass 1, each
 * product's class raster (and confidence raster, where it has one) in pass 2; the previews accumulate reduced
 * cells of the monitoring NDVI and of the lead product's overlay. Pixels outside the AOI polygon are nodata in every
 * raster, so counting a class in a raster gives the summary's figure. The rasters are files in a work folder,
 * never whole in memory; `finish` closes them.
 */

const CLEAR_COUNT_NODATA = 65_535;
/**
 * The `last-clear` raster: per pixel, the day of its last clear observation in the monitoring window as UInt16 days
 * since {@link LAST_CLEAR_EPOCH} (1970-01-01 UTC, the Unix epoch: 0 is 1970-01-01, 18 900 is 2021-09-30; UInt16 reaches
 * 2149-06-05), and {@link LAST_CLEAR_NODATA} where it was never seen clear in the window or lies outside the AOI
 * (`clear-count-monitoring` tells the two apart: 0 inside, nodata outside).
 */
export const LAST_CLEAR_EPOCH = '1970-01-01';
export const LAST_CLEAR_NODATA = 65_535;
const PERIODS = ['baseline', 'monitoring'] as const;

interface RasterSpec {
  asset: string;
  title: string;
  roles: string[];
  stac: Record<string, unknown>;
  options: Omit<CogOptions, 'width' | 'height' | 'epsg' | 'transform'>;
}

function ndviSpec(period: string, window: string, resolution: number): RasterSpec {
  return {
    asset: `ndvi-${period}`,
    title: `NDVI of the ${period} median composite (NaN: not seen clear)`,
    roles: ['data'],
    stac: {
      bands: [
        { name: 'ndvi', data_type: 'float32', nodata: 'nan', unit: 'NDVI', 'raster:spatial_resolution': resolution },
      ],
    },
    options: {
      dataType: 'float32',
      nodata: NaN,
      bandNames: [`NDVI ${period}`],
      metadata: { UNITS: 'NDVI (unitless, -1 to 1)', PERIOD: window },
      resampling: 'average',
    },
  };
}

function clearCountSpec(period: string, window: string, resolution: number): RasterSpec {
  return {
    asset: `clear-count-${period}`,
    title: `Clear observations per pixel in the ${period} period`,
    roles: ['data', 'quality'],
    stac: {
      bands: [
        {
          name: 'clear-count',
          data_type: 'uint16',
          nodata: CLEAR_COUNT_NODATA,
          unit: 'observations',
          'raster:spatial_resolution': resolution,
        },
      ],
    },
    options: {
      dataType: 'uint16',
      nodata: CLEAR_COUNT_NODATA,
      bandNames: [`clear observations ${period}`],
      metadata: { UNITS: 'observations', PERIOD: window },
      resampling: 'nearest',
    },
  };
}

function lastClearSpec(window: string, resolution: number): RasterSpec {
  const unit = `days since ${LAST_CLEAR_EPOCH}`;
  return {
    asset: 'last-clear',
    title: `Day of the last clear observation per pixel in the monitoring period (${unit}; nodata: never seen clear)`,
    roles: ['data', 'quality'],
    stac: {
      bands: [
        {
          name: 'last-clear',
          description: `Day of the last clear observation in the monitoring window ${window}, ${unit} UTC; ${LAST_CLEAR_NODATA} (nodata): not seen clear in the window, or outside the AOI`,
          data_type: 'uint16',
          nodata: LAST_CLEAR_NODATA,
          unit,
          'raster:spatial_resolution': resolution,
        },
      ],
      'changewatch:epoch': LAST_CLEAR_EPOCH,
    },
    options: {
      dataType: 'uint16',
      nodata: LAST_CLEAR_NODATA,
      bandNames: ['last clear observation, monitoring'],
      metadata: { UNITS: unit, EPOCH: LAST_CLEAR_EPOCH, PERIOD: window },
      resampling: 'nearest',
    },
  };
}

function classSpec(
  asset: string,
  classes: readonly ClassInfo[],
  title: string,
  roles: string[],
  params: unknown,
  resolution: number,
): RasterSpec {
  const nodata = nodataOf(classes);
  return {
    asset,
    title,
    roles,
    stac: {
      bands: [{ name: asset, data_type: 'uint8', nodata, 'raster:spatial_resolution': resolution }],
      'classification:classes': classificationOf(classes),
    },
    options: {
      dataType: 'uint8',
      nodata,
      bandNames: [asset],
      metadata: { CLASSES: classesMetadata(classes), PARAMETERS: JSON.stringify(params) },
      resampling: 'nearest',
    },
  };
}

/** A product's value raster (`<type>-<key>`): dates, probabilities, counts. */
function valueSpec(product: AnyProduct, raster: ValueRaster, window: string, resolution: number): RasterSpec {
  const epoch: Record<string, string> = raster.epoch ? { EPOCH: raster.epoch } : {};
  return {
    asset: `${product.type}-${raster.key}`,
    title: raster.title,
    roles: ['data'],
    stac: {
      bands: [
        {
          name: raster.key,
          description: raster.description,
          data_type: raster.dataType,
          nodata: Number.isNaN(raster.nodata) ? 'nan' : raster.nodata,
          unit: raster.unit,
          'raster:spatial_resolution': resolution,
        },
      ],
      ...(raster.epoch ? { 'changewatch:epoch': raster.epoch } : {}),
    },
    options: {
      dataType: raster.dataType,
      nodata: raster.nodata,
      bandNames: [`${product.type} ${raster.key}`],
      metadata: { UNITS: raster.unit, ...epoch, PERIOD: window },
      resampling: raster.dataType === 'float32' ? 'average' : 'nearest',
    },
  };
}

/** A product's rasters: its classes, its confidence where it grades its change, and its value rasters. */
export function productRasterSpecs(selected: SelectedProduct, resolution: number, window = ''): RasterSpec[] {
  const product = productOf(selected.type);
  const specs = [classSpec(product.type, product.classes, product.title, ['data'], selected.params, resolution)];
  for (const raster of product.rasters ?? []) specs.push(valueSpec(product, raster, window, resolution));
  if (product.confidence) {
    specs.push(
      classSpec(
        `${product.type}-confidence`,
        CONFIDENCE_CLASSES,
        product.confidence.title,
        ['data', 'quality'],
        selected.params,
        resolution,
      ),
    );
  }
  return specs;
}

/**
 * A period's colour composite: three bands of display bytes (workers/display.ts), RGB, with the scale and offset
 * that take them back to reflectance, so the map shows the period's median and the file still says what it is.
 */
function displaySpec(period: string, window: string, display: DisplayComposite, resolution: number): RasterSpec {
  return {
    asset: `composite-${period}`,
    title: `${display.title}, median composite of the ${period} period, display stretch (0: not seen clear)`,
    roles: ['visual'],
    stac: {
      bands: display.bands.map((band, k) => ({
        name: band,
        description: `median ${band} reflectance, linear stretch 0 to ${display.top[k]} onto 1..255`,
        data_type: 'uint8',
        nodata: DISPLAY_NODATA,
        ...displayScale(display.top[k]!),
        'raster:spatial_resolution': resolution,
      })),
      'changewatch:composite': display.kind,
    },
    options: {
      dataType: 'uint8',
      samples: 3,
      photometric: 'rgb',
      nodata: DISPLAY_NODATA,
      bandNames: display.bands.map((band) => `${band} median ${period}`),
      metadata: {
        COMPOSITE: display.kind,
        STRETCH: display.bands.map((band, k) => `${band} 0-${display.top[k]}`).join(', '),
        PERIOD: window,
      },
      resampling: 'average',
    },
  };
}

function compositeSpecs(windows: { baseline: string; monitoring: string }, resolution: number): RasterSpec[] {
  return [
    ...PERIODS.flatMap((period) => [
      ndviSpec(period, windows[period], resolution),
      clearCountSpec(period, windows[period], resolution),
    ]),
    lastClearSpec(windows.monitoring, resolution),
  ];
}

/** Every raster a run with these products writes, in the order they are written. */
function rasterSpecs(
  windows: { baseline: string; monitoring: string },
  { products, display }: Pick<ProductSelection, 'products' | 'display'>,
  resolution: number,
) {
  return [
    ...compositeSpecs(windows, resolution),
    ...(display ? PERIODS.map((period) => displaySpec(period, windows[period], display, resolution)) : []),
    ...products.flatMap((selected) => productRasterSpecs(selected, resolution, windows.monitoring)),
  ];
}

/** The asset keys of those rasters. */
export function rasterAssets(selection: Pick<ProductSelection, 'products' | 'display'>): string[] {
  return rasterSpecs({ baseline: '', monitoring: '' }, selection, 0).map((spec) => spec.asset);
}

/** A block of the `last-clear` raster, into `band`: the monitoring period's last clear day inside the AOI, else nodata. */
function lastClearBand(band: Uint16Array, inside: Uint8Array, result: ChangeBlockResult | null): Uint16Array {
  band.fill(LAST_CLEAR_NODATA);
  if (!result) return band;
  const lastDay = result.monitoring.lastDay;
  for (let i = 0; i < band.length; i++) if (inside[i] && lastDay[i]! >= 0) band[i] = lastDay[i]!;
  return band;
}

export class RasterOutputSink implements AnalysisSink {
  private writers = new Map<string, { writer: CogWriter; spec: RasterSpec }>();
  private ndvi?: Record<(typeof PERIODS)[number], NdviReduction>;
  private display?: ClassReduction;
  private lead?: AnyProduct;
  /**
   * A block's bands on their way to the writers, which copy them at once: one set reused for every block (new
   * arrays for each block were the main thread's largest garbage after the writers' own).
   */
  private scratch = { ndvi: new Float32Array(0), count: new Uint16Array(0), lastClear: new Uint16Array(0) };

  constructor(
    private readonly workDir: string,
    private readonly windows: { baseline: string; monitoring: string },
    private readonly resolution: number,
    /** Where the rasters' tiles are compressed (the run's worker pool); default: this thread. */
    private readonly encode?: TileEncoder,
  ) {}

  open(grid: Grid, selection: ProductSelection): void {
    const { products } = selection;
    const specs = rasterSpecs(this.windows, selection, this.resolution);
    const place = { width: grid.width, height: grid.height, epsg: grid.epsg, transform: grid.transform };
    for (const spec of specs) {
      const writer = new CogWriter(join(this.workDir, `${spec.asset}.tif`), { ...place, ...spec.options }, this.encode);
      this.writers.set(spec.asset, { writer, spec });
    }
    this.ndvi = {
      baseline: ndviReduction(grid.width, grid.height, PREVIEW_MAX_SIDE),
      monitoring: ndviReduction(grid.width, grid.height, PREVIEW_MAX_SIDE),
    };
    this.lead = leadProduct(products.map(({ type }) => type));
    const codes = this.lead?.preview?.palette.map((entry) => entry.code) ?? [];
    this.display = classReduction(grid.width, grid.height, PREVIEW_MAX_SIDE, codes);
  }

  private write(asset: string, window: PixelWindow, ...bands: Array<ArrayLike<number>>): void {
    this.writers
      .get(asset)!
      .writer.writeBlock(window.x0, window.y0, window.x1 - window.x0, window.y1 - window.y0, bands);
  }

  /** A block of the colour composites, when the run makes them: nodata where the block is outside the AOI. */
  private writeDisplay(window: PixelWindow, pixels: number, result: ChangeBlockResult | null): void {
    if (!this.writers.has('composite-baseline')) return;
    // Zeros say "not seen clear": only for blocks outside the AOI, never for a computed block that lacks its picture.
    if (result && !result.display)
      throw new RangeError(`RasterOutputSink: block at ${window.x0},${window.y0} came back without its composites`);
    for (const period of PERIODS) {
      const planes = result?.display?.[period] ?? [0, 1, 2].map(() => new Uint8Array(pixels));
      this.write(`composite-${period}`, window, ...planes);
    }
  }

  /** The scratch bands, at least `pixels` long. */
  private scratchFor(pixels: number) {
    if (this.scratch.ndvi.length < pixels) {
      this.scratch = {
        ndvi: new Float32Array(pixels),
        count: new Uint16Array(pixels),
        lastClear: new Uint16Array(pixels),
      };
    }
    return this.scratch;
  }

  composites(window: PixelWindow, inside: Uint8Array, result: ChangeBlockResult | null): void {
    const pixels = inside.length;
    const block = { x0: window.x0, y0: window.y0, width: window.x1 - window.x0, height: window.y1 - window.y0 };
    const scratch = this.scratchFor(pixels);
    for (const period of PERIODS) {
      const ndvi = scratch.ndvi.subarray(0, pixels).fill(NaN);
      const count = scratch.count.subarray(0, pixels).fill(CLEAR_COUNT_NODATA);
      if (result) {
        for (let i = 0; i < pixels; i++) {
          if (!inside[i]) continue;
          ndvi[i] = result[period].ndvi[i]!;
          count[i] = result[period].count[i]!;
        }
      }
      addNdviBlock(this.ndvi![period], block, ndvi, inside);
      this.write(`ndvi-${period}`, window, ndvi);
      this.write(`clear-count-${period}`, window, count);
    }
    this.write('last-clear', window, lastClearBand(scratch.lastClear.subarray(0, pixels), inside, result));
    this.writeDisplay(window, pixels, result);
  }

  classified(window: PixelWindow, _inside: Uint8Array, block: BlockClasses): void {
    for (const [type, { classes, confidence, values }] of Object.entries(block)) {
      this.write(type, window, classes);
      if (confidence) this.write(`${type}-confidence`, window, confidence);
      for (const raster of productOf(type).rasters ?? []) {
        // Blocks outside the AOI carry no values: nodata.
        const band = values?.[raster.key] ?? new Float32Array(classes.length).fill(raster.nodata);
        this.write(`${type}-${raster.key}`, window, band);
      }
    }
    const lead = this.lead;
    if (!lead?.preview) return;
    const display = lead.preview.display(block[lead.type]!);
    const placed = { x0: window.x0, y0: window.y0, width: window.x1 - window.x0, height: window.y1 - window.y0 };
    addClassBlock(this.display!, placed, display);
  }

  /** A block's tiles are being compressed elsewhere: resolves once each raster has at most two out. */
  async drain(): Promise<void> {
    for (const { writer } of this.writers.values()) await writer.drain(2);
  }

  /**
   * The previews' pictures, from the reduced blocks: NDVI of both periods, and the lead product's classes over the
   * monitoring NDVI.
   */
  pictures(): { before: Picture; after: Picture; overlay: Picture } {
    const before = ndviPicture(this.ndvi!.baseline);
    const after = ndviPicture(this.ndvi!.monitoring);
    const colours = new Map<number, Rgb>(
      (this.lead?.preview?.palette ?? []).map((entry) => [entry.code, rgbOf(entry.colour)]),
    );
    return { before, after, overlay: classesOver(after, this.display!, colours) };
  }

  /** Closes the COGs, in asset order. */
  async finish(): Promise<OutputFile[]> {
    const rasters: OutputFile[] = [];
    for (const { writer, spec } of this.writers.values()) {
      const written = await writer.finish();
      rasters.push({
        asset: spec.asset,
        file: `${spec.asset}.tif`,
        body: { path: written.path },
        size: written.size,
        sha256: written.sha256,
        type: COG_TYPE,
        title: spec.title,
        roles: spec.roles,
        stac: spec.stac,
      });
    }
    this.writers.clear();
    return rasters;
  }

  /** Removes unfinished rasters (a failed or cancelled run). */
  abort(): void {
    for (const { writer } of this.writers.values()) writer.abort();
    this.writers.clear();
  }
}
