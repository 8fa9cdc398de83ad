import { windowGrid, type Grid, type PixelWindow } from '../../aoi/rasterize.js';
import type { BandName } from '../../workers/bands.js';
import type { CloudCleanup } from '../../workers/change.block.js';
import type { SeriesObservation } from '../../workers/products/product.js';
import { quantile } from '../../workers/radar/deseason.js';
import { linearToDecibels } from '../../workers/radar/speckle.js';
import type { RasterOpener } from '../scenes/raster.opener.js';
import type { Observation } from '../scenes/scene.select.js';
import { datesForBlock, type PeriodReads } from './block.read.js';

/**
 * Reading a series product's passes (radar): each pass read over a block by the block reader, converted to dB
 * (the unit its scenes state; bayts' distributions are in dB), with its track and each band's level over the whole
 * AOI that day. The levels come from a pre-pass over every block before any is classified: the spatial
 * normalisation subtracts one number per pass, and a per-block quantile would differ block to block (a block of
 * pasture would call its own pasture "forest").
 */

/** A pre-pass keeps at most this many values per pass (a regular lattice of the AOI's pixels above it). */
export const LEVEL_SAMPLE_MAX = 1 << 20;

/** Radar observations: passes whose scenes are radar. The optical ones go to the composites. */
export const isRadar = (observation: Observation): boolean => observation.scenes.some((scene) => scene.sar);

/** `ascending/12`: the pass's orbit direction and relative orbit, '' for what its scenes do not state. */
export const trackOf = (observation: Observation): string =>
  `${observation.orbit?.state ?? ''}/${observation.orbit?.relative ?? ''}`;

/** One pass over a block in dB, or undefined when none of its scenes has data there. */
async function passOnGrid(
  observation: Observation,
  grid: Grid,
  read: { opener: RasterOpener; cloud: CloudCleanup; bands: readonly BandName[]; reads: PeriodReads },
): Promise<{ day: number; bands: Partial<Record<BandName, Float32Array>> } | undefined> {
  const [date] = await datesForBlock([observation], grid, read.opener, read.cloud, read.bands, read.reads);
  if (!date) return undefined;
  const linear = observation.scenes[0]!.sar?.unit === 'linear';
  const bands = Object.fromEntries(
    read.bands.map((band) => [band, linear ? linearToDecibels(date.bands[band]!) : date.bands[band]!]),
  );
  return { day: date.day, bands };
}

export interface LevelPrePass {
  grid: Grid;
  windows: ReadonlyArray<PixelWindow & { any: boolean }>;
  insideOf: (window: PixelWindow) => Uint8Array;
  /** The passes of both periods, with the reads record of the period each belongs to. */
  passes: ReadonlyArray<{ observation: Observation; reads: PeriodReads }>;
  opener: RasterOpener;
  cloud: CloudCleanup;
  bands: readonly BandName[];
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
  const samples = new Map(input.passes.map(({ observation }) => [observation, new Map<BandName, number[]>()]));
  for (const window of input.windows) {
    if (!window.any) continue;
    const inside = input.insideOf(window);
    const width = window.x1 - window.x0;
    const blockGrid = windowGrid(input.grid, window);
    for (const { observation, reads } of input.passes) {
      input.signal?.throwIfAborted();
      const pass = await passOnGrid(observation, blockGrid, { ...input, reads });
      if (!pass) continue;
      const kept = samples.get(observation)!;
      for (const band of input.bands) {
        const values = pass.bands[band]!;
        const list = kept.get(band) ?? [];
        kept.set(band, list);
        for (let i = 0; i < values.length; i++) {
          const [x, y] = [window.x0 + (i % width), window.y0 + Math.floor(i / width)];
          if (inside[i] && x % stride === 0 && y % stride === 0 && !Number.isNaN(values[i]!)) list.push(values[i]!);
        }
      }
    }
  }
  return new Map(
    [...samples].map(([observation, bands]) => [
      observation,
      Object.fromEntries(input.bands.map((band) => [band, quantile(bands.get(band) ?? [], input.quantile)])),
    ]),
  );
}

/** The passes of a period over one block (with its halo), in dB, with their tracks and AOI levels. */
export async function seriesForBlock(
  observations: readonly Observation[],
  blockGrid: Grid,
  levels: ReadonlyMap<Observation, Partial<Record<BandName, number>>>,
  read: { opener: RasterOpener; cloud: CloudCleanup; bands: readonly BandName[]; reads: PeriodReads },
  monitoring: boolean,
): Promise<SeriesObservation[]> {
  const out: SeriesObservation[] = [];
  for (const observation of observations) {
    const pass = await passOnGrid(observation, blockGrid, read);
    if (pass) out.push({ ...pass, monitoring, track: trackOf(observation), levels: levels.get(observation) ?? {} });
  }
  return out;
}
