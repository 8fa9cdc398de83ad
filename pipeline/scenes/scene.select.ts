import type { Scene, Unusable } from './stac.profiles.js';

/**
 * Which scenes an AOI and period use: the cloud-cover limit, one scene per acquisition (the same acquisition
 * offered by two collections or two processing baselines is used once), and acquisitions grouped into observation
 * dates (one pass over several tiles of an AOI is one observation, mosaicked later; a radar pass is also one orbit
 * direction and track). Pure.
 */

export interface Observation {
  /** UTC date of the pass, YYYY-MM-DD. */
  date: string;
  platform: string;
  /**
   * Radar passes: the orbit direction and track, part of what makes one pass. An ascending and a descending pass of
   * one day see the ground from opposite sides (a slope facing one is bright, in shadow for the other): two
   * observations, never tiles of one to be mosaicked. Frames of one track that day are one pass.
   */
  orbit?: { state?: 'ascending' | 'descending'; relative?: number };
  scenes: Scene[];
}

export interface Selection {
  /** Scenes used, sorted by time then tile. */
  scenes: Scene[];
  observations: Observation[];
  /** Scenes not used, each with the reason. */
  skipped: Unusable[];
}

export interface SelectionOptions {
  /** Percent 0-100; scenes above it are skipped. Scenes without `eo:cloud_cover` are kept. */
  maxCloudCover: number;
  /** Collections in order of preference, for choosing between duplicates of one acquisition. */
  collections: readonly string[];
  /** Inclusive start and exclusive end, ISO 8601 UTC; scenes outside are skipped (static catalogs). */
  period?: { start: string; end: string };
}

const platformOf = (scene: Scene): string =>
  scene.platform ?? /^(S2[ABCD])/i.exec(scene.id)?.[1]?.toLowerCase().replace('s2', 'sentinel-2') ?? 'unknown';

/** Same platform, same tile, same second: one acquisition, whatever collection or baseline offers it. */
const acquisitionKey = (scene: Scene): string =>
  `${platformOf(scene)}|${scene.tile ?? scene.id}|${scene.datetime.slice(0, 19)}`;

function preference(scene: Scene, collections: readonly string[]): [number, number, string] {
  const rank = collections.indexOf(scene.collection);
  return [rank < 0 ? collections.length : rank, -Number.parseFloat(scene.processingBaseline ?? '0'), scene.id];
}

function better(a: Scene, b: Scene, collections: readonly string[]): boolean {
  const [pa, pb] = [preference(a, collections), preference(b, collections)];
  if (pa[0] !== pb[0]) return pa[0] < pb[0];
  if (pa[1] !== pb[1]) return pa[1] < pb[1];
  // Same collection and baseline: the later-processed product (ids end with the processing time) wins.
  return pa[2] > pb[2];
}

export function selectScenes(candidates: readonly Scene[], options: SelectionOptions): Selection {
  const skipped: Unusable[] = [];
  const byAcquisition = new Map<string, Scene>();
  for (const scene of candidates) {
    const skip = (reason: string) => skipped.push({ id: scene.id, collection: scene.collection, reason });
    if (options.period && (scene.datetime < options.period.start || scene.datetime >= options.period.end)) {
      skip(`acquired ${scene.datetime}, outside ${options.period.start}/${options.period.end}`);
      continue;
    }
    if (scene.cloudCover !== undefined && scene.cloudCover > options.maxCloudCover) {
      skip(`cloud cover ${scene.cloudCover.toFixed(1)}% is over the limit of ${options.maxCloudCover}%`);
      continue;
    }
    const key = acquisitionKey(scene);
    const current = byAcquisition.get(key);
    if (!current) {
      byAcquisition.set(key, scene);
    } else if (better(scene, current, options.collections)) {
      byAcquisition.set(key, scene);
      skipped.push({
        id: current.id,
        collection: current.collection,
        reason: `same acquisition as ${scene.id} (${scene.collection}), which is used`,
      });
    } else {
      skip(`same acquisition as ${current.id} (${current.collection}), which is used`);
    }
  }
  const scenes = [...byAcquisition.values()].sort(
    (a, b) => a.datetime.localeCompare(b.datetime) || (a.tile ?? '').localeCompare(b.tile ?? ''),
  );
  const observations = new Map<string, Observation>();
  for (const scene of scenes) {
    const date = scene.datetime.slice(0, 10);
    const orbit = scene.sar
      ? {
          ...(scene.sar.orbitState ? { state: scene.sar.orbitState } : {}),
          ...(scene.sar.relativeOrbit !== undefined ? { relative: scene.sar.relativeOrbit } : {}),
        }
      : undefined;
    const key = `${platformOf(scene)}|${date}${orbit ? `|${orbit.state ?? ''}|${orbit.relative ?? ''}` : ''}`;
    const observation = observations.get(key) ?? {
      date,
      platform: platformOf(scene),
      ...(orbit ? { orbit } : {}),
      scenes: [],
    };
    observation.scenes.push(scene);
    observations.set(key, observation);
  }
  return { scenes, observations: [...observations.values()], skipped };
}
