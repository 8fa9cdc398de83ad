import type { Grid, PixelWindow } from '../../aoi/rasterize.js';
import type { BandName } from '../../workers/bands.js';
import { cleanupHalo, clearMask, type CloudCleanup } from '../../workers/change.block.js';
import { normalizedDifference } from '../../workers/indices.js';
import type { SeriesObservation } from '../../workers/products/product.js';
import { quantile } from '../../workers/radar/deseason.js';
import { linearToDecibels } from '../../workers/radar/speckle.js';
import { ChangewatchError } from '../errors.js';
import type { RasterOpener } from '../scenes/raster.opener.js';
import type { Observation } from '../scenes/scene.select.js';
import { datesForBlock, type PeriodReads } from './block.read.js';
import { haloGrid } from './block.windows.js';

/**
 * Reading a series product's passes: each radar pass read over a block by the block reader, converted to dB (the
 * unit its scenes state; bayts' distributions are in dB), and each optical pass fused with them as its clear NDVI;
 * with its track and each band's level over the whole AOI that day. The levels come from a pre-pass over every block before any is classified: the spatial
 * normalisation subtracts one number per pass, and a per-block quantile would differ block to block (a block of
 * pasture would call its own pasture "forest").
 */

/** A pre-pass keeps at most this many values per pass (a regular lattice of the AOI's pixels above it). */
export const LEVEL_SAMPLE_MAX = 1 << 20;

/** Radar observations: passes whose scenes are radar. The optical ones go to the composites (and to fusion). */
export const isRadar = (observation: Observation): boolean => observation.scenes.some((scene) => scene.sar);

/** An optical observation a series product can fuse: its scenes carry NDVI, or red and NIR to make it. */
export const fusable = (observation: Observation): boolean =>
  observation.scenes.every((scene) => scene.bands.ndvi || (scene.bands.red && scene.bands.nir));

/** `ascending/12`: the pass's orbit direction and relative orbit, '' for what its scenes do not state. */
export const trackOf = (observation: Observation): string =>
  `${observation.orbit?.state ?? ''}/${observation.orbit?.relative ?? ''}`;

/** How a pass is read: the radar bands a product reads, in dB; an optical pass as its clear NDVI. */
export interface PassRead {
  opener: RasterOpener;
  cloud: CloudCleanup;
  /** Radar bands to read (optical passes read NDVI, or red and NIR to make it). */
  radarBands: readonly BandName[];
  reads: PeriodReads;
}

type Pass = { day: number; bands: Partial<Record<BandName, Float32Array>> };

/** A radar pass over a grid in dB, or undefined when none of its scenes has data there. */
async function radarPass(observation: Observation, grid: Grid, read: PassRead): Promise<Pass | undefined> {
  const units = new Set(observation.scenes.map((scene) => scene.sar?.unit));
  if (units.size > 1)
    throw new ChangewatchError(
      'E_STAC',
      `the scenes of the ${observation.date} pass state different units (${[...units].join(', ')}): catalogue one product per collection, or convert the files to one unit`,
    );
  const linear = units.has('linear');
  const bands = read.radarBands;
  const [date] = await datesForBlock([observation], grid, read.opener, read.cloud, bands, read.reads);
  if (!date) return undefined;
  const values = Object.fromEntries(
    bands.map((band) => [band, linear ? linearToDecibels(date.bands[band]!) : date.bands[band]!]),
  );
  return { day: date.day, bands: values };
}

/**
 * An optical pass over a grid as its NDVI where it saw the ground clear (the run's clear mask: flagged cloud opened
 * then dilated, nodata unobserved), NaN elsewhere; from an NDVI band when the scenes carry one, else from red and
 * NIR. The grid needs the cloud cleanup's halo around what is kept.
 */
async function opticalPass(observation: Observation, grid: Grid, read: PassRead): Promise<Pass | undefined> {
  const bands: BandName[] = observation.scenes.every((scene) => scene.bands.ndvi) ? ['ndvi'] : ['red', 'nir'];
  const [date] = await datesForBlock([observation], grid, read.opener, read.cloud, bands, read.reads);
  if (!date) return undefined;
  // clearMask looks at every band the date carries, whichever they are.
  const clear = clearMask(date, grid.width, grid.height, read.cloud.openPx, read.cloud.dilatePx);
  const ndvi = date.bands.ndvi ?? normalizedDifference(date.bands.nir, date.bands.red);
  for (let i = 0; i < ndvi.length; i++) if (!clear[i]) ndvi[i] = NaN;
  return { day: date.day, bands: { ndvi } };
}

const passOnGrid = (observation: Observation, grid: Grid, read: PassRead) =>
  isRadar(observation) ? radarPass(observation, grid, read) : opticalPass(observation, grid, read);

/** The inner window of a block read with its halo. */
function cropToWindow(values: Float32Array, width: number, halo: readonly number[], window: PixelWindow) {
  const [left, top] = halo as [number, number];
  const inner = window.x1 - window.x0;
  const out = new Float32Array(inner * (window.y1 - window.y0));
  for (let row = 0; row < window.y1 - window.y0; row++) {
    const from = (row + top) * width + left;
    out.set(values.subarray(from, from + inner), row * inner);
  }
  return out;
}

export interface LevelPrePass {
  grid: Grid;
  windows: ReadonlyArray<PixelWindow & { any: boolean }>;
  insideOf: (window: PixelWindow) => Uint8Array;
  /** The passes of both periods, with the reads record of the period each belongs to. */
  passes: ReadonlyArray<{ observation: Observation; reads: PeriodReads }>;
  read: Omit<PassRead, 'reads'>;
  /** The quantile (0-1) of each pass's values inside the AOI. */
  quantile: number;
  signal?: AbortSignal;
}

/**
 * Each pass's level over the AOI: the `quantile` of its values inside the AOI polygon, in dB, per band. Exact (R's
 * type 7) for AOIs up to {@link LEVEL_SAMPLE_MAX} pixels; above, on the pixels of a regular lattice (every k-th
 * column of every k-th row) holding at most that many, a fixed choice whose quantile is within sampling error of
 * the whole AOI's (a million values). Keyed by the observation.
 */
export async function passLevels(input: LevelPrePass): Promise<Map<Observation, Partial<Record<BandName, number>>>> {
  let insidePixels = 0;
  for (const window of input.windows) {
    if (window.any) for (const value of input.insideOf(window)) insidePixels += value;
  }
  const stride = Math.max(1, Math.ceil(Math.sqrt(insidePixels / LEVEL_SAMPLE_MAX)));
  const levels = new Map<Observation, Partial<Record<BandName, number>>>();
  // Pass by pass, so one pass's samples (at most LEVEL_SAMPLE_MAX per band) are held at a time, not every pass's.
  for (const { observation, reads } of input.passes) {
    const samples = await passSamples(input, observation, reads, stride);
    levels.set(
      observation,
      Object.fromEntries([...samples].map(([band, values]) => [band, quantile(values, input.quantile)])),
    );
  }
  return levels;
}

/** One pass's values inside the AOI on the sampling lattice (every `stride`-th column of every `stride`-th row). */
async function passSamples(
  input: LevelPrePass,
  observation: Observation,
  reads: PeriodReads,
  stride: number,
): Promise<Map<BandName, number[]>> {
  const samples = new Map<BandName, number[]>();
  const halo = cleanupHalo(input.read.cloud.openPx, input.read.cloud.dilatePx);
  for (const window of input.windows) {
    if (!window.any) continue;
    input.signal?.throwIfAborted();
    const held = haloGrid(input.grid, window, halo);
    const pass = await passOnGrid(observation, held.blockGrid, { ...input.read, reads });
    if (!pass) continue;
    const inside = input.insideOf(window);
    const width = window.x1 - window.x0;
    for (const [band, all] of Object.entries(pass.bands) as Array<[BandName, Float32Array]>) {
      const values = cropToWindow(all, held.blockGrid.width, held.halo, window);
      const list = samples.get(band) ?? [];
      samples.set(band, list);
      for (let i = 0; i < values.length; i++) {
        const [x, y] = [window.x0 + (i % width), window.y0 + Math.floor(i / width)];
        if (inside[i] && x % stride === 0 && y % stride === 0 && !Number.isNaN(values[i]!)) list.push(values[i]!);
      }
    }
  }
  return samples;
}

/** The passes of a period over one block (with its halo), in dB, with their tracks and AOI levels. */
export async function seriesForBlock(
  observations: readonly Observation[],
  blockGrid: Grid,
  levels: ReadonlyMap<Observation, Partial<Record<BandName, number>>>,
  read: PassRead,
  monitoring: boolean,
): Promise<SeriesObservation[]> {
  const out: SeriesObservation[] = [];
  for (const observation of observations) {
    const pass = await passOnGrid(observation, blockGrid, read);
    if (pass) out.push({ ...pass, monitoring, track: trackOf(observation), levels: levels.get(observation) ?? {} });
  }
  return out;
}
