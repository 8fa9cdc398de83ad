import type { Aoi } from '../../aoi/aoi.schema.js';
import { gridOutline, type Grid } from '../../aoi/rasterize.js';
import type { BandName } from '../../workers/bands.js';
import type { CloudCleanup, DateBlock } from '../../workers/change.block.js';
import { datesOnGrid, type ObservationOnBlock, type SceneOnBlock } from '../../workers/block.dates.js';
import type { RasterOpener } from '../scenes/raster.opener.js';
import { SceneDisagreementError } from '../scenes/scene.agreement.js';
import { fetchSceneForAoi, type AoiScene, type TileDecoder, type WindowPixels } from '../scenes/scene.read.js';
import type { Observation } from '../scenes/scene.select.js';

/**
 * Reading a block: every scene of each observation date read over the block's grid (with its halo), its bands
 * brought onto the grid as physical values and its quality layer as observation states; tiles of one pass are
 * mosaicked. The reading (range requests) happens here, on the main thread, several scenes at once; the tiles are
 * decoded by the run's worker pool (or here), and the bringing onto the grid is workers/block.dates.ts, run by the
 * worker that computes the block.
 */

const DAY_MS = 86_400_000;

/** What a period's reads found so far, over every block: the scenes used, their dates, the scenes skipped and why. */
export interface PeriodReads {
  used: Set<string>;
  dated: Set<string>;
  /** Scene id → why it was left out (its item and its file disagree: CRS or footprint). */
  skipped: Map<string, string>;
}

/** A scene's pixels over a block, or undefined when it has none there or is skipped (its reason kept in `reads`). */
async function readOrSkip(
  scene: Observation['scenes'][number],
  outline: Pick<Aoi, 'geometry'>,
  opener: RasterOpener,
  bands: readonly BandName[],
  reads: PeriodReads,
  options: { signal?: AbortSignal; decode?: TileDecoder },
): Promise<AoiScene<WindowPixels> | undefined> {
  if (reads.skipped.has(scene.id)) return undefined;
  try {
    return await fetchSceneForAoi(scene, outline, { bands, mask: true, open: opener.open, ...options });
  } catch (error) {
    if (!(error instanceof SceneDisagreementError)) throw error;
    reads.skipped.set(scene.id, error.reason);
    return undefined;
  }
}

/**
 * What each observation date of a period brought to one block: every scene's windows of `bands` (their decoded
 * tiles, shared memory, decoded by `options.decode` when the cache lacks them) and where they lie, in the order
 * the scenes win the mosaic; the scenes read at once within `options.limit`. A scene whose item and file disagree
 * is skipped (in every block), with the reason, in `reads.skipped`.
 */
export async function readsForBlock(
  observations: readonly Observation[],
  grid: Grid,
  opener: RasterOpener,
  bands: readonly BandName[],
  reads: PeriodReads,
  options: { signal?: AbortSignal; decode?: TileDecoder; limit?: <T>(call: () => Promise<T>) => Promise<T> } = {},
): Promise<ObservationOnBlock[]> {
  const outline: Pick<Aoi, 'geometry'> = { geometry: { type: 'Polygon', coordinates: [gridOutline(grid)] } };
  const { limit = (call) => call(), ...readOptions } = options;
  // Every scene read at once (within the limit); what they found is taken in observation and scene order.
  const found = await Promise.all(
    observations.map((observation) =>
      Promise.all(
        observation.scenes.map((scene) =>
          limit(() => {
            options.signal?.throwIfAborted();
            return readOrSkip(scene, outline, opener, bands, reads, readOptions);
          }),
        ),
      ),
    ),
  );
  const dates: ObservationOnBlock[] = [];
  observations.forEach((observation, o) => {
    const scenes: SceneOnBlock[] = [];
    observation.scenes.forEach((scene, s) => {
      const read = found[o]![s];
      if (!read) return;
      reads.used.add(scene.id);
      reads.dated.add(observation.date);
      scenes.push({
        bands: read.bands,
        ...(read.mask && scene.mask ? { mask: { pixels: read.mask, kind: scene.mask.kind } } : {}),
      });
    });
    if (scenes.length > 0) {
      dates.push({ day: Math.floor(Date.parse(`${observation.date}T00:00:00Z`) / DAY_MS), scenes });
    }
  });
  return dates;
}

/**
 * The observation dates of a period over one block, on this thread: {@link readsForBlock} (tiles decoded here, or
 * by `decode`: the run's worker pool),
 * then the scenes brought onto the grid and mosaicked (workers/block.dates.ts): first observed value wins
 * (observed in every one of `bands`; `displayBands` are read along but do not decide).
 */
export async function datesForBlock(
  observations: readonly Observation[],
  grid: Grid,
  opener: RasterOpener,
  cloud: CloudCleanup,
  bands: readonly BandName[],
  reads: PeriodReads,
  {
    signal,
    decode,
    displayBands = [],
  }: { signal?: AbortSignal; decode?: TileDecoder; displayBands?: readonly BandName[] } = {},
): Promise<DateBlock[]> {
  const read = [...new Set([...bands, ...displayBands])];
  const options = { ...(signal ? { signal } : {}), ...(decode ? { decode } : {}) };
  const found = await readsForBlock(observations, grid, opener, read, reads, options);
  return datesOnGrid(found, grid, bands, cloud.excludeSnow, displayBands);
}
