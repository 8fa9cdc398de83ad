import type { Aoi } from '../../aoi/aoi.schema.js';
import type { Config } from '../../config/config.schema.js';
import type { Summary } from '../../reports/summary.js';
import { findScenes } from './scenes.find.js';
import type { Observation } from './scene.select.js';

/** An observation of one of an item's periods. */
export interface PeriodObservation {
  period: 'baseline' | 'monitoring';
  observation: Observation;
}

/**
 * The observations behind a published item's composites, found again: each period's scenes searched with the AOI's
 * query and kept only when the item used them (its summary's scene ids), so a scene added to the catalog since is
 * not mistaken for evidence. In date order within each period, baseline first.
 */
export async function itemObservations(input: {
  finder: Parameters<typeof findScenes>[0];
  config: Config;
  aoi: Aoi;
  summary: Summary;
}): Promise<PeriodObservation[]> {
  const observations: PeriodObservation[] = [];
  for (const period of ['baseline', 'monitoring'] as const) {
    const { start, end, scenes } = input.summary.periods[period];
    const used = new Set(scenes.map((scene) => scene.id));
    const search = await findScenes(input.finder, input.aoi, { start, end }, input.config);
    for (const observation of search.observations) {
      const kept = observation.scenes.filter((scene) => used.has(scene.id));
      if (kept.length > 0) observations.push({ period, observation: { ...observation, scenes: kept } });
    }
  }
  return observations;
}
