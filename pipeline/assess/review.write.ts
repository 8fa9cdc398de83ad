import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SampleDesign } from '../../reports/accuracy.js';
import { windowGrid, type Grid } from '../../aoi/rasterize.js';
import { reviewPage, type ReviewPoint } from '../../reports/review.page.js';
import { reviewChip } from '../../workers/accuracy/review.chip.js';
import { encodePng } from '../../workers/png.js';
import type { PublishedRasters } from '../scenes/store.raster.js';
import type { AssessedItem } from './assess.source.js';
import { pointSceneChips, type SceneChipSource } from './scene.chips.js';

/** Raster pixels either side of the sample pixel on a chip (a 33 × 33 window: 330 m at 10 m), and the zoom. */
export const CHIP_HALF = 16;
const CHIP_ZOOM = 6;
/** Individual scenes are drawn smaller, in a strip under the composites. */
const SCENE_ZOOM = 4;
const CHIP_LAYERS = [
  { asset: 'ndvi-baseline', period: 'baseline' },
  { asset: 'ndvi-monitoring', period: 'monitoring' },
] as const;

/** The chip's window of the item's grid: the sample pixel and CHIP_HALF pixels on every side. */
const chipWindow = (unit: SampleDesign['units'][number]) => ({
  x0: unit.column - CHIP_HALF,
  y0: unit.row - CHIP_HALF,
  x1: unit.column + CHIP_HALF + 1,
  y1: unit.row + CHIP_HALF + 1,
});

/**
 * The review page of a sample (`review/index.html`) and its chips (`review/chips/<id>-<period>.png`): NDVI of the
 * baseline and monitoring composites around each unit, read from the item's published COGs. The page carries no
 * map class and no stratum: the interpreter labels blind.
 */
export async function writeReview(
  folder: string,
  input: {
    design: SampleDesign;
    designSha256: string;
    source: AssessedItem;
    rasters: PublishedRasters;
    /** The item's scenes, re-read around each point; undefined when they cannot be found (the AOI file is gone). */
    scenes?: SceneChipSource | undefined;
    onProgress?: ((done: number, total: number) => void) | undefined;
  },
): Promise<void> {
  const { design, source } = input;
  const chipsFolder = join(folder, 'review', 'chips');
  await mkdir(chipsFolder, { recursive: true });
  const readers = await Promise.all(CHIP_LAYERS.map((layer) => input.rasters(source.assetKey(layer.asset))));
  const side = 2 * CHIP_HALF + 1;
  const points: ReviewPoint[] = [];
  for (const [index, unit] of design.units.entries()) {
    const window = chipWindow(unit);
    const chips: Record<string, string> = {};
    for (const [layerIndex, layer] of CHIP_LAYERS.entries()) {
      const { bands } = await readers[layerIndex]!.readWindow(window, { bands: [0], fill: Number.NaN });
      const file = `chips/${unit.id}-${layer.period}.png`;
      await writeFile(join(folder, 'review', file), encodePng(reviewChip(bands[0]!, side, CHIP_ZOOM)));
      chips[layer.period] = file;
    }
    const scenes = input.scenes ? await writeSceneChips(folder, unit, design, input.scenes) : [];
    points.push({
      id: unit.id,
      lon: unit.lon,
      lat: unit.lat,
      chips: { baseline: chips['baseline']!, monitoring: chips['monitoring']! },
      scenes,
    });
    input.onProgress?.(index + 1, design.units.length);
  }
  const { baseline, monitoring } = source.summary.periods;
  const html = reviewPage({
    designSha256: input.designSha256,
    aoi: design.aoi,
    item: design.item,
    product: design.product,
    classes: design.classes,
    pixelMetres: Math.abs(design.grid.transform[1]!),
    chipSide: side,
    chipZoom: CHIP_ZOOM,
    periods: {
      baseline: {
        window: baseline.window,
        scenes: baseline.scenes.map((scene) => `${scene.datetime.slice(0, 10)} ${scene.id}`),
      },
      monitoring: {
        window: monitoring.window,
        scenes: monitoring.scenes.map((scene) => `${scene.datetime.slice(0, 10)} ${scene.id}`),
      },
    },
    points,
  });
  await writeFile(join(folder, 'review', 'index.html'), html);
}

/** The point's clear scenes as `chips/<id>-<date>.png`, described for the page. */
async function writeSceneChips(
  folder: string,
  unit: SampleDesign['units'][number],
  design: SampleDesign,
  source: SceneChipSource,
): Promise<ReviewPoint['scenes']> {
  const grid = windowGrid(
    { ...design.grid, transform: design.grid.transform as unknown as Grid['transform'] },
    chipWindow(unit),
  );
  const described: ReviewPoint['scenes'] = [];
  for (const chip of await pointSceneChips(source, grid, SCENE_ZOOM)) {
    const file = `chips/${unit.id}-${chip.date}.png`;
    await writeFile(join(folder, 'review', file), encodePng(chip.picture));
    described.push({ file, date: chip.date, period: chip.period, kind: chip.kind, scenes: chip.scenes });
  }
  return described;
}
