import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileByteSource } from '../../pipeline/io/byte.source.file.js';
import { RasterReader } from '../../pipeline/io/cog.reader.js';
import { CogWriter, writeCog, type CogInput } from '../../pipeline/io/cog.writer.js';
import { ComputePool } from '../../pipeline/analysis/pool.js';
import { normalizedDifference } from '../../workers/indices.js';
import { DEBIAN_PYTHON, ROOT, SHARED_DATA } from '../helpers/paths.js';

/** GDAL's own COG validator and gdalinfo statistics, from Debian's python3-gdal. */
function gdalCheck(path: string): {
  errors: string[];
  warnings: string[];
  stats: Array<{ min: number; max: number; mean: number }>;
  info: Record<string, unknown>;
} {
  const script = `
import json, sys
from osgeo import gdal
from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate
gdal.UseExceptions()
warnings, errors, details = validate(sys.argv[1], full_check=True)
info = gdal.Info(sys.argv[1], format="json")
ds = gdal.Open(sys.argv[1])
stats = [ds.GetRasterBand(i + 1).ComputeStatistics(False) for i in range(ds.RasterCount)]
print(json.dumps({"errors": errors, "warnings": warnings, "info": info,
  "stats": [{"min": s[0], "max": s[1], "mean": s[2]} for s in stats]}))
`;
  return JSON.parse(
    execFileSync(DEBIAN_PYTHON, ['-c', script, path], { encoding: 'utf8', maxBuffer: 1 << 26 }),
  ) as ReturnType<typeof gdalCheck>;
}

function ourStats(band: ArrayLike<number>, nodata?: number): { min: number; max: number; mean: number } {
  let [min, max, sum, count] = [Infinity, -Infinity, 0, 0];
  for (let i = 0; i < band.length; i++) {
    const value = band[i]!;
    if (Number.isNaN(value) || value === nodata) continue;
    min = Math.min(min, value);
    max = Math.max(max, value);
    sum += value;
    count++;
  }
  return { min, max, mean: sum / count };
}

let dir: string;
let ndvi: Float32Array;
let width: number;
let height: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cw-cog-'));
  const reader = await RasterReader.open(
    new FileByteSource(
      join(SHARED_DATA, 's2-bukavu-rusizi', 'T35MPT_bukavu_drc', '20210825T080611_20210825T082711_T35MPT.tif'),
    ),
  );
  ({ width, height } = reader.info);
  const read = await reader.readWindow({ x0: 0, y0: 0, x1: width, y1: height });
  ndvi = normalizedDifference(read.bands[1]!, read.bands[0]!);
});

async function roundTrip(name: string, input: CogInput) {
  const path = join(dir, name);
  await writeCog(path, input);
  const check = gdalCheck(path);
  const reader = await RasterReader.open(new FileByteSource(path));
  const back = await reader.readWindow({ x0: 0, y0: 0, x1: input.width, y1: input.height });
  return { path, check, reader, back };
}

describe('CogWriter: COGs GDAL validates, whose values GDAL and geotiff.js read back', () => {
  it('Float32 NDVI of a real Bukavu scene: NaN nodata, predictor 3, average overviews', async () => {
    const { check, reader, back } = await roundTrip('ndvi.tif', {
      width,
      height,
      bands: [ndvi],
      dataType: 'float32',
      epsg: 32735,
      transform: [701_410, 10, 0, 9_730_510, 0, -10],
      nodata: NaN,
      bandNames: ['ndvi-monitoring'],
      metadata: { UNITS: 'NDVI', SOFTWARE: 'changewatch' },
      resampling: 'average',
    });
    expect(check.errors).toEqual([]);
    expect(check.warnings).toEqual([]);
    const ours = ourStats(ndvi);
    expect(check.stats[0]!.min).toBeCloseTo(ours.min, 6);
    expect(check.stats[0]!.max).toBeCloseTo(ours.max, 6);
    expect(check.stats[0]!.mean).toBeCloseTo(ours.mean, 5);
    expect(reader.info).toMatchObject({
      epsg: 32735,
      bands: 1,
      dataType: 'float32',
      compression: 8,
      bandNames: ['ndvi-monitoring'],
    });
    expect(Number.isNaN(reader.info.nodata)).toBe(true);
    expect(reader.info.transform).toEqual([701_410, 10, 0, 9_730_510, 0, -10]);
    expect(reader.info.levels.map((level) => level.width)).toEqual([835, 418, 209]);
    expect(Buffer.from(back.bands[0]!.buffer).equals(Buffer.from(ndvi.buffer))).toBe(true);
    const info = check.info as { coordinateSystem: { wkt: string }; metadata: Record<string, Record<string, string>> };
    expect(info.coordinateSystem.wkt).toContain('UTM zone 35S');
    expect(info.metadata['']).toMatchObject({ UNITS: 'NDVI', SOFTWARE: 'changewatch' });
  });

  it('UInt8 classes with nodata 255 and nearest overviews', async () => {
    const classes = new Uint8Array(ndvi.length);
    for (let i = 0; i < ndvi.length; i++) classes[i] = Number.isNaN(ndvi[i]!) ? 255 : ndvi[i]! >= 0.6 ? 2 : 1;
    const { check, back } = await roundTrip('classes.tif', {
      width,
      height,
      bands: [classes],
      dataType: 'uint8',
      epsg: 32735,
      transform: [701_410, 10, 0, 9_730_510, 0, -10],
      nodata: 255,
      resampling: 'nearest',
    });
    expect(check.errors).toEqual([]);
    const ours = ourStats(classes, 255);
    expect([check.stats[0]!.min, check.stats[0]!.max]).toEqual([ours.min, ours.max]);
    expect(check.stats[0]!.mean).toBeCloseTo(ours.mean, 6);
    expect(Buffer.from(back.bands[0]!.buffer).equals(Buffer.from(classes.buffer))).toBe(true);
  });

  it('two UInt16 bands, pixel-interleaved, larger than two tiles each way', async () => {
    const [w, h] = [1100, 1030];
    const a = new Uint16Array(w * h).map((_, i) => (i * 7) % 65_521);
    const b = new Uint16Array(w * h).map((_, i) => (i % w) + Math.floor(i / w));
    const { check, reader, back } = await roundTrip('two-bands.tif', {
      width: w,
      height: h,
      bands: [a, b],
      dataType: 'uint16',
      epsg: 4326,
      transform: [28.8, 0.0001, 0, -2.4, 0, -0.0001],
      bandNames: ['count-baseline', 'count-monitoring'],
      resampling: 'nearest',
    });
    expect(check.errors).toEqual([]);
    expect(reader.info.levels.map((level) => level.width)).toEqual([1100, 550, 275]);
    expect(reader.info.epsg).toBe(4326);
    expect(Buffer.from(back.bands[0]!.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    expect(Buffer.from(back.bands[1]!.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  /** The Bukavu NDVI as blocks of 300×200 (not tile-aligned) in a shuffled order, one left out. */
  function shuffledBlocks() {
    const blocks: Array<[number, number]> = [];
    for (let y0 = 0; y0 < height; y0 += 200) for (let x0 = 0; x0 < width; x0 += 300) blocks.push([x0, y0]);
    let seed = 7;
    for (let i = blocks.length - 1; i > 0; i--) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const j = seed % (i + 1);
      [blocks[i], blocks[j]] = [blocks[j]!, blocks[i]!];
    }
    const skip = blocks.pop()!;
    return { blocks, skip };
  }

  function writeBlocks(writer: CogWriter, blocks: ReadonlyArray<readonly [number, number]>): void {
    for (const [x0, y0] of blocks) {
      const w = Math.min(300, width - x0);
      const h = Math.min(200, height - y0);
      const block = new Float32Array(w * h);
      for (let y = 0; y < h; y++) block.set(ndvi.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);
      writer.writeBlock(x0, y0, w, h, [block]);
    }
  }

  const streamOptions = () => ({
    width,
    height,
    dataType: 'float32' as const,
    epsg: 32735,
    transform: [701_410, 10, 0, 9_730_510, 0, -10] as const,
    nodata: NaN,
    resampling: 'average' as const,
  });

  it('streams blocks in any order and of any size into the same file, filling what was never written', async () => {
    const options = streamOptions();
    const whole = await writeCog(join(dir, 'whole.tif'), { ...options, bands: [ndvi] });
    const { blocks, skip } = shuffledBlocks();
    const [skipX, skipY] = skip;
    const skipped = Float32Array.from(ndvi);
    const streamedPath = join(dir, 'streamed.tif');
    const writer = new CogWriter(streamedPath, options);
    writeBlocks(writer, blocks);
    for (let y = skipY; y < Math.min(height, skipY + 200); y++)
      skipped.fill(NaN, y * width + skipX, y * width + Math.min(width, skipX + 300));
    const streamed = await writer.finish();
    const reference = await writeCog(join(dir, 'skipped.tif'), { ...options, bands: [skipped] });
    const bytes = readFileSync(streamedPath);
    expect(bytes.equals(readFileSync(reference.path))).toBe(true);
    expect(streamed.size).toBe(bytes.length);
    expect(streamed.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(whole.sha256).not.toBe(streamed.sha256);
    expect(readdirSync(dir).filter((name) => name.endsWith('.part'))).toEqual([]);
    expect(gdalCheck(streamedPath).errors).toEqual([]);
    expect(() => writer.writeBlock(0, 0, 1, 1, [new Float32Array(1)])).toThrow(/finished/);
  });

  it('with its tiles compressed in a worker pool, writes the same bytes; a failed compression fails the file', async () => {
    const options = streamOptions();
    const { blocks } = shuffledBlocks();
    const here = new CogWriter(join(dir, 'here.tif'), options);
    writeBlocks(here, blocks);
    const expected = await here.finish();
    const pool = new ComputePool({ entry: join(ROOT, 'dist', 'workers', 'pool.entry.js'), maxThreads: 2 });
    try {
      const pooled = new CogWriter(join(dir, 'pooled.tif'), options, pool.tileEncoder());
      writeBlocks(pooled, blocks);
      await pooled.drain(1);
      const written = await pooled.finish();
      expect(written.sha256).toBe(expected.sha256);
      expect(readFileSync(written.path).equals(readFileSync(expected.path))).toBe(true);
      // Tiles of nodata, which compress to a few bytes.
      const empty = { ...options, bands: [new Float32Array(width * height).fill(NaN)] };
      const emptyHere = await writeCog(join(dir, 'empty-here.tif'), empty);
      const emptyPooled = new CogWriter(join(dir, 'empty-pooled.tif'), options, pool.tileEncoder());
      expect((await emptyPooled.finish()).sha256).toBe(emptyHere.sha256);
      // Aborted with tiles out, and while finishing: what comes back later is dropped, nothing is left behind.
      const aborted = new CogWriter(join(dir, 'aborted.tif'), options, pool.tileEncoder());
      writeBlocks(aborted, blocks);
      aborted.abort();
      await aborted.drain();
      const abortedFinishing = new CogWriter(join(dir, 'aborted-finishing.tif'), options, pool.tileEncoder());
      writeBlocks(abortedFinishing, blocks);
      const finishing = abortedFinishing.finish();
      await expect(abortedFinishing.finish()).rejects.toThrow(/already finished/);
      abortedFinishing.abort();
      await expect(finishing).rejects.toThrow(/aborted while finishing/);
      expect(readdirSync(dir).filter((name) => name.startsWith('aborted'))).toEqual([]);
      // A compression that fails (here: a tile the worker cannot encode) surfaces at the next drain or finish.
      const failing = new CogWriter(join(dir, 'failing.tif'), options, (tile, size, samples) =>
        pool.tileEncoder()(tile, size, samples, 'no-such-type' as never),
      );
      writeBlocks(failing, blocks);
      const error = await failing.finish().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'E_COMPUTE' });
      failing.abort();
      expect(readdirSync(dir).filter((name) => name.startsWith('failing'))).toEqual([]);
    } finally {
      await pool.destroy();
    }
  });

  it('fills a tile whose array held a finished tile before with nodata, or zeros where there is none', async () => {
    // Tiles are written left to right; the arrays of the first ones are reused for the tiles never written.
    for (const [dataType, nodata, Typed] of [
      ['uint8', undefined, Uint8Array],
      ['float32', NaN, Float32Array],
    ] as const) {
      const path = join(dir, `reused-${dataType}.tif`);
      const size = { width: 1100, height: 600 };
      const writer = new CogWriter(path, {
        ...size,
        dataType,
        ...(nodata === undefined ? {} : { nodata }),
        epsg: 32735,
        transform: [700_000, 10, 0, 9_730_000, 0, -10],
        resampling: 'average',
      });
      writer.writeBlock(0, 0, 1024, 512, [new Typed(1024 * 512).fill(7)]);
      await writer.finish();
      const reader = await RasterReader.open(new FileByteSource(path));
      const band = (await reader.readWindow({ x0: 0, y0: 0, x1: size.width, y1: size.height })).bands[0]!;
      await reader.close();
      const fill = nodata ?? 0;
      const wrong = [...band.keys()].filter((i) => {
        const [x, y] = [i % size.width, Math.floor(i / size.width)];
        const expected = x < 1024 && y < 512 ? 7 : fill;
        return !Object.is(band[i], expected);
      });
      expect(wrong.length, `${dataType}: pixels neither written nor ${fill}`).toBe(0);
      expect(gdalCheck(path).errors).toEqual([]);
    }
  });

  it('refuses a pixel written twice', () => {
    const writer = new CogWriter(join(dir, 'twice.tif'), {
      width: 600,
      height: 600,
      dataType: 'uint8',
      epsg: 32735,
      transform: [0, 10, 0, 0, 0, -10],
      resampling: 'nearest',
    });
    writer.writeBlock(0, 0, 100, 100, [new Uint8Array(10_000)]);
    expect(() => writer.writeBlock(50, 50, 100, 100, [new Uint8Array(10_000)])).toThrow(/twice/);
    writer.abort();
    expect(readdirSync(dir).filter((name) => name.startsWith('twice'))).toEqual([]);
  });
});
