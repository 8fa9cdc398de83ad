import { fromCrs, toCrs } from '../../aoi/aoi.project.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { gridOutline, type Grid } from '../../aoi/rasterize.js';
import type { BandName } from '../../workers/bands.js';
import type { CloudCleanup, DateBlock } from '../../workers/change.block.js';
import { CLEAR, NOT_OBSERVED, fmaskStates, nodataAsStored, qaPixelStates, sclStates } from '../../workers/masks.js';
import { resampleToGrid, type PointTransformer } from '../../workers/resample.js';
import type { RasterOpener } from '../scenes/raster.opener.js';
import { SceneDisagreementError } from '../scenes/scene.agreement.js';
import { readSceneForAoi, type AoiBand, type AoiScene } from '../scenes/scene.read.js';
import type { Observation } from '../scenes/scene.select.js';

/**
 * Reading a block: every scene of each observation date read over the block's grid (with its halo), its bands
 * brought onto the grid as physical values and its quality layer as observation states; tiles of one pass are
 * mosaicked.
 */

const DAY_MS = 86_400_000;

/** Physical values on the grid: DN × scale + offset, nodata → NaN before resampling so it never blends in. */
function bandOnGrid(band: AoiBand, grid: Grid, method: 'nearest' | 'bilinear', physical: boolean): Float32Array {
  const values = new Float32Array(band.data.length);
  const nodata = nodataAsStored(band.data, band.nodata);
  for (let i = 0; i < values.length; i++) {
    const raw = band.data[i]!;
    values[i] =
      Number.isNaN(raw) || (nodata !== undefined && raw === nodata)
        ? NaN
        : physical
          ? raw * band.scale + band.offset
          : raw;
  }
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
  signal?: AbortSignal,
): Promise<AoiScene | undefined> {
  if (reads.skipped.has(scene.id)) return undefined;
  try {
    return await readSceneForAoi(scene, outline, {
      bands,
      mask: true,
      open: opener.open,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (!(error instanceof SceneDisagreementError)) throw error;
    reads.skipped.set(scene.id, error.reason);
    return undefined;
  }
}

/**
 * The observation dates of a period over one block: tiles of a pass mosaicked, first observed value wins (observed
 * in every one of `bands`; `displayBands` are read along but do not decide). A scene whose item and file disagree is
 * skipped (in every block), with the reason, in `reads.skipped`.
 */
export async function datesForBlock(
  observations: readonly Observation[],
  grid: Grid,
  opener: RasterOpener,
  cloud: CloudCleanup,
  bands: readonly BandName[],
  reads: PeriodReads,
  { signal, displayBands = [] }: { signal?: AbortSignal; displayBands?: readonly BandName[] } = {},
): Promise<DateBlock[]> {
  const read = [...new Set([...bands, ...displayBands])];
  const outline: Pick<Aoi, 'geometry'> = { geometry: { type: 'Polygon', coordinates: [gridOutline(grid)] } };
  const pixels = grid.width * grid.height;
  const blocks: DateBlock[] = [];
  for (const observation of observations) {
    let block: DateBlock | undefined;
    for (const scene of observation.scenes) {
      signal?.throwIfAborted();
      const scenePixels = await readOrSkip(scene, outline, opener, read, reads, signal);
      if (!scenePixels) continue;
      reads.used.add(scene.id);
      reads.dated.add(observation.date);
      const values = Object.fromEntries(
        read.map((band) => [band, bandOnGrid(scenePixels.bands[band]!, grid, 'bilinear', true)]),
      ) as DateBlock['bands'];
      let states: Uint8Array;
      if (scenePixels.mask && scene.mask) {
        const mask = bandOnGrid(scenePixels.mask, grid, 'nearest', false);
        const options = { excludeSnow: cloud.excludeSnow };
        states =
          scene.mask.kind === 'scl'
            ? sclStates(mask, options)
            : scene.mask.kind === 'qa_pixel'
              ? qaPixelStates(mask, options)
              : fmaskStates(mask, options);
        for (let i = 0; i < pixels; i++) if (Number.isNaN(mask[i]!)) states[i] = NOT_OBSERVED;
      } else {
        states = new Uint8Array(pixels).fill(CLEAR);
      }
      if (!block) {
        block = { day: Math.floor(Date.parse(`${observation.date}T00:00:00Z`) / DAY_MS), bands: values, states };
        continue;
      }
      // Tiles of one pass: the first scene that observed a pixel in every band wins it.
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
    if (block) blocks.push(block);
  }
  return blocks;
}
