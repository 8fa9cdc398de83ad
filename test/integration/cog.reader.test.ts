import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { fromFile } from 'geotiff';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileByteSource } from '../../pipeline/io/byte.source.file.js';
import { HttpByteSource } from '../../pipeline/io/byte.source.http.js';
import { DECODED_TILES, DecodedTileCache, RasterReader } from '../../pipeline/io/cog.reader.js';
import { ChangewatchError } from '../../pipeline/errors.js';
import { gdalWindow } from '../helpers/gdal.js';
import { SHARED_DATA } from '../helpers/paths.js';
import { startRangeServer, type RangeServer } from '../helpers/range.server.js';
import { RecordingSource } from '../helpers/recording.source.js';

const MOROCCO_B04 = 's2l2a-morocco/B04.tif';
const BUKAVU = 's2-bukavu-rusizi/T35MPT_bukavu_drc/20210825T080611_20210825T082711_T35MPT.tif';
const BUKAVU_COG = 's2-bukavu-rusizi/derived_cog_pair/20210825_T35MPT_red.cog.tif';

const bytesOf = (array: ArrayBufferView) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);

/** Byte equality of large arrays without vitest's slow element-by-element diff. */
function expectSameBytes(ours: ArrayBufferView, peer: Uint8Array | undefined): void {
  expect(peer).toBeDefined();
  const a = bytesOf(ours);
  const b = Buffer.from(peer!.buffer, peer!.byteOffset, peer!.byteLength);
  expect(a.length).toBe(b.length);
  let differing = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
  expect(differing, `${differing} of ${a.length} bytes differ`).toBe(0);
}

/** Every reader a test opens, closed after it (file handles must not be left to the garbage collector). */
const opened: RasterReader[] = [];
async function open(...args: Parameters<typeof RasterReader.open>): Promise<RasterReader> {
  const reader = await RasterReader.open(...args);
  opened.push(reader);
  return reader;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((reader) => reader.close()));
});

let server: RangeServer;
beforeAll(async () => {
  server = await startRangeServer(SHARED_DATA);
});
afterAll(async () => {
  await server.close();
});

const fast = { retries: 3, baseDelayMs: 10, maxDelayMs: 2_000, timeoutMs: 1_000 };

describe('RasterReader against GDAL (gdal_translate -srcwin)', () => {
  it('reads real L2A COG metadata (Morocco B04: UInt16, DEFLATE, 512 tiles, 2 overviews)', async () => {
    const reader = await open(new FileByteSource(join(SHARED_DATA, MOROCCO_B04)));
    expect(reader.info).toMatchObject({
      width: 1098,
      height: 1098,
      bands: 1,
      dataType: 'uint16',
      epsg: 32629,
      nodata: 0,
      tileWidth: 512,
      compression: 8,
      transform: [199980, 100, 0, 2800020, 0, -100],
    });
    expect(reader.info.levels.map((level) => level.width)).toEqual([1098, 549, 275]);
  });

  it.each([
    ['file', false],
    ['http', true],
  ])('a multi-tile window of the DEFLATE COG equals GDAL byte for byte (%s)', async (_name, http) => {
    const source = http
      ? new HttpByteSource(`${server.url}/${MOROCCO_B04}`, { policy: fast })
      : new FileByteSource(join(SHARED_DATA, MOROCCO_B04));
    const reader = await open(source);
    const window = { x0: 300, y0: 450, x1: 700, y1: 1098 };
    const ours = await reader.readWindow(window);
    const peer = gdalWindow(join(SHARED_DATA, MOROCCO_B04), window, { bytesPerSample: 2 });
    expect(ours.bands).toHaveLength(1);
    expectSameBytes(ours.bands[0]!, peer[0]);
  });

  it('an overview level equals the overview GDAL reads', async () => {
    const reader = await open(new FileByteSource(join(SHARED_DATA, MOROCCO_B04)));
    const window = { x0: 10, y0: 20, x1: 540, y1: 549 };
    const ours = await reader.readWindow(window, { level: 1 });
    const peer = gdalWindow(join(SHARED_DATA, MOROCCO_B04), window, { bytesPerSample: 2, overview: 0 });
    expectSameBytes(ours.bands[0]!, peer[0]);
  });

  it('a window of a Bukavu export (LZW, Float32, two bands, NaN for clouds) equals GDAL', async () => {
    const reader = await open(new FileByteSource(join(SHARED_DATA, BUKAVU)));
    expect(reader.info).toMatchObject({ bands: 2, dataType: 'float32', epsg: 32735, bandNames: ['B4', 'B8'] });
    const window = { x0: 200, y0: 500, x1: 835, y1: 1121 };
    const ours = await reader.readWindow(window);
    const peer = gdalWindow(join(SHARED_DATA, BUKAVU), window, { bytesPerSample: 4 });
    expect(peer).toHaveLength(2);
    expectSameBytes(ours.bands[0]!, peer[0]);
    expectSameBytes(ours.bands[1]!, peer[1]);
    const red = ours.bands[0] as Float32Array;
    expect(red.some(Number.isNaN)).toBe(true);
  });

  it('a GDAL-made Float32 COG with predictor 3 equals GDAL', async () => {
    const reader = await open(new FileByteSource(join(SHARED_DATA, BUKAVU_COG)));
    const window = { x0: 0, y0: 0, x1: 835, y1: 1121 };
    const ours = await reader.readWindow(window);
    expectSameBytes(ours.bands[0]!, gdalWindow(join(SHARED_DATA, BUKAVU_COG), window, { bytesPerSample: 4 })[0]);
  });
});

describe('a GeoTIFF whose IFD sits at the end (gdal_edit.py -mo on a copy of a real file)', () => {
  /** A copy of a real scene with a metadata item added by GDAL: libtiff rewrites the grown IFD at the end. */
  function editedCopy(input: string): { dir: string; path: string } {
    const dir = mkdtempSync(join(tmpdir(), 'cw-ifd-end-'));
    const path = join(dir, 'edited.tif');
    copyFileSync(join(SHARED_DATA, input), path);
    chmodSync(path, 0o644);
    execFileSync('gdal_edit.py', ['-mo', 'KEY=value', path]);
    return { dir, path };
  }

  it.each([
    ['Morocco B04 COG, file', MOROCCO_B04, 2, false],
    ['Morocco B04 COG, http', MOROCCO_B04, 2, true],
    ['Bukavu LZW export, file', BUKAVU, 4, false],
  ])('is read, and a window equals GDAL (%s)', async (_name, input, bytesPerSample, http) => {
    const { dir, path } = editedCopy(input);
    const size = statSync(path).size;
    const firstIfd = readFileSync(path).readUInt32LE(4);
    expect(firstIfd).toBeGreaterThan(size - 4096); // the case: the IFD is not in the first bytes
    const local = http ? await startRangeServer(dir) : undefined;
    try {
      const source = local ? new HttpByteSource(`${local.url}/edited.tif`, { policy: fast }) : new FileByteSource(path);
      const recording = new RecordingSource(source);
      const reader = await open(recording);
      expect(reader.info.width).toBeGreaterThan(0);
      const window = { x0: 100, y0: 150, x1: 700, y1: 800 };
      const ours = await reader.readWindow(window);
      const peer = gdalWindow(path, window, { bytesPerSample });
      ours.bands.forEach((band, index) => expectSameBytes(band, peer[index]));
      // The header block, the block at the IFD, then the tiles: no request per tag.
      expect(recording.requests[0]).toEqual({ offset: 0, length: 65_536 });
      expect(recording.requests[1]!.offset).toBe(firstIfd);
      expect(recording.requests.length).toBeLessThanOrEqual(2 + 6);
    } finally {
      await local?.close();
    }
  });
});

describe('LZW (changewatch decoder) against GDAL', () => {
  it.each([
    [
      'UInt16, predictor 2, 256 tiles',
      MOROCCO_B04,
      ['-co', 'PREDICTOR=2', '-co', 'TILED=YES', '-co', 'BLOCKXSIZE=256', '-co', 'BLOCKYSIZE=256'],
      2,
    ],
    ['Float32 strips, predictor 3', BUKAVU, ['-co', 'PREDICTOR=3'], 4],
  ])('%s', async (_name, input, creation, bytesPerSample) => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-lzw-'));
    const path = join(dir, 'lzw.tif');
    execFileSync('gdal_translate', ['-q', '-co', 'COMPRESS=LZW', ...creation, join(SHARED_DATA, input), path]);
    const reader = await open(new FileByteSource(path));
    expect(reader.info.compression).toBe(5);
    const window = { x0: 0, y0: 0, x1: reader.info.width, y1: reader.info.height };
    const ours = await reader.readWindow(window);
    const peer = gdalWindow(path, window, { bytesPerSample });
    ours.bands.forEach((band, index) => expectSameBytes(band, peer[index]));
  });
});

describe('range requests', () => {
  it('a one-tile window costs the header plus that tile, not the file', async () => {
    const recording = new RecordingSource(new HttpByteSource(`${server.url}/${MOROCCO_B04}`, { policy: fast }));
    const reader = await open(recording);
    await reader.readWindow({ x0: 520, y0: 520, x1: 600, y1: 600 });
    const size = statSync(join(SHARED_DATA, MOROCCO_B04)).size;
    expect(recording.requests[0]).toEqual({ offset: 0, length: 65_536 });
    expect(recording.requests).toHaveLength(2);
    expect(recording.requests[1]!.offset).toBeGreaterThan(65_536);
    expect(reader.stats.requests).toBe(2);
    expect(reader.stats.bytes).toBeLessThan(65_536 + 600_000);
    expect(reader.stats.bytes).toBeLessThan(size / 2);
  });

  it('a tile decoded for one window is not fetched or decoded again for an overlapping one (block halos)', async () => {
    const recording = new RecordingSource(new FileByteSource(join(SHARED_DATA, BUKAVU)));
    const reader = await open(recording);
    const first = await reader.readWindow({ x0: 200, y0: 200, x1: 520, y1: 520 });
    const requests = recording.requests.length;
    const hits = DECODED_TILES.hits;
    // The next block's halo reaches back into the same tiles.
    const overlap = await reader.readWindow({ x0: 500, y0: 200, x1: 520, y1: 520 });
    expect(recording.requests.length).toBe(requests);
    expect(DECODED_TILES.hits).toBeGreaterThan(hits);
    for (let row = 0; row < 320; row++) {
      for (let band = 0; band < 2; band++) {
        expect(overlap.bands[band]!.subarray(row * 20, row * 20 + 20)).toEqual(
          first.bands[band]!.subarray(row * 320 + 300, row * 320 + 320),
        );
      }
    }
    await reader.close();
  });

  it('the decoded-tile cache keeps the most recently used tiles within its byte budget', () => {
    const cache = new DecodedTileCache(3000);
    cache.set('a', new Uint8Array(1000));
    cache.set('b', new Uint8Array(1000));
    cache.set('c', new Uint8Array(1000));
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('d', new Uint8Array(1000)); // evicts b, the least recently used
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')].every(Boolean)).toBe(true);
    expect(cache.size).toBe(3000);
    cache.set('huge', new Uint8Array(4000)); // larger than the budget: not kept, nothing evicted
    expect(cache.size).toBe(3000);
    cache.forget('d');
    expect(cache.size).toBe(2000);
  });

  it('coalesces the tiles of a row into one request (GDAL COG, 4-byte tile leaders between them)', async () => {
    const window = { x0: 0, y0: 300, x1: 700, y1: 400 }; // tiles (0..2, 1) of 256×256
    const merged = new RecordingSource(new FileByteSource(join(SHARED_DATA, BUKAVU_COG)));
    await (await open(merged)).readWindow(window);
    expect(merged.requests).toHaveLength(2);
    const separate = new RecordingSource(new FileByteSource(join(SHARED_DATA, BUKAVU_COG)));
    await (await open(separate, { gapBytes: 0 })).readWindow(window);
    expect(separate.requests).toHaveLength(4);
  });

  it('a truncated COG fails with a clear E_READ, not garbage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-trunc-'));
    const path = join(dir, 'B04-truncated.tif');
    copyFileSync(join(SHARED_DATA, MOROCCO_B04), path);
    truncateSync(path, Math.floor(readFileSync(path).length * 0.6));
    const reader = await open(new FileByteSource(path));
    const error = await reader.readWindow({ x0: 600, y0: 600, x1: 1098, y1: 1098 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChangewatchError);
    expect((error as ChangewatchError).code).toBe('E_READ');
    expect((error as Error).message).toMatch(/truncated; fetch it again/);
  });

  it('a tile whose stream ends early (half its pixels) fails with E_DECODE naming it, not fill where pixels were', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-short-'));
    const path = join(dir, 'B04-short-tile.tif');
    const bytes = readFileSync(join(SHARED_DATA, MOROCCO_B04));
    const tiff = await fromFile(join(SHARED_DATA, MOROCCO_B04));
    const directory = (await tiff.getImage(0)).getFileDirectory();
    const offsets = (await directory.loadValue('TileOffsets')) as number[];
    const counts = (await directory.loadValue('TileByteCounts')) as number[];
    await tiff.close();
    // Tile 1,1 of 512 × 512 UInt16: a whole zlib stream of its first 256 rows, in its place (the rest of its bytes
    // unchanged): both inflates decode it without an error.
    const short = deflateSync(new Uint8Array(256 * 512 * 2));
    const tile = 1 * 3 + 1; // of 3 × 3
    expect(short.length).toBeLessThan(counts[tile]!);
    bytes.set(short, offsets[tile]!);
    writeFileSync(path, bytes);
    const reader = await open(new FileByteSource(path));
    const error = await reader.readWindow({ x0: 600, y0: 600, x1: 700, y1: 700 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChangewatchError);
    expect((error as ChangewatchError).code).toBe('E_DECODE');
    expect((error as Error).message).toMatch(
      /cannot decode 1 tiles \(tile 1,1 \(sample 0\) decodes to 262144 bytes of its 524288: its stream ends early\): the file may be corrupt/,
    );
    // The tiles around it still read as GDAL reads them.
    const around = { x0: 0, y0: 0, x1: 512, y1: 1098 };
    const [band] = (await reader.readWindow(around)).bands;
    expectSameBytes(band!, gdalWindow(join(SHARED_DATA, MOROCCO_B04), around, { bytesPerSample: 2 })[0]);
  });

  it('a file that is not a GeoTIFF fails with E_DECODE', async () => {
    const error = await open(new FileByteSource(join(SHARED_DATA, 'README.md'))).catch((e: unknown) => e);
    expect((error as ChangewatchError).code).toBe('E_DECODE');
    expect((error as Error).message).toContain('not a readable GeoTIFF');
  });
});

describe('HTTP faults', () => {
  const url = () => `${server.url}/${MOROCCO_B04}`;

  it('retries a 503 and a cut body, then reads correctly', async () => {
    const retries: string[] = [];
    const source = new HttpByteSource(url(), { policy: fast, onRetry: (event) => retries.push(event.reason) });
    server.misbehave({ kind: 'status', status: 503 }, { kind: 'truncate', bytes: 100 });
    const data = await source.fetch(0, 4096);
    expect(data.length).toBe(4096);
    expect(retries[0]).toMatch(/HTTP 503/);
    expect(retries[1]).toMatch(/body cut short|network error/);
  });

  it('honours 429 Retry-After', async () => {
    const delays: number[] = [];
    const source = new HttpByteSource(url(), { policy: fast, onRetry: (event) => delays.push(event.delayMs) });
    server.misbehave({ kind: 'status', status: 429, retryAfter: '1' });
    await source.fetch(0, 16);
    expect(delays).toEqual([1000]);
  });

  it('gives up on a hang past the timeout after its retries, naming the URL without its query', async () => {
    const source = new HttpByteSource(`${url()}?token=SECRET`, { policy: { ...fast, retries: 1, timeoutMs: 300 } });
    server.misbehave({ kind: 'hang' }, { kind: 'hang' });
    const error = (await source.fetch(0, 16).catch((e: unknown) => e)) as ChangewatchError;
    expect(error.code).toBe('E_NETWORK');
    expect(error.message).toMatch(/no complete answer within 300 ms: gave up after 2 attempts/);
    expect(error.message).not.toContain('SECRET');
  });

  it('refuses a 200 answer to a range request instead of reading the whole file', async () => {
    const source = new HttpByteSource(url(), { policy: fast });
    server.misbehave({ kind: 'ignore-range' });
    const error = (await source.fetch(0, 16).catch((e: unknown) => e)) as ChangewatchError;
    expect(error.code).toBe('E_READ');
    expect(error.message).toContain('answered 200 to a range request');
  });

  it('does not retry a 404', async () => {
    const retries: unknown[] = [];
    const source = new HttpByteSource(`${server.url}/nope.tif`, { policy: fast, onRetry: (e) => retries.push(e) });
    const error = (await source.fetch(0, 16).catch((e: unknown) => e)) as ChangewatchError;
    expect(error.message).toMatch(/HTTP 404.*not found: check the URL/);
    expect(retries).toEqual([]);
  });
});
