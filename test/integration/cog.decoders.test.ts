import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileByteSource } from '../../pipeline/io/byte.source.file.js';
import { RasterReader } from '../../pipeline/io/cog.reader.js';
import { gdalWindow } from '../helpers/gdal.js';
import { SHARED_DATA } from '../helpers/paths.js';

/**
 * changewatch's decoders (DEFLATE, LZW, predictors 2 and 3) on layouts GDAL writes from real scenes: the Earth
 * Search L2A one (UInt16, DEFLATE, predictor 2, 1024² tiles), big-endian files (the readers' byte-order path),
 * strips with a short last strip, odd tile counts and interleaved bands. Every pixel equals GDAL's.
 */
const dir = mkdtempSync(join(tmpdir(), 'cw-decoders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MOROCCO_B04 = join(SHARED_DATA, 's2l2a-morocco', 'B04.tif');
const MOROCCO_SCL = join(SHARED_DATA, 's2l2a-morocco', 'SCL.tif');
const BUKAVU = join(SHARED_DATA, 's2-bukavu-rusizi', 'T35MPT_bukavu_drc', '20210825T080611_20210825T082711_T35MPT.tif');
const tiled = (size: number) => ['-co', 'TILED=YES', '-co', `BLOCKXSIZE=${size}`, '-co', `BLOCKYSIZE=${size}`];

const CASES: Array<[string, string, string[], number]> = [
  [
    'UInt16 DEFLATE predictor 2, 1024² tiles (Earth Search L2A)',
    MOROCCO_B04,
    ['-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', ...tiled(1024)],
    2,
  ],
  [
    'UInt16 DEFLATE predictor 2, big-endian',
    MOROCCO_B04,
    ['-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', '-co', 'ENDIANNESS=BIG', ...tiled(256)],
    2,
  ],
  [
    'UInt16 DEFLATE predictor 2, strips of 7 rows (a short last strip)',
    MOROCCO_B04,
    ['-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', '-co', 'BLOCKYSIZE=7'],
    2,
  ],
  [
    'UInt8 DEFLATE predictor 2 (SCL), odd size',
    MOROCCO_SCL,
    ['-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', ...tiled(256)],
    1,
  ],
  [
    'UInt16 LZW predictor 2, big-endian',
    MOROCCO_B04,
    ['-co', 'COMPRESS=LZW', '-co', 'PREDICTOR=2', '-co', 'ENDIANNESS=BIG', ...tiled(512)],
    2,
  ],
  [
    'Float32 DEFLATE predictor 3, 2 interleaved bands',
    BUKAVU,
    ['-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=3', ...tiled(128)],
    4,
  ],
  [
    'Float32 DEFLATE predictor 3, big-endian',
    BUKAVU,
    ['-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=3', '-co', 'ENDIANNESS=BIG', ...tiled(256)],
    4,
  ],
  [
    'Float32 DEFLATE predictor 3, one-row strips',
    BUKAVU,
    ['-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=3', '-co', 'BLOCKYSIZE=1'],
    4,
  ],
  [
    'Float32 LZW predictor 3, band-separate tiles',
    BUKAVU,
    ['-co', 'COMPRESS=LZW', '-co', 'PREDICTOR=3', '-co', 'INTERLEAVE=BAND', ...tiled(256)],
    4,
  ],
  ['Float32 LZW, big-endian', BUKAVU, ['-co', 'COMPRESS=LZW', '-co', 'ENDIANNESS=BIG', ...tiled(256)], 4],
];

describe('changewatch decoders against GDAL on GDAL-written layouts', () => {
  it.each(CASES)('%s', async (name, input, creation, bytesPerSample) => {
    const path = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.tif`);
    execFileSync('gdal_translate', ['-q', ...creation, input, path]);
    const reader = await RasterReader.open(new FileByteSource(path));
    try {
      const window = { x0: 0, y0: 0, x1: reader.info.width, y1: reader.info.height };
      const ours = await reader.readWindow(window);
      const peer = gdalWindow(path, window, { bytesPerSample });
      expect(ours.bands.length).toBe(peer.length);
      ours.bands.forEach((band, index) => {
        const a = Buffer.from(band.buffer, band.byteOffset, band.byteLength);
        expect(Buffer.compare(a, Buffer.from(peer[index]!)), `band ${index}`).toBe(0);
      });
      // An inner window across tile or strip boundaries too.
      const inner = { x0: 101, y0: 37, x1: Math.min(700, reader.info.width), y1: Math.min(900, reader.info.height) };
      const part = await reader.readWindow(inner);
      const partPeer = gdalWindow(path, inner, { bytesPerSample });
      part.bands.forEach((band, index) => {
        const a = Buffer.from(band.buffer, band.byteOffset, band.byteLength);
        expect(Buffer.compare(a, Buffer.from(partPeer[index]!)), `inner band ${index}`).toBe(0);
      });
    } finally {
      await reader.close();
    }
  });
});
