import { fromCrs, toCrs } from '../aoi/aoi.project.js';
import type { Grid } from '../aoi/rasterize.js';
import type { BandName } from './bands.js';
import { changeBlock, type ChangeBlockResult, type ChangeBlockTask, type DateBlock } from './change.block.js';
import type { GeoTransform } from './grid.js';
import { CLEAR, NOT_OBSERVED, fmaskStates, nodataAsStored, qaPixelStates, sclStates } from './masks.js';
import { alignedOffset, resampleToGrid, type PointTransformer } from './resample.js';
import { assembleWindow, type TiledWindow, type WindowArray } from './tile.window.js';

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

/** Physical values (DN × scale + offset) or stored ones, nodata and NaN as NaN. */
const valueOf = (value: number, nodata: number | undefined, scale: number, offset: number, physical: boolean) =>
  Number.isNaN(value) || value === nodata ? NaN : physical ? value * scale + offset : value;

/**
 * A window on the grid's own pixels (same CRS and pixel size, whole-pixel offset: a scene on its native grid):
 * each grid pixel's value straight from the window's, NaN outside it; the same numbers as resampling, with no
 * intermediate copy.
 */
function alignedOnGrid(
  band: BandPixels,
  raw: ArrayLike<number>,
  grid: Grid,
  [dx, dy]: [number, number],
  physical: boolean,
): Float32Array {
  const out = new Float32Array(grid.width * grid.height).fill(NaN);
  const nodata = nodataAsStored(raw, band.nodata);
  const { scale, offset } = band;
  const first = Math.max(0, -dx);
  const last = Math.min(grid.width, band.width - dx);
  for (let row = Math.max(0, -dy); row < Math.min(grid.height, band.height - dy); row++) {
    const from = (row + dy) * band.width + dx;
    const to = row * grid.width;
    for (let column = first; column < last; column++) {
      out[to + column] = valueOf(raw[from + column]!, nodata, scale, offset, physical);
    }
  }
  return out;
}

/** Physical values on the grid: DN × scale + offset, nodata → NaN before resampling so it never blends in. */
function bandOnGrid(
  band: BandPixels,
  raw: ArrayLike<number>,
  grid: Grid,
  method: 'nearest' | 'bilinear',
  physical: boolean,
): Float32Array {
  const aligned = band.epsg === grid.epsg ? alignedOffset(band, grid) : undefined;
  if (aligned) return alignedOnGrid(band, raw, grid, aligned, physical);
  const values = new Float32Array(raw.length);
  const nodata = nodataAsStored(raw, band.nodata);
  for (let i = 0; i < values.length; i++) values[i] = valueOf(raw[i]!, nodata, band.scale, band.offset, physical);
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
      return [name, bandOnGrid(band, rawValues(band, assembly), grid, 'bilinear', true)];
    }),
  ) as DateBlock['bands'];
  const pixels = grid.width * grid.height;
  if (!scene.mask) return { bands: values, states: new Uint8Array(pixels).fill(CLEAR) };
  const { pixels: maskBand, kind } = scene.mask;
  const mask = bandOnGrid(maskBand, rawValues(maskBand, assembly), grid, 'nearest', false);
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
