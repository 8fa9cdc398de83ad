import type { SceneRow } from './summary.js';

/**
 * The credit a map made from the scenes must carry, in the words their licences ask for:
 * - Sentinel: "Contains modified Copernicus Sentinel data [Year]" (Legal notice on the use of Copernicus Sentinel
 *   Data and Service Information, 2014, art. 3(b));
 * - Landsat: "Landsat imagery courtesy of the U.S. Geological Survey" (USGS, "Acknowledging or Crediting USGS").
 * The mission is the scene's `platform` (sentinel-2a, landsat-5…), else its collection id, else its id when it has
 * the mission's naming (Sentinel-2 granules end in their MGRS tile, `_T35MPT`; Landsat product ids start `LT05_`,
 * scene ids `LT5…`). Pure.
 */

export type Mission = 'sentinel' | 'landsat';

const LANDSAT_ID = /^L[CEOTM]0?\d[_\d]/;
const SENTINEL_ID = /^S2[ABC]_|_T\d{2}[A-Z]{3}(?:_|$)/;

export function missionOf(scene: Pick<SceneRow, 'id' | 'platform' | 'collection'>): Mission | undefined {
  for (const text of [scene.platform ?? '', scene.collection.toLowerCase()]) {
    if (/sentinel/.test(text)) return 'sentinel';
    if (/landsat/.test(text)) return 'landsat';
  }
  if (SENTINEL_ID.test(scene.id)) return 'sentinel';
  if (LANDSAT_ID.test(scene.id)) return 'landsat';
  return undefined;
}

const yearsOf = (scenes: readonly SceneRow[]) =>
  [...new Set(scenes.map((scene) => scene.datetime.slice(0, 4)))].sort().join(', ');

/** One sentence per mission among the scenes, with the years of its scenes. */
export function sceneAttribution(scenes: readonly SceneRow[]): string {
  const by = (mission: Mission | undefined) => scenes.filter((scene) => missionOf(scene) === mission);
  const parts: string[] = [];
  const sentinel = by('sentinel');
  if (sentinel.length > 0) parts.push(`Contains modified Copernicus Sentinel data ${yearsOf(sentinel)}.`);
  const landsat = by('landsat');
  if (landsat.length > 0) parts.push(`Landsat imagery (${yearsOf(landsat)}) courtesy of the U.S. Geological Survey.`);
  const unknown = by(undefined);
  if (unknown.length > 0) {
    const collections = [...new Set(unknown.map((scene) => scene.collection))].join(', ');
    parts.push(`Imagery: ${collections} (${yearsOf(unknown)}); give the credit its licence asks for.`);
  }
  return parts.join(' ');
}
