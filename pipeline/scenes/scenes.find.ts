import type { Aoi } from '../../aoi/aoi.schema.js';
import type { Config } from '../../config/config.schema.js';
import { ChangewatchError } from '../errors.js';
import type { ItemFinder } from '../io/stac.client.js';
import { selectScenes, type Selection } from './scene.select.js';
import { isScene, readItem, type Scene, type Unusable } from './stac.profiles.js';

export interface SceneSearch extends Selection {
  aoi: string;
  period: { start: string; end: string };
  maxCloudCover: number;
  /** Items found that no profile could use (requester-pays, missing bands), with the reason. */
  unusable: Unusable[];
}

/**
 * The scenes an AOI would use for a period: items found by the finder, read by the provider profiles, then
 * selected (cloud limit, one per acquisition, grouped into observation dates).
 */
export async function findScenes(
  finder: ItemFinder,
  aoi: Aoi,
  period: { start: string; end: string },
  config: Config,
  options: { signal?: AbortSignal } = {},
): Promise<SceneSearch> {
  const maxCloudCover = aoi.maxCloudCover ?? config.stac.maxCloudCover;
  const scenes: Scene[] = [];
  const unusable: Unusable[] = [];
  const query = {
    intersects: aoi.geometry,
    bbox: aoi.bbox,
    start: period.start,
    end: period.end,
    collections: config.stac.collections,
    maxCloudCover,
  };
  for await (const item of finder.find(query, options)) {
    const read = readItem(item);
    if (isScene(read)) scenes.push(read);
    else unusable.push(read);
  }
  const selection = selectScenes(scenes, { maxCloudCover, collections: config.stac.collections, period });
  return { aoi: aoi.id, period, maxCloudCover, unusable, ...selection };
}

/**
 * The scenes of an AOI's two explicit windows (baseline and monitoring). AOIs without both windows get rolling
 * windows from the nightly run instead; asking for them here is an error.
 */
export async function findWindowScenes(
  finder: ItemFinder,
  aoi: Aoi,
  config: Config,
  options: { signal?: AbortSignal } = {},
): Promise<{ baseline: SceneSearch; monitoring: SceneSearch }> {
  const { baseline, monitoring } = aoi.windows;
  if (!baseline || !monitoring) {
    throw new ChangewatchError(
      'E_AOI',
      `${aoi.file}: ${aoi.id} has no baseline and monitoring windows: add "windows" to the AOI`,
    );
  }
  return {
    baseline: await findScenes(finder, aoi, baseline, config, options),
    monitoring: await findScenes(finder, aoi, monitoring, config, options),
  };
}
