import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { resolveAoi } from '../../pipeline/io/aoi.repository.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { ChangewatchError } from '../../pipeline/errors.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { S3ObjectStore } from '../../pipeline/io/object.store.s3.js';
import { StaticCatalog } from '../../pipeline/io/stac.client.js';
import { createS3Client } from '../../pipeline/io/s3.client.js';
import { periodCaveats } from '../../pipeline/outputs/caveats.js';
import type { OutputFile } from '../../pipeline/outputs/output.file.js';
import { periodOutputs } from '../../pipeline/outputs/period.outputs.js';
import { RasterOutputSink } from '../../pipeline/outputs/raster.sink.js';
import { WholeGridSink } from '../helpers/whole.sink.js';
import { CATALOG_KEY, itemKey, sha256Hex } from '../../pipeline/outputs/layout.js';
import type { ResultItem } from '../../pipeline/outputs/stac.js';
import type { Summary } from '../../reports/summary.js';
import { planPeriod, type PeriodScenes } from '../../pipeline/run/period.plan.js';
import { periodItem, siteCounter } from '../../pipeline/run/period.run.js';
import type { ObjectStore } from '../../pipeline/ports.js';
import { publishCollection, publishItem, pruneStale, verifyItem } from '../../pipeline/publish/publish.js';
import { runAnalysis, type AnalysisRun } from '../../pipeline/analysis/analysis.js';
import { createRasterOpener } from '../../pipeline/scenes/raster.opener.js';
import { findWindowScenes } from '../../pipeline/scenes/scenes.find.js';
import { buildBukavuCatalog } from '../helpers/bukavu.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault.proxy.js';
import { DEBIAN_PYTHON, ROOT, SHARED_DATA } from '../helpers/paths.js';
import { s3ClientWithBucket } from '../helpers/s3.js';

/**
 * What a forest-loss run publishes, on the real Bukavu series, checked by peers: GDAL's COG validator and numpy
 * on every raster, OGR and pyproj on the polygons, stac-node-validator (offline schemas) on the STAC documents,
 * the published JSON Schema on the summary; then publication to a folder and to a real S3 server (Ceph radosgw
 * on loopback), including interrupted uploads, injected 503s and the server going away mid-upload.
 */
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const BUCKET = `cw-outputs-${Date.now()}`;
let aoi: Aoi;
let run: AnalysisRun;
const whole = new WholeGridSink();
let periods: PeriodScenes;
let files: OutputFile[];
let summary: Summary;
let item: ResultItem;
let itemId: string;
let digest: string;
let client: S3Client;
let published: string;

const text = (bytes: Uint8Array | null) => new TextDecoder().decode(bytes!);

/** The publication steps up to the prune, as a run does them before its report and state. */
async function publishAll(store: ObjectStore, input: Parameters<typeof publishItem>[1]): Promise<void> {
  await publishItem(store, input);
  await publishCollection(store, input.aoi);
  await pruneStale(store, input.aoi, { id: input.item.id, digest: input.digest });
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out;
}

/** A store that fails every put after the first `allowed`, as a run killed or cut off mid-publication. */
function failingAfter(store: ObjectStore, allowed: number): ObjectStore {
  let puts = 0;
  return {
    url: store.url,
    get: (key) => store.get(key),
    list: (prefix) => store.list(prefix),
    delete: (key) => store.delete(key),
    putIfAbsent: (key, body, options) => store.putIfAbsent(key, body, options),
    removeAbandoned: (prefix) => store.removeAbandoned(prefix),
    put: async (key, body, options) => {
      if (++puts > allowed) throw new ChangewatchError('E_NETWORK', `${key}: injected failure`);
      return store.put(key, body, options);
    },
  };
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-outputs-'));
  const catalog = await buildBukavuCatalog(dir);
  const { config } = loadConfig({}, {}, ROOT);
  aoi = await resolveAoi('bukavu-demo', join(ROOT, 'aoi'), { maxAreaKm2: config.aoi.maxAreaKm2 });
  const found = await findWindowScenes(new StaticCatalog(catalog.catalog), aoi, config);
  periods = {
    baseline: { window: aoi.windows.baseline!, search: found.baseline },
    monitoring: { window: aoi.windows.monitoring!, search: found.monitoring },
  };
  const opener = createRasterOpener({});
  const plan = planPeriod(aoi, periods, config);
  const windows = { baseline: plan.periods.baseline.window.text, monitoring: plan.periods.monitoring.window.text };
  const rasters = new RasterOutputSink(dir, windows, plan.resolution);
  run = await runAnalysis({
    aoi,
    baseline: found.baseline.observations,
    monitoring: found.monitoring.observations,
    opener,
    products: plan.products,
    sinks: [rasters, whole],
  });
  ({ itemId, digest } = plan);
  published = mkdtempSync(join(tmpdir(), 'cw-published-'));
  const countSites = siteCounter({ opener, store: new FileObjectStore(published), siteRules: config.sites }, aoi);
  ({ files, summary } = await periodOutputs({ aoi, run, rasters, periods, itemId, digest, countSites }));
  await opener.close();
  item = periodItem({ aoi, periods, grid: run.grid, itemId, digest, files });
  await publishAll(new FileObjectStore(published), { aoi, item, digest, files });
  client = await s3ClientWithBucket(BUCKET);
}, 120_000);

const fileOf = (asset: string) => join(published, aoi.id, itemId, digest, files.find((f) => f.asset === asset)!.file);

describe('rasters', () => {
  it('are valid COGs for GDAL, and numpy counts the summary figures in them', () => {
    const script = `
import json, sys
import numpy as np
from osgeo import gdal
from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate
out = {}
for path in sys.argv[1:]:
    warnings, errors, _ = validate(path, full_check=True)
    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    a = band.ReadAsArray()
    nodata = band.GetNoDataValue()
    entry = {"warnings": warnings, "errors": errors, "nodata": "nan" if nodata is not None and nodata != nodata else nodata, "epsg": ds.GetSpatialRef().GetAuthorityCode(None),
             "geotransform": list(ds.GetGeoTransform()), "overviews": band.GetOverviewCount(), "block": band.GetBlockSize()}
    if a.dtype.kind == "f":
        entry["mean"] = float(np.nanmean(a)); entry["finite"] = int(np.isfinite(a).sum())
    else:
        values, counts = np.unique(a, return_counts=True)
        entry["counts"] = {str(int(v)): int(c) for v, c in zip(values, counts)}
    out[path.rsplit("/", 1)[-1]] = entry
print(json.dumps(out))
`;
    const tifs = files.filter((f) => f.file.endsWith('.tif')).map((f) => fileOf(f.asset));
    const report = JSON.parse(execFileSync(DEBIAN_PYTHON, ['-c', script, ...tifs], { encoding: 'utf8' })) as Record<
      string,
      {
        warnings: string[];
        errors: string[];
        nodata: number | string | null;
        epsg: string;
        geotransform: number[];
        overviews: number;
        block: number[];
        mean?: number;
        finite?: number;
        counts?: Record<string, number>;
      }
    >;
    expect(Object.keys(report)).toHaveLength(7);
    for (const [name, entry] of Object.entries(report)) {
      expect({ name, warnings: entry.warnings, errors: entry.errors }).toEqual({ name, warnings: [], errors: [] });
      expect(entry.epsg).toBe(String(run.grid.epsg));
      expect(entry.geotransform).toEqual([...run.grid.transform]);
      expect(entry.block).toEqual([512, 512]);
      expect(entry.overviews).toBeGreaterThan(0);
    }
    const classes = summary.products['forest-loss']!.classes;
    const counts = report['forest-loss.tif']!.counts!;
    expect(counts).toEqual({
      '0': classes['not-seen']!.pixels,
      '1': classes['non-forest']!.pixels,
      '2': classes['stable-forest']!.pixels,
      '3': classes['forest-loss']!.pixels,
      '255':
        run.grid.width * run.grid.height -
        summary.products['forest-loss']!.classes['not-seen']!.pixels -
        classes['non-forest']!.pixels -
        classes['stable-forest']!.pixels -
        classes['forest-loss']!.pixels,
    });
    expect(report['forest-loss.tif']!.nodata).toBe(255);
    const confidence = report['forest-loss-confidence.tif']!.counts!;
    expect(confidence['1']).toBe(summary.products['forest-loss']!.confidence.low!.pixels);
    expect(confidence['2']).toBe(summary.products['forest-loss']!.confidence.high!.pixels);
    // NDVI: finite pixels are the AOI pixels seen clear; the mean equals ours.
    let seen = 0;
    let sum = 0;
    for (let i = 0; i < whole.inside.length; i++) {
      const value = whole.monitoring.ndvi[i]!;
      if (whole.inside[i] && !Number.isNaN(value)) {
        seen++;
        sum += value;
      }
    }
    expect(report['ndvi-monitoring.tif']!.finite).toBe(seen);
    expect(report['ndvi-monitoring.tif']!.mean).toBeCloseTo(sum / seen, 5);
    expect(report['clear-count-baseline.tif']!.nodata).toBe(65535);
    expect(report['ndvi-baseline.tif']!.nodata).toBe('nan');
    // last-clear: nodata where the monitoring clear count is 0 (never seen) or outside; the summary's AOI pixels.
    const lastClear = report['last-clear.tif']!;
    const monitoringCounts = report['clear-count-monitoring.tif']!.counts!;
    expect(lastClear.nodata).toBe(65535);
    expect(lastClear.counts!['65535']).toBe(monitoringCounts['65535']! + (monitoringCounts['0'] ?? 0));
    expect(summary.lastClear.aoi.pixels).toBe(run.grid.width * run.grid.height - monitoringCounts['65535']!);
  });
});

describe('polygons', () => {
  it('are valid for OGR and their geodesic area equals the loss hectares of the summary', () => {
    const script = `
import json, sys
from osgeo import ogr
from pyproj import Geod
geod = Geod(ellps="WGS84")
ds = ogr.Open(sys.argv[1])
layer = ds.GetLayer(0)
invalid, total, count, ccw = 0, 0.0, 0, True
for f in layer:
    g = f.GetGeometryRef()
    count += 1
    if not g.IsValid(): invalid += 1
    polys = [g] if g.GetGeometryType() == ogr.wkbPolygon else [g.GetGeometryRef(i) for i in range(g.GetGeometryCount())]
    for p in polys:
        for r in range(p.GetGeometryCount()):
            ring = p.GetGeometryRef(r)
            lons = [ring.GetX(i) for i in range(ring.GetPointCount())]
            lats = [ring.GetY(i) for i in range(ring.GetPointCount())]
            a, _ = geod.polygon_area_perimeter(lons, lats)
            if (r == 0) != (a > 0): ccw = False
            total += abs(a) if r == 0 else -abs(a)
print(json.dumps({"invalid": invalid, "hectares": total / 1e4, "count": count, "rfc7946": ccw}))
`;
    const peer = JSON.parse(execFileSync(DEBIAN_PYTHON, ['-c', script, fileOf('polygons')], { encoding: 'utf8' })) as {
      invalid: number;
      hectares: number;
      count: number;
      rfc7946: boolean;
    };
    const loss = summary.products['forest-loss']!;
    expect(peer.count).toBe(loss.patches.kept);
    expect(peer.invalid).toBe(0);
    expect(peer.rfc7946).toBe(true);
    expect(
      Math.abs(peer.hectares - loss.classes['forest-loss']!.hectares) / loss.classes['forest-loss']!.hectares,
    ).toBeLessThan(1e-4);
    const geojson = JSON.parse(readFileSync(fileOf('polygons'), 'utf8')) as {
      features: Array<{ properties: { hectares: number; first_seen: string | null; confidence: string } }>;
    };
    const monitoring = periods.monitoring.window;
    for (const feature of geojson.features) {
      expect(feature.properties.hectares).toBeGreaterThanOrEqual(0.2 * 0.999);
      expect(feature.properties.first_seen! >= monitoring.start.slice(0, 10)).toBe(true);
      expect(feature.properties.first_seen! < monitoring.end.slice(0, 10)).toBe(true);
    }
  });
});

describe('previews', () => {
  it('are PNGs within 2048 and 256 pixels, the change preview carrying a legend', async () => {
    for (const asset of ['preview', 'preview-baseline', 'preview-monitoring', 'preview-change', 'thumbnail']) {
      const meta = await sharp(fileOf(asset)).metadata();
      expect(meta.format).toBe('png');
      expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(asset === 'thumbnail' ? 256 : 2048);
    }
    const before = await sharp(fileOf('preview-baseline')).metadata();
    const preview = await sharp(fileOf('preview')).metadata();
    expect(preview.height).toBeGreaterThan(before.height);
  });
});

describe('summary', () => {
  it('validates against the published JSON Schema, and the schema rejects a broken summary', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'reports', 'summary.schema.json'), 'utf8')) as object;
    const ajv = addFormats(new Ajv({ allErrors: true, strict: true }));
    const validate = ajv.compile(schema);
    const written = JSON.parse(readFileSync(fileOf('summary'), 'utf8')) as Summary;
    expect(validate(written), ajv.errorsText(validate.errors)).toBe(true);
    const broken = structuredClone(written) as unknown as {
      products: Record<string, { classes: Record<string, unknown> }>;
    };
    broken.products['forest-loss']!.classes['forest-loss'] = { pixels: -1, hectares: 'many' };
    expect(validate(broken)).toBe(false);
  });

  it('records the scenes, parameters, version and the checksum of every other asset', () => {
    expect(summary.periods.baseline.scenes.map((s) => s.id)).toEqual(periods.baseline.search.scenes.map((s) => s.id));
    expect(summary.software.version).toMatch(/^\d+\.\d+\.\d+/);
    // Each scene points at its own STAC item (absolute), so a figure can be traced to the scene's metadata.
    for (const scene of summary.periods.monitoring.scenes)
      expect(scene.href).toMatch(/^file:\/\/\/.+\/items\/.+\.json$/);
    expect(summary.parameters).toMatchObject({
      forestLoss: run.products['forest-loss']!.params,
      cloud: run.parameters.cloud,
    });
    expect(Object.keys(summary.assets).sort()).toEqual(
      files
        .map((f) => f.asset)
        .filter((a) => a !== 'summary')
        .sort(),
    );
    const classes = summary.products['forest-loss']!.classes;
    const total = Object.values(classes).reduce((sum, tally) => sum + tally.hectares, 0);
    expect(total).toBeCloseTo(summary.aoi.gridHectares, 2);
    // The rasterised AOI and the geodesic polygon area agree to a fraction of a percent at 10 m.
    expect(Math.abs(summary.aoi.gridHectares - summary.aoi.hectares) / summary.aoi.hectares).toBeLessThan(0.002);
  });
});

describe('analyses the AOI asks for', () => {
  it('names each one not computed, with why, in the summary and its caveats (the Bukavu scenes carry no SWIR)', async () => {
    expect(summary.analyses).toEqual({ requested: ['forest-loss'], notComputed: {} });
    const asking = { ...aoi, analyses: ['forest-loss', 'mining-expansion', 'settlement-change'] as Aoi['analyses'] };
    const opener = createRasterOpener({});
    const asked = await runAnalysis({
      aoi: asking,
      baseline: periods.baseline.search.observations,
      monitoring: periods.monitoring.search.observations,
      opener,
    });
    await opener.close();
    expect(Object.keys(asked.products)).toEqual(['forest-loss']);
    expect(Object.keys(asked.notComputed).sort()).toEqual(['mining-expansion', 'settlement-change']);
    expect(asked.notComputed['settlement-change']).toMatch(
      /^9 of 9 scenes have no swir16 band \(e\.g\. .+\): .+not "no change"$/,
    );
    expect(asked.notComputed['mining-expansion']).toMatch(/no swir16 or green band/);
    expect(asked.products['forest-loss']!.stats.aoi.classes).toEqual(run.products['forest-loss']!.stats.aoi.classes);
    const caveats = periodCaveats(asked, periods);
    expect(caveats.filter((caveat) => caveat.startsWith('The AOI asks for'))).toHaveLength(2);
  }, 120_000);
});

describe('STAC documents', () => {
  it('pass stac-node-validator offline with every extension schema, and a broken item fails it', () => {
    const schemas = join(SHARED_DATA, 'stac-schemas');
    const map: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        if (name.startsWith('_')) continue;
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.json')) map.push(`https://${path.slice(schemas.length + 1)}=${path}`);
      }
    };
    walk(schemas);
    const dir = mkdtempSync(join(tmpdir(), 'cw-snv-'));
    const config = join(dir, 'snv.json');
    writeFileSync(config, JSON.stringify({ schemaMap: map }));
    const documents = [
      join(published, CATALOG_KEY),
      join(published, aoi.id, 'collection.json'),
      join(published, itemKey(aoi.id, itemId)),
    ];
    const validator = join(ROOT, 'node_modules', '.bin', 'stac-node-validator');
    const verdict = execFileSync(validator, [...documents, '--config', config], { encoding: 'utf8' });
    expect(verdict).toMatch(/Valid: 3\s+Invalid: 0/);
    const broken = structuredClone(item) as ResultItem;
    (broken.assets['forest-loss']!['classification:classes'] as Array<{ name: string }>)[0]!.name = 'not seen';
    writeFileSync(join(dir, 'broken.json'), JSON.stringify(broken));
    const failure = (() => {
      try {
        execFileSync(validator, [join(dir, 'broken.json'), '--config', config], { encoding: 'utf8' });
        return 'passed';
      } catch (error) {
        return String((error as { stdout?: string }).stdout);
      }
    })();
    expect(failure).toMatch(/Invalid: 1/);
  });

  it('describe each asset with its size and checksum, and the classes with their codes', async () => {
    expect(await verifyItem(new FileObjectStore(published), itemKey(aoi.id, itemId))).toEqual([]);
    const classes = item.assets['forest-loss']!['classification:classes'] as Array<{ value: number; name: string }>;
    expect(classes.map((c) => [c.value, c.name])).toEqual([
      [0, 'not-seen'],
      [1, 'non-forest'],
      [2, 'stable-forest'],
      [3, 'forest-loss'],
      [255, 'outside-aoi'],
    ]);
    expect(item.properties['proj:code']).toBe(`EPSG:${run.grid.epsg}`);
  });
});

const stores: Array<[string, () => ObjectStore]> = [
  ['file', () => new FileObjectStore(mkdtempSync(join(tmpdir(), 'cw-pub-')))],
  [
    's3 (Ceph radosgw on loopback)',
    () => new S3ObjectStore(client, `s3://${BUCKET}/run-${Math.random().toString(36).slice(2)}`),
  ],
];

describe.each(stores)('publication: %s', (_name, make) => {
  it('re-publishing the same inputs rewrites identical objects under the same keys', async () => {
    const store = make();
    await publishItem(store, { aoi, item, digest, files });
    const first = await collect(store.list(''));
    const bytes = await Promise.all(first.map(async (key) => text(await store.get(key)).length));
    await publishItem(store, { aoi, item, digest, files });
    const second = await collect(store.list(''));
    expect(second).toEqual(first);
    expect(await Promise.all(second.map(async (key) => text(await store.get(key)).length))).toEqual(bytes);
    expect(await verifyItem(store, itemKey(aoi.id, itemId))).toEqual([]);
  });

  it('an interrupted first publication leaves no item; the re-run completes it', async () => {
    const store = make();
    await expect(publishItem(failingAfter(store, 4), { aoi, item, digest, files })).rejects.toThrow(/injected/);
    expect(await store.get(itemKey(aoi.id, itemId))).toBeNull();
    expect(await store.get(CATALOG_KEY)).toBeNull();
    await publishItem(store, { aoi, item, digest, files });
    expect(await verifyItem(store, itemKey(aoi.id, itemId))).toEqual([]);
  });

  it('new inputs interrupted mid-upload leave the previous item whole; the re-run replaces it and prunes', async () => {
    const store = make();
    await publishItem(store, { aoi, item, digest, files });
    const nextDigest = 'f'.repeat(16);
    const changed = new TextEncoder().encode('{"changed":true}\n');
    const changedSummary = { body: changed, size: changed.length, sha256: sha256Hex(changed) };
    const nextFiles = files.map((f) => (f.asset === 'summary' ? { ...f, ...changedSummary } : f));
    const nextItem = periodItem({ aoi, periods, grid: run.grid, itemId, digest: nextDigest, files: nextFiles });
    await expect(
      publishItem(failingAfter(store, files.length - 1), { aoi, item: nextItem, digest: nextDigest, files: nextFiles }),
    ).rejects.toThrow(/injected/);
    const current = JSON.parse(text(await store.get(itemKey(aoi.id, itemId)))) as ResultItem;
    expect(current.properties['changewatch:inputs']).toBe(digest);
    expect(await verifyItem(store, itemKey(aoi.id, itemId))).toEqual([]);
    // What the failed publication had written under the new inputs is gone: nothing half-published stays.
    expect((await collect(store.list(`${aoi.id}/${itemId}/`))).filter((key) => key.includes(nextDigest))).toEqual([]);
    await publishAll(store, { aoi, item: nextItem, digest: nextDigest, files: nextFiles });
    expect(await verifyItem(store, itemKey(aoi.id, itemId))).toEqual([]);
    const keys = await collect(store.list(`${aoi.id}/${itemId}/`));
    expect(keys.filter((key) => key.includes(`/${digest}/`))).toEqual([]);
    expect(keys.filter((key) => key.includes(`/${nextDigest}/`))).toHaveLength(files.length);
  });
});

describe('publication to S3 through faults', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(inject('s3').endpoint);
  });
  afterAll(async () => {
    await proxy.close();
  });
  const storeVia = () =>
    new S3ObjectStore(
      createS3Client({ endpoint: proxy.endpoint, region: inject('s3').region, forcePathStyle: true }),
      `s3://${BUCKET}/faults-${Math.random().toString(36).slice(2)}`,
    );

  it('retries 503 SlowDown answers and publishes a sound item', async () => {
    proxy.fail((n) => n % 3 === 0);
    const before = proxy.requests.failed;
    const store = storeVia();
    await publishItem(store, { aoi, item, digest, files });
    proxy.fail(null);
    expect(proxy.requests.failed - before).toBeGreaterThan(3);
    expect(await verifyItem(store, itemKey(aoi.id, itemId))).toEqual([]);
  });

  it('fails with a clear message when the server goes away mid-upload; after it is back a re-run completes', async () => {
    const store = storeVia();
    // Cut the server at the upload of the fourth asset.
    let puts = 0;
    proxy.stopOn((_n, method) => method === 'PUT' && ++puts === 4);
    const error = await publishItem(store, { aoi, item, digest, files }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChangewatchError);
    expect((error as ChangewatchError).code).toBe('E_NETWORK');
    expect((error as Error).message).toMatch(
      /cannot write .*the store is unreachable or failing; the next run retries/,
    );
    await proxy.restart();
    expect(await store.get(itemKey(aoi.id, itemId))).toBeNull();
    await publishItem(store, { aoi, item, digest, files });
    expect(await verifyItem(store, itemKey(aoi.id, itemId))).toEqual([]);
  });
});
