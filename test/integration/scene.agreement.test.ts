import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAoi } from '../../aoi/aoi.parse.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { runAnalysis, type AnalysisRun } from '../../pipeline/analysis/analysis.js';
import { loadConfig } from '../../pipeline/config.read.js';
import type { ChangewatchError } from '../../pipeline/errors.js';
import { StaticCatalog } from '../../pipeline/io/stac.client.js';
import { createRasterOpener, type RasterOpener } from '../../pipeline/scenes/raster.opener.js';
import { SceneDisagreementError } from '../../pipeline/scenes/scene.agreement.js';
import { readSceneForAoi } from '../../pipeline/scenes/scene.read.js';
import { findWindowScenes } from '../../pipeline/scenes/scenes.find.js';
import type { Scene } from '../../pipeline/scenes/stac.profiles.js';
import { buildBukavuCatalog } from '../helpers/bukavu.js';
import { ROOT, SHARED_DATA } from '../helpers/paths.js';

/**
 * Issue 13: a scene whose file and item disagree must not be "used" silently. On the real Bukavu catalog, one
 * monitoring item's proj:code is edited to the northern zone (EPSG:32635; the file is EPSG:32735), and one baseline
 * item's data asset is pointed at the Rusizi file of the same date (same CRS, 80 km away: the footprint is not the
 * item's bbox). Both are skipped, with their reasons, and the other scenes are used.
 */
const AOI_FILE = join(ROOT, 'aoi', 'bukavu-demo.geojson');
const WRONG_CRS = '20210825T080611_20210825T082711_T35MPT';
const WRONG_FILE = '20210611T080609_20210611T082518_T35MPT';
const RUSIZI = join(
  SHARED_DATA,
  's2-bukavu-rusizi',
  'T35MQS_rusizi_burundi',
  '20210611T080609_20210611T082518_T35MQS.tif',
);

let aoi: Aoi;
let run: AnalysisRun;
let found: Awaited<ReturnType<typeof findWindowScenes>>;
let opener: RasterOpener;

interface EditableItem {
  properties: Record<string, unknown>;
  assets: Record<string, { href: string }>;
}

function editItem(dir: string, id: string, edit: (item: EditableItem) => void): void {
  const path = join(dir, 'items', `${id}.json`);
  const item = JSON.parse(readFileSync(path, 'utf8')) as EditableItem;
  edit(item);
  writeFileSync(path, JSON.stringify(item));
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-agree-'));
  const catalog = await buildBukavuCatalog(dir);
  editItem(dir, WRONG_CRS, (item) => {
    delete item.properties['proj:epsg'];
    item.properties['proj:code'] = 'EPSG:32635';
  });
  editItem(dir, WRONG_FILE, (item) => {
    item.assets.data.href = relative(join(dir, 'items'), RUSIZI);
  });
  aoi = parseAoi(readFileSync(AOI_FILE, 'utf8'), AOI_FILE, { maxAreaKm2: 10_000 }).aoi!;
  const { config } = loadConfig({}, {}, ROOT);
  found = await findWindowScenes(new StaticCatalog(catalog.catalog), aoi, config);
  opener = createRasterOpener({});
  run = await runAnalysis({
    aoi,
    baseline: found.baseline.observations,
    monitoring: found.monitoring.observations,
    opener,
  });
}, 300_000);

afterAll(async () => {
  await opener?.close();
});

const sceneOf = (id: string): Scene =>
  [...found.baseline.observations, ...found.monitoring.observations]
    .flatMap((observation) => observation.scenes)
    .find((scene) => scene.id === id)!;

describe('a scene whose item and file disagree', () => {
  it('is found and selected (the catalog is not where the disagreement shows)', () => {
    expect(sceneOf(WRONG_CRS)).toBeDefined();
    expect(sceneOf(WRONG_FILE)).toBeDefined();
  });

  it('is refused by readSceneForAoi with a typed error saying what disagrees and what to do', async () => {
    const crs = await readSceneForAoi(sceneOf(WRONG_CRS), aoi, {
      bands: ['red', 'nir'],
      mask: false,
      open: opener.open,
    }).catch((error: unknown) => error);
    expect(crs).toBeInstanceOf(SceneDisagreementError);
    expect((crs as ChangewatchError).code).toBe('E_READ');
    expect((crs as Error).message).toBe(
      `${WRONG_CRS} data: file CRS EPSG:32735 differs from the item's proj:code EPSG:32635: correct the item's proj:code or the file's georeferencing; the scene is skipped`,
    );
    const footprint = await readSceneForAoi(sceneOf(WRONG_FILE), aoi, {
      bands: ['red', 'nir'],
      mask: false,
      open: opener.open,
    }).catch((error: unknown) => error);
    expect(footprint).toBeInstanceOf(SceneDisagreementError);
    expect((footprint as Error).message).toBe(
      `${WRONG_FILE} data: file footprint [29.2285, -3.4148, 29.3114, -3.3149] does not match the item's bbox [28.8113, -2.5383, 28.8866, -2.4368]: correct the item's bbox or asset href, or the file's georeferencing; the scene is skipped`,
    );
  });

  it("is skipped by the analysis, listed with its reason, and in neither period's scenes", () => {
    expect(run.skipped.map((skip) => skip.id)).toEqual([WRONG_FILE, WRONG_CRS].sort());
    expect(run.skipped.find((skip) => skip.id === WRONG_CRS)!.reason).toMatch(
      /EPSG:32735 differs from the item's proj:code EPSG:32635/,
    );
    expect(run.skipped.find((skip) => skip.id === WRONG_FILE)!.reason).toMatch(/does not match the item's bbox/);
    expect(run.baseline.scenes).not.toContain(WRONG_FILE);
    expect(run.monitoring.scenes).not.toContain(WRONG_CRS);
    expect(run.baseline.dates).not.toContain('2021-06-11');
    expect(run.monitoring.dates).not.toContain('2021-08-25');
    // The others are used: every other scene of both windows covers the AOI.
    const selected = (period: 'baseline' | 'monitoring') =>
      found[period].observations.flatMap((observation) => observation.scenes.map((scene) => scene.id));
    expect(run.baseline.scenes.sort()).toEqual(
      selected('baseline')
        .filter((id) => id !== WRONG_FILE)
        .sort(),
    );
    expect(run.monitoring.scenes.sort()).toEqual(
      selected('monitoring')
        .filter((id) => id !== WRONG_CRS)
        .sort(),
    );
  });
});
