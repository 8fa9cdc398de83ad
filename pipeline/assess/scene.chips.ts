import type { Aoi } from '../../aoi/aoi.schema.js';
import type { Grid } from '../../aoi/rasterize.js';
import type { Config } from '../../config/config.schema.js';
import type { Summary } from '../../reports/summary.js';
import { sceneChip } from '../../workers/accuracy/review.chip.js';
import type { BandName } from '../../workers/bands.js';
import { CLEAR } from '../../workers/masks.js';
import type { Picture } from '../../workers/render.js';
import { datesForBlock, type PeriodReads } from '../analysis/block.read.js';
import type { RasterOpener } from '../scenes/raster.opener.js';
import { itemObservations } from '../scenes/item.scenes.js';
import type { findScenes } from '../scenes/scenes.find.js';
import type { Observation } from '../scenes/scene.select.js';

/**
 * The individual scenes behind an item's composites, re-read as small windows around a sample pixel: what an
 * interpreter needs to tell a clearing from a cloud shadow or a harvested field. The scenes are found again with the
 * AOI's query and kept only when the item used them (its summary's scene ids); the pixels come through the block
 * reader the run uses (same masks, same resampling onto the item's grid). Per point, the clear dates of the sample
 * pixel nearest the change: the last `PER_PERIOD` of the baseline and the first `PER_PERIOD` of the monitoring window.
 */
export const PER_PERIOD = 4;

type Period = 'baseline' | 'monitoring';

export interface SceneChipSource {
  observations: Array<{ period: Period; observation: Observation }>;
  bands: BandName[];
  opener: RasterOpener;
  cloud: Config['analysis']['cloud'];
}

export interface SceneChipPicture {
  period: Period;
  date: string;
  scenes: string[];
  kind: 'true colour' | 'NDVI';
  picture: Picture;
}

/** The observations of both periods the item used, and the bands to read (blue and green when every scene has them). */
export async function sceneChipSource(input: {
  finder: Parameters<typeof findScenes>[0];
  config: Config;
  aoi: Aoi;
  summary: Summary;
  opener: RasterOpener;
}): Promise<SceneChipSource> {
  const observations = await itemObservations(input);
  const everyScene = observations.flatMap(({ observation }) => observation.scenes);
  const colour = everyScene.length > 0 && everyScene.every((scene) => scene.bands.blue && scene.bands.green);
  const bands: BandName[] = colour ? ['red', 'nir', 'green', 'blue'] : ['red', 'nir'];
  return { observations, bands, opener: input.opener, cloud: input.config.analysis.cloud };
}

/** The clear scenes of the sample pixel at the centre of `grid`, nearest the change, as pictures. */
export async function pointSceneChips(source: SceneChipSource, grid: Grid, zoom: number): Promise<SceneChipPicture[]> {
  const centre = Math.floor(grid.height / 2) * grid.width + Math.floor(grid.width / 2);
  const reads: PeriodReads = { used: new Set(), dated: new Set(), skipped: new Map() };
  const chips: SceneChipPicture[] = [];
  for (const period of ['baseline', 'monitoring'] as const) {
    const observations = source.observations
      .filter((entry) => entry.period === period)
      .map((entry) => entry.observation);
    const blocks = await datesForBlock(observations, grid, source.opener, source.cloud, source.bands, reads);
    const clear = blocks.filter((block) => block.states[centre] === CLEAR && Number.isFinite(block.bands.red[centre]!));
    const nearest = period === 'baseline' ? clear.slice(-PER_PERIOD) : clear.slice(0, PER_PERIOD);
    for (const block of nearest) {
      const date = new Date(block.day * 86_400_000).toISOString().slice(0, 10);
      const observation = observations.find((candidate) => candidate.date === date)!;
      const { picture, kind } = sceneChip({ ...block.bands, states: block.states }, grid.width, zoom);
      chips.push({ period, date, scenes: observation.scenes.map((scene) => scene.id), kind, picture });
    }
  }
  return chips;
}
