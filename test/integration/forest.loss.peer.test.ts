import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAoi } from '../../aoi/aoi.parse.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { runAnalysis, type AnalysisRun } from '../../pipeline/analysis/analysis.js';
import { StaticCatalog } from '../../pipeline/io/stac.client.js';
import { createRasterOpener, type RasterOpener } from '../../pipeline/scenes/raster.opener.js';
import { ChangewatchError } from '../../pipeline/errors.js';
import { ComputePool } from '../../pipeline/analysis/pool.js';
import type { Observation } from '../../pipeline/scenes/scene.select.js';
import { findWindowScenes } from '../../pipeline/scenes/scenes.find.js';
import { BUKAVU_SERIES, buildBukavuCatalog } from '../helpers/bukavu.js';
import { DEBIAN_PYTHON, ROOT } from '../helpers/paths.js';
import { WholeGridSink } from '../helpers/whole.sink.js';
import type { ForestLossParameters } from '../../workers/products/forest.loss.js';
import { forestLoss } from '../helpers/oracles.js';

/**
 * The whole forest-loss chain on the real Bukavu series against an independent GDAL + numpy + scipy + pyproj
 * implementation (test/peer/forest_loss_peer.py): composites, clear counts and NDVI per pixel, hectares per class.
 */
const AOI_FILE = join(ROOT, 'aoi', 'bukavu-demo.geojson');
let run: AnalysisRun;
const whole = new WholeGridSink();
let observations: { baseline: Observation[]; monitoring: Observation[] };
let peerDir: string;
let opener: RasterOpener;

function bin<T>(name: string, type: { new (buffer: ArrayBuffer): T }): T {
  const bytes = readFileSync(join(peerDir, `${name}.bin`));
  return new type(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-peer-'));
  const catalog = await buildBukavuCatalog(dir);
  const aoi: Aoi = parseAoi(readFileSync(AOI_FILE, 'utf8'), AOI_FILE, { maxAreaKm2: 10_000 }).aoi!;
  const { config } = loadConfig({}, {}, ROOT);
  const finder = new StaticCatalog(catalog.catalog);
  const { baseline, monitoring } = await findWindowScenes(finder, aoi, config);
  opener = createRasterOpener({});
  observations = { baseline: baseline.observations, monitoring: monitoring.observations };
  run = await runAnalysis({
    aoi,
    baseline: baseline.observations,
    monitoring: monitoring.observations,
    opener,
    sinks: [whole],
  });
  peerDir = mkdtempSync(join(tmpdir(), 'cw-peer-out-'));
  const file = (id: string) => join(BUKAVU_SERIES, `${id}.tif`);
  const spec = {
    grid: run.grid,
    aoi: AOI_FILE,
    scale: 1e-4,
    baseline: run.baseline.scenes.map(file),
    monitoring: run.monitoring.scenes.map(file),
    parameters: run.products['forest-loss']!.params as ForestLossParameters,
  };
  writeFileSync(join(peerDir, 'spec.json'), JSON.stringify(spec));
  execFileSync(
    DEBIAN_PYTHON,
    [join(ROOT, 'test', 'peer', 'forest_loss_peer.py'), join(peerDir, 'spec.json'), peerDir],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
}, 300_000);

afterAll(async () => {
  await opener?.close();
});

/** Compares inside the AOI: outside it changewatch computes nothing (blocks wholly outside are skipped). */
function compareFloat(
  ours: Float32Array,
  peer: Float32Array,
  tolerance: number,
): { worst: number; nanMismatch: number } {
  expect(ours.length).toBe(peer.length);
  let worst = 0;
  let nanMismatch = 0;
  for (let i = 0; i < ours.length; i++) {
    if (!whole.inside[i]) continue;
    const [a, b] = [ours[i]!, peer[i]!];
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) nanMismatch++;
      continue;
    }
    worst = Math.max(worst, Math.abs(a - b));
  }
  expect(nanMismatch).toBe(0);
  expect(worst).toBeLessThanOrEqual(tolerance);
  return { worst, nanMismatch };
}

describe('forest loss on the Bukavu series against GDAL + numpy', () => {
  it('uses the scenes the windows and cloud limit select', () => {
    expect(run.baseline.scenes.length).toBeGreaterThan(3);
    expect(run.monitoring.scenes.length).toBeGreaterThan(3);
    expect(run.grid.epsg).toBe(32735);
  });

  it('median composites and clear counts agree per pixel', () => {
    // Reflectance = DN × 1e-4: changewatch multiplies in float64 and rounds once; numpy multiplies by float32(1e-4)
    // in float32. They differ by at most one unit in the last place of a float32 reflectance (6e-8).
    for (const period of ['baseline', 'monitoring'] as const) {
      compareFloat(whole[period].bands.red!, bin(`${period}_red`, Float32Array), 1.2e-7);
      compareFloat(whole[period].bands.nir!, bin(`${period}_nir`, Float32Array), 1.2e-7);
      const peerCount = bin(`${period}_count`, Uint16Array);
      let differ = 0;
      for (let i = 0; i < peerCount.length; i++)
        if (whole.inside[i] && peerCount[i] !== whole[period].count[i]) differ++;
      expect(differ).toBe(0);
    }
  });

  it('NDVI agrees within 1e-6', () => {
    compareFloat(whole.baseline.ndvi, bin('baseline_ndvi', Float32Array), 1e-6);
    compareFloat(whole.monitoring.ndvi, bin('monitoring_ndvi', Float32Array), 1e-6);
  });

  it('the AOI mask agrees with gdal.RasterizeLayer except at most a few boundary pixels', () => {
    const peer = bin('inside', Uint8Array);
    let differ = 0;
    let inside = 0;
    for (let i = 0; i < peer.length; i++) {
      if (peer[i] !== whole.inside[i]) differ++;
      inside += whole.inside[i]!;
    }
    expect(differ / inside).toBeLessThan(1e-4);
  });

  it('hectares per class agree within 0.1 %, and so does the clear fraction', () => {
    const peer = JSON.parse(readFileSync(join(peerDir, 'summary.json'), 'utf8')) as {
      hectares: Record<string, number>;
      pixels: Record<string, number>;
      clearFraction: { baseline: number; monitoring: number };
    };
    for (const code of [0, 1, 2, 3]) {
      const ours = run.products['forest-loss']!.stats.aoi.classes[code]?.hectares ?? 0;
      const theirs = peer.hectares[String(code)] ?? 0;
      if (theirs > 1)
        expect(Math.abs(ours - theirs) / theirs, `class ${code}: ${ours} vs ${theirs} ha`).toBeLessThan(0.001);
      else expect(Math.abs(ours - theirs)).toBeLessThan(0.05);
    }
    expect(run.clearFraction.baseline).toBeCloseTo(peer.clearFraction.baseline, 3);
    expect(run.clearFraction.monitoring).toBeCloseTo(peer.clearFraction.monitoring, 3);
    console.log(
      JSON.stringify({
        hectares: Object.fromEntries(
          Object.entries(run.products['forest-loss']!.stats.aoi.classes).map(([c, t]) => [
            c,
            Number(t.hectares.toFixed(2)),
          ]),
        ),
        peer: peer.hectares,
        clearFraction: run.clearFraction,
        patches: run.products['forest-loss']!.patches,
      }),
    );
  });
});

describe('the same run in the worker pool', () => {
  it('gives identical composites and classes with 2 threads and 256-pixel blocks (buffers transferred)', async () => {
    const pool = new ComputePool({ entry: join(ROOT, 'dist', 'workers', 'pool.entry.js'), maxThreads: 2 });
    try {
      const aoi: Aoi = parseAoi(readFileSync(AOI_FILE, 'utf8'), AOI_FILE, { maxAreaKm2: 10_000 }).aoi!;
      const pooledWhole = new WholeGridSink();
      const pooled = await runAnalysis({
        aoi,
        baseline: observations.baseline,
        monitoring: observations.monitoring,
        opener,
        pool,
        blockSize: 256,
        sinks: [pooledWhole],
      });
      expect(pooled.blocks).toBeGreaterThan(run.blocks);
      expect(Buffer.from(pooledWhole.classes.buffer).equals(Buffer.from(whole.classes.buffer))).toBe(true);
      expect(Buffer.from(pooledWhole.confidence.buffer).equals(Buffer.from(whole.confidence.buffer))).toBe(true);
      expect(pooled.products['forest-loss']!.patches).toEqual(run.products['forest-loss']!.patches);
      for (const [code, tally] of Object.entries(run.products['forest-loss']!.stats.aoi.classes)) {
        // Pixels exactly; hectares to 1e-9 (sums of the same pixel areas, added block by block in another order).
        expect(pooled.products['forest-loss']!.stats.aoi.classes[Number(code)]!.pixels).toBe(tally.pixels);
        expect(pooled.products['forest-loss']!.stats.aoi.classes[Number(code)]!.hectares).toBeCloseTo(
          tally.hectares,
          9,
        );
      }
      for (let i = 0; i < whole.inside.length; i++) {
        if (!whole.inside[i]) continue;
        const [a, b] = [pooledWhole.monitoring.ndvi[i]!, whole.monitoring.ndvi[i]!];
        if (!(a === b || (Number.isNaN(a) && Number.isNaN(b)))) throw new Error(`pixel ${i}: ${a} vs ${b}`);
      }
    } finally {
      await pool.destroy();
    }
  }, 120_000);

  it('the streamed minimum mapping unit (patches joined across block seams) equals labelling the whole AOI at once', () => {
    const { grid } = run;
    const inMemory = forestLoss(
      {
        width: grid.width,
        height: grid.height,
        baselineNdvi: whole.baseline.ndvi,
        monitoringNdvi: whole.monitoring.ndvi,
        showing: whole.showing,
        inside: whole.inside,
        pixelAreaHa: run.pixelAreaHa,
      },
      run.products['forest-loss']!.params as ForestLossParameters,
    );
    expect(inMemory.patches).toEqual(run.products['forest-loss']!.patches);
    expect(run.products['forest-loss']!.patches.belowMmu).toBeGreaterThan(100);
    expect(Buffer.from(inMemory.classes.buffer).equals(Buffer.from(whole.classes.buffer))).toBe(true);
    expect(Buffer.from(inMemory.confidence.buffer).equals(Buffer.from(whole.confidence.buffer))).toBe(true);
  });

  it('stops when cancelled, between blocks, and leaves the pool usable', async () => {
    const pool = new ComputePool({ entry: join(ROOT, 'dist', 'workers', 'pool.entry.js'), maxThreads: 2 });
    try {
      const aoi: Aoi = parseAoi(readFileSync(AOI_FILE, 'utf8'), AOI_FILE, { maxAreaKm2: 10_000 }).aoi!;
      const controller = new AbortController();
      const blocks: number[] = [];
      const cancelled = await runAnalysis({
        aoi,
        ...observations,
        opener,
        pool,
        blockSize: 128,
        signal: controller.signal,
        onBlock: (event) => {
          blocks.push(event.block);
          controller.abort(new Error('SIGTERM'));
        },
      }).catch((e: unknown) => e);
      expect((cancelled as Error).message).toBe('SIGTERM');
      expect(blocks.length).toBeLessThan(5);
      const again = await runAnalysis({ aoi, ...observations, opener, pool, blockSize: 512 });
      expect(again.products['forest-loss']!.stats.aoi.classes[3]?.pixels).toBe(
        run.products['forest-loss']!.stats.aoi.classes[3]?.pixels,
      );
    } finally {
      await pool.destroy();
    }
  }, 120_000);

  it('turns a failing task into E_COMPUTE naming the task', async () => {
    const pool = new ComputePool({ entry: join(ROOT, 'dist', 'workers', 'pool.entry.js'), maxThreads: 1 });
    try {
      const error = (await pool
        .run({
          type: 'change-block',
          width: 2,
          height: 2,
          halo: [0, 0, 0, 0],
          baseline: [
            { day: 1, bands: { red: new Float32Array(3), nir: new Float32Array(4) }, states: new Uint8Array(4) },
          ],
          monitoring: [],
          inside: new Uint8Array(4).fill(1),
          openPx: 0,
          dilatePx: 0,
          products: [{ type: 'forest-loss', params: { forestNdvi: 0.6, ndviDrop: 0.2, minimumMappingUnitHa: 0 } }],
          bands: ['red', 'nir'],
          indices: [],
        })
        .catch((e: unknown) => e)) as ChangewatchError;
      expect(error).toBeInstanceOf(ChangewatchError);
      expect(error.code).toBe('E_COMPUTE');
      expect(error.message).toMatch(/^worker task change-block: markMissing: lengths differ/);
    } finally {
      await pool.destroy();
    }
  });
});
