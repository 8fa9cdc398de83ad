import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectScenes } from '../../../pipeline/scenes/scene.select.js';
import { isScene, readItem, type Scene, type StacItem } from '../../../pipeline/scenes/stac.profiles.js';
import { SHARED_DATA } from '../../helpers/paths.js';

const scenesOf = (path: string): Scene[] =>
  (JSON.parse(readFileSync(join(SHARED_DATA, path), 'utf8')).features as StacItem[]).map(readItem).filter(isScene);

describe('selectScenes', () => {
  it('uses one scene per acquisition offered by two collections, by collection preference', () => {
    const scenes = scenesOf('stac/pystac-client-cassettes/es1_filter_01.json');
    const preferC1 = selectScenes(scenes, { maxCloudCover: 100, collections: ['sentinel-2-c1-l2a', 'sentinel-2-l2a'] });
    const t20ept = preferC1.scenes.filter((scene) => scene.tile === '20EPT');
    expect(t20ept.map((scene) => scene.id)).toEqual(['S2B_T20EPT_20250731T131905_L2A']);
    expect(preferC1.skipped).toContainEqual({
      id: 'S2B_20EPT_20250731_0_L2A',
      collection: 'sentinel-2-l2a',
      reason: 'same acquisition as S2B_T20EPT_20250731T131905_L2A (sentinel-2-c1-l2a), which is used',
    });
    const preferOld = selectScenes(scenes, {
      maxCloudCover: 100,
      collections: ['sentinel-2-l2a', 'sentinel-2-c1-l2a'],
    });
    expect(preferOld.scenes.filter((scene) => scene.tile === '20EPT').map((scene) => scene.id)).toEqual([
      'S2B_20EPT_20250731_0_L2A',
    ]);
  });

  it('groups one pass over several tiles into one observation date', () => {
    const scenes = scenesOf('stac/odc-stac/site1-20200606-tall-strip-africa.geojson');
    const selection = selectScenes(scenes, { maxCloudCover: 100, collections: ['sentinel-2-l2a'] });
    expect(new Set(selection.scenes.map((scene) => scene.tile)).size).toBeGreaterThan(3);
    expect(selection.observations).toHaveLength(1);
    expect(selection.observations[0]!.date).toBe('2020-06-06');
    expect(selection.observations[0]!.scenes).toHaveLength(selection.scenes.length);
  });

  it('applies the cloud-cover limit and says why a scene was left out', () => {
    const scenes = scenesOf('stac/odc-stac/site2-2020_jun_jul-35MNM.geojson');
    const selection = selectScenes(scenes, { maxCloudCover: 20, collections: ['sentinel-2-l2a'] });
    expect(selection.scenes).toHaveLength(11);
    expect(selection.skipped.map((skip) => skip.reason)).toEqual([
      'cloud cover 26.8% is over the limit of 20%',
      'cloud cover 29.2% is over the limit of 20%',
    ]);
    expect(selection.observations).toHaveLength(11);
    expect(selection.scenes.map((scene) => scene.datetime)).toEqual(
      [...selection.scenes.map((scene) => scene.datetime)].sort(),
    );
  });

  it('keeps only scenes inside the period when asked', () => {
    const scenes = scenesOf('stac/odc-stac/site2-2020_jun_jul-35MNM.geojson');
    const selection = selectScenes(scenes, {
      maxCloudCover: 100,
      collections: [],
      period: { start: '2020-07-01T00:00:00.000Z', end: '2020-08-01T00:00:00.000Z' },
    });
    expect(selection.scenes.map((scene) => scene.datetime.slice(0, 10))).toEqual([
      '2020-07-01',
      '2020-07-06',
      '2020-07-11',
      '2020-07-16',
      '2020-07-21',
      '2020-07-26',
      '2020-07-31',
    ]);
  });

  it('keeps radar passes apart by orbit: frames of one track are one observation, the other direction another', () => {
    const folder = join(SHARED_DATA, 'stac', 'sentinel-1', 'rtc-items');
    const frames = readdirSync(folder)
      .sort()
      .map((name) => readItem(JSON.parse(readFileSync(join(folder, name), 'utf8')) as StacItem))
      .filter(isScene);
    // The four VV+VH frames: one ascending datatake on track 5, 15 December 2019, 00:38-00:44 UTC.
    expect(frames).toHaveLength(4);
    const descending = structuredClone(frames[0]!);
    descending.id = `${descending.id}-descending`;
    descending.datetime = '2019-12-15T12:31:02.000Z';
    descending.sar = { ...descending.sar!, orbitState: 'descending', relativeOrbit: 12 };
    const selection = selectScenes([...frames, descending], { maxCloudCover: 20, collections: [] });
    expect(
      selection.observations.map((observation) => [observation.date, observation.orbit, observation.scenes.length]),
    ).toEqual([
      ['2019-12-15', { state: 'ascending', relative: 5 }, 4],
      ['2019-12-15', { state: 'descending', relative: 12 }, 1],
    ]);
    expect(selection.skipped).toEqual([]);
  });
});
