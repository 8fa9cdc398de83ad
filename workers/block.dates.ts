import { fromCrs, toCrs } from '../aoi/aoi.project.js';
import type { Grid } from '../aoi/rasterize.js';
import type { BandName } from './bands.js';
import { changeBlock, type ChangeBlockResult, type ChangeBlockTask, type DateBlock } from './change.block.js';
import type { GeoTransform } from './grid.js';
import { CLEAR, NOT_OBSERVED, fmaskStates, nodataAsStored, qaPixelStates, sclStates } from './masks.js';
import { alignedOffset, resampleToGrid, type PointTransformer } from './resample.js';
import { assembleWindow, samplesOf, TYPED_ARRAYS, type TiledWindow, type WindowArray } from './tile.window.js';

/**
 * A block's observation dates from what was read of each scene over it: the windows' tiles decoded and
 * assembled (tile.window.ts), bands brought onto the block's grid as physical values and the quality layer as
 * observation states, the scenes of a pass (tiles of one date) mosaicked. The main thread fetches, this runs in
 * the worker that computes the block (or on the main thread, for a few windows). Pure.
 */

/** A band of a window still in tiles: the window (shared by the bands of one file) and the band's output index. */
export interface WindowTiles {
  tiles: TiledWindow;
  band: number;
}

/** One band of one scene over a block: its window's values (or tiles) and where they lie. */
export interface BandPixels {
  /** Raw values, row-major, `width × height`, or the window's tiles, to assemble first. */
  data: ArrayLike<number> | WindowTiles;
  width: number;
  height: number;
  epsg: number;
  /** Geotransform of the window read. */
  transform: GeoTransform;
  scale: number;
  offset: number;
  nodata: number | undefined;
}

/** What one scene brought to a block: the bands asked for, and its quality layer with its kind when it has one. */
export interface SceneOnBlock {
  bands: Partial<Record<BandName, BandPixels>>;
  mask?: { pixels: BandPixels; kind: 'scl' | 'qa_pixel' | 'fmask' };
}

/** One observation date over a block: its day and the scenes that reached the block, in the order they win. */
export interface ObservationOnBlock {
  /** Days since 1970-01-01 UTC. */
  day: number;
  scenes: SceneOnBlock[];
}

/** How stored values become grid values: DN × scale + offset when `physical`; NaN for NaN and for nodata. */
interface Conversion {
  /** As stored (a Float32 band's nodata rounded to float32); NaN when the band has none (=== matches nothing). */
  nodata: number;
  scale: number;
  offset: number;
  physical: boolean;
}

function conversionOf(band: BandPixels, stored: ArrayLike<number>, physical: boolean): Conversion {
  return { nodata: nodataAsStored(stored, band.nodata) ?? NaN, scale: band.scale, offset: band.offset, physical };
}

/**
 * `count` values of `source` from `from`, every `stride`-th, converted into `out` from `to`. The loops hold no call:
 * they run for every band of every scene of a block, mostly before the JIT has optimised anything.
 */
function convertRun(
  out: Float32Array,
  to: number,
  source: ArrayLike<number>,
  from: number,
  stride: number,
  count: number,
  { nodata, scale, offset, physical }: Conversion,
): void {
  if (physical) {
    for (let k = 0; k < count; k++) {
      const value = source[from + k * stride]!;
      out[to + k] = value !== value || value === nodata ? NaN : value * scale + offset;
    }
  } else {
    for (let k = 0; k < count; k++) {
      const value = source[from + k * stride]!;
      out[to + k] = value !== value || value === nodata ? NaN : value;
    }
  }
}

/** The grid pixels [first, last) × [top, bottom) a window covers when the grid starts `[dx, dy]` pixels into it. */
function coveredPart(grid: Grid, width: number, height: number, [dx, dy]: [number, number]) {
  const first = Math.max(0, -dx);
  const top = Math.max(0, -dy);
  return {
    first,
    last: Math.max(first, Math.min(grid.width, width - dx)),
    top,
    bottom: Math.max(top, Math.min(grid.height, height - dy)),
  };
}

/**
 * A window on the grid's own pixels (same CRS and pixel size, whole-pixel offset: a scene on its native grid):
 * each grid pixel's value straight from the window's, NaN outside it; the same numbers as resampling gives, with
 * no intermediate copy.
 */
function alignedOnGrid(
  band: BandPixels,
  raw: ArrayLike<number>,
  grid: Grid,
  offset: [number, number],
  physical: boolean,
): Float32Array {
  const out = new Float32Array(grid.width * grid.height).fill(NaN);
  const conversion = conversionOf(band, raw, physical);
  const { first, last, top, bottom } = coveredPart(grid, band.width, band.height, offset);
  for (let row = top; row < bottom; row++) {
    const from = (row + offset[1]) * band.width + offset[0] + first;
    convertRun(out, row * grid.width + first, raw, from, 1, last - first, conversion);
  }
  return out;
}

/**
 * {@link alignedOnGrid} from the window's tiles: each tile's rows converted straight onto the grid, without
 * assembling the window first. Window pixels outside the image hold the window's fill value, as assembled.
 */
function tilesOnGrid(
  band: BandPixels,
  { tiles: tiled, band: index }: WindowTiles,
  grid: Grid,
  offset: [number, number],
  physical: boolean,
): Float32Array {
  const out = new Float32Array(grid.width * grid.height).fill(NaN);
  const covered = coveredPart(grid, band.width, band.height, offset);
  // The fill as the assembled window stored it (a Float32 nodata such as -3.4e38 rounded, -1 in a uint8 as 255).
  const stored = new TYPED_ARRAYS[tiled.dataType](1);
  stored[0] = tiled.fill;
  const conversion = conversionOf(band, stored, physical);
  const fill = new Float32Array(1);
  convertRun(fill, 0, stored, 0, 1, 1, conversion);
  if (!Number.isNaN(fill[0]!)) {
    for (let row = covered.top; row < covered.bottom; row++) {
      out.fill(fill[0]!, row * grid.width + covered.first, row * grid.width + covered.last);
    }
  }
  const { window, tileWidth, tileHeight } = tiled;
  const sample = tiled.bands[index]!;
  const stride = tiled.planar ? 1 : tiled.samples;
  // Grid pixel (column, row) is window pixel (column + dx, row + dy): image pixel (that + the window's origin).
  const [gx, gy] = [window.x0 + offset[0], window.y0 + offset[1]];
  const x0 = Math.max(gx + covered.first, 0);
  const x1 = Math.min(gx + covered.last, tiled.imageWidth);
  const y0 = Math.max(gy + covered.top, 0);
  const y1 = Math.min(gy + covered.bottom, tiled.imageHeight);
  for (const tile of tiled.tiles) {
    if (tiled.planar && tile.sample !== sample) continue;
    const values = samplesOf<WindowArray>(tile.data, TYPED_ARRAYS[tiled.dataType]);
    const left = Math.max(x0, tile.tx * tileWidth);
    const right = Math.min(x1, (tile.tx + 1) * tileWidth);
    const top = Math.max(y0, tile.ty * tileHeight);
    const bottom = Math.min(y1, (tile.ty + 1) * tileHeight, tile.ty * tileHeight + tile.rows);
    const within = tiled.planar ? 0 : sample;
    for (let y = top; y < bottom; y++) {
      const from = ((y - tile.ty * tileHeight) * tileWidth + (left - tile.tx * tileWidth)) * stride + within;
      convertRun(out, (y - gy) * grid.width + (left - gx), values, from, stride, right - left, conversion);
    }
  }
  return out;
}

/** Windows assembled so far, each once for all its bands. */
type Assembly = Map<TiledWindow, WindowArray[]>;

/** A band's raw values: as read, or its window's tiles assembled (once for all the bands of the window). */
function rawValues(band: BandPixels, assembly: Assembly): ArrayLike<number> {
  if (!('tiles' in band.data)) return band.data;
  const { tiles, band: index } = band.data;
  let bands = assembly.get(tiles);
  if (!bands) assembly.set(tiles, (bands = assembleWindow(tiles)));
  return bands[index]!;
}

/**
 * Physical values on the grid: DN × scale + offset, nodata → NaN before resampling so it never blends in. A band
 * on the grid's own pixels is converted straight from its tiles (or window); any other is resampled.
 */
function bandOnGrid(
  band: BandPixels,
  assembly: Assembly,
  grid: Grid,
  method: 'nearest' | 'bilinear',
  physical: boolean,
): Float32Array {
  const aligned = band.epsg === grid.epsg ? alignedOffset(band, grid) : undefined;
  if (aligned && 'tiles' in band.data) return tilesOnGrid(band, band.data, grid, aligned, physical);
  const raw = rawValues(band, assembly);
  if (aligned) return alignedOnGrid(band, raw, grid, aligned, physical);
  const values = new Float32Array(raw.length);
  convertRun(values, 0, raw, 0, 1, raw.length, conversionOf(band, raw, physical));
  let transformer: PointTransformer | undefined;
  if (band.epsg !== grid.epsg) {
    const inverse = fromCrs(grid.epsg);
    const forward = toCrs(band.epsg);
    transformer = (x, y) => forward(inverse([x, y]));
  }
  return resampleToGrid(
    { data: values, width: band.width, height: band.height, transform: band.transform },
    grid,
    method,
    transformer ? { transformer } : {},
  );
}

/** One scene's bands on the grid (every band read) and its observation states. */
function sceneOnGrid(
  scene: SceneOnBlock,
  grid: Grid,
  bands: readonly BandName[],
  excludeSnow: boolean,
  assembly: Assembly,
): Pick<DateBlock, 'bands' | 'states'> {
  const values = Object.fromEntries(
    bands.map((name) => {
      const band = scene.bands[name];
      if (!band) throw new RangeError(`datesOnGrid: a scene lacks the ${name} band`);
      return [name, bandOnGrid(band, assembly, grid, 'bilinear', true)];
    }),
  ) as DateBlock['bands'];
  const pixels = grid.width * grid.height;
  if (!scene.mask) return { bands: values, states: new Uint8Array(pixels).fill(CLEAR) };
  const { pixels: maskBand, kind } = scene.mask;
  const mask = bandOnGrid(maskBand, assembly, grid, 'nearest', false);
  const options = { excludeSnow };
  const states =
    kind === 'scl'
      ? sclStates(mask, options)
      : kind === 'qa_pixel'
        ? qaPixelStates(mask, options)
        : fmaskStates(mask, options);
  for (let i = 0; i < pixels; i++) if (Number.isNaN(mask[i]!)) states[i] = NOT_OBSERVED;
  return { bands: values, states };
}

/**
 * The observation dates over a block's grid: tiles of a pass mosaicked, the first scene that observed a pixel in
 * every one of `bands` wins it (`displayBands`, read along for a colour composite, follow and do not decide).
 * Dates no scene reached are left out.
 */
export function datesOnGrid(
  observations: readonly ObservationOnBlock[],
  grid: Grid,
  bands: readonly BandName[],
  excludeSnow: boolean,
  displayBands: readonly BandName[] = [],
): DateBlock[] {
  const read = [...new Set([...bands, ...displayBands])];
  const pixels = grid.width * grid.height;
  const assembly: Assembly = new Map();
  const dates: DateBlock[] = [];
  for (const observation of observations) {
    let block: DateBlock | undefined;
    for (const scene of observation.scenes) {
      const { bands: values, states } = sceneOnGrid(scene, grid, read, excludeSnow, assembly);
      if (!block) {
        block = { day: observation.day, bands: values, states };
        continue;
      }
      const mosaic = block;
      for (let i = 0; i < pixels; i++) {
        const missing =
          mosaic.states[i] === NOT_OBSERVED || bands.some((band) => Number.isNaN(mosaic.bands[band]![i]!));
        if (missing && states[i] !== NOT_OBSERVED) {
          for (const band of read) mosaic.bands[band]![i] = values[band]![i]!;
          mosaic.states[i] = states[i]!;
        }
      }
    }
    if (block) dates.push(block);
  }
  return dates;
}

/** A block's change computation from its windows' decoded tiles: the dates assembled here, then {@link changeBlock}. */
export interface FetchedBlockTask extends Omit<
  ChangeBlockTask,
  'type' | 'width' | 'height' | 'baseline' | 'monitoring'
> {
  type: 'fetched-change-block';
  /** The block's grid, halo included. */
  grid: Grid;
  baseline: ObservationOnBlock[];
  monitoring: ObservationOnBlock[];
  /** Snow and ice count as invalid (CloudCleanup.excludeSnow). */
  excludeSnow: boolean;
}

export function fetchedChangeBlock(task: FetchedBlockTask): ChangeBlockResult {
  const { grid, excludeSnow, baseline, monitoring, ...rest } = task;
  const periods = [baseline, monitoring].map((observations) =>
    datesOnGrid(observations, grid, task.bands, excludeSnow, task.display?.bands),
  );
  return changeBlock({
    ...rest,
    type: 'change-block',
    width: grid.width,
    height: grid.height,
    baseline: periods[0]!,
    monitoring: periods[1]!,
  });
}
