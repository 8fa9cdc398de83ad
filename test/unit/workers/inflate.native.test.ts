import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { fromFile } from 'geotiff';
import { describe, expect, it } from 'vitest';
import { deflateZlib } from '../../../workers/deflate.js';
import { INFLATE_ENGINE, nativeInflate } from '../../../workers/inflate.native.js';
import { decodeLzw } from '../../../workers/lzw.js';
import {
  type PredictorLayout,
  undoFloatingPointPredictor,
  undoHorizontalDifferencing,
} from '../../../workers/predictor.js';
import { decodeLzwTile, inflateTile, inflateWithZlib } from '../../../workers/tile.decode.js';
import { assembleWindow, type TiledWindow, type WindowTile } from '../../../workers/tile.window.js';
import { SHARED_DATA } from '../../helpers/paths.js';

/**
 * The native inflate (native/inflate, libdeflate) against node:zlib, every stored block of every level of real
 * DEFLATE files, its LZW against workers/lzw.ts on every block of real LZW files (and on corrupted streams), and its
 * predictors against workers/predictor.ts on real bytes in many layouts: the same bytes.
 * Runs where `npm run build:inflate` has built it; CI (test/setup.sh builds it) must.
 */
const FILES = [
  join(SHARED_DATA, 's2l2a-morocco', 'B04.tif'),
  join(SHARED_DATA, 's2-bukavu-rusizi', 'derived_cog_pair', '20210825_T35MPT_red.cog.tif'),
  join(SHARED_DATA, 'landsat-colorado-timeseries', 'LE70350322012177EDC00', 'LE70350322012177EDC00_b3.tif'),
];

const LZW_FILES = [
  join(SHARED_DATA, 's2-bukavu-rusizi', 'T35MPT_bukavu_drc', '20210825T080611_20210825T082711_T35MPT.tif'),
  join(SHARED_DATA, 'landsat-l1-pairs', 'bale_167055', 'LT05_L1TP_167055_20000309_20161214_01_T1_B2.TIF'),
  join(SHARED_DATA, 'landsat-l1-pairs', 'marburg_195025', 'LC08_L1TP_195025_20130707_20170503_01_T1_B1.TIF'),
  join(SHARED_DATA, 's1-bolivia-bayts', 'bayts_spatial_result.tif'),
];

/** The LZW decode of a stream, or the error's message. */
function lzwOutcome(decode: () => Uint8Array): string {
  try {
    return Buffer.from(decode()).toString('base64');
  } catch (error) {
    return `throws ${(error as Error).name}`;
  }
}

/** Every stored block of every image of a file, with its whole decoded size. */
async function storedBlocks(path: string): Promise<Array<{ stored: Uint8Array; bytes: number }>> {
  const file = readFileSync(path);
  const tiff = await fromFile(path);
  const blocks: Array<{ stored: Uint8Array; bytes: number }> = [];
  try {
    for (let i = 0; i < (await tiff.getImageCount()); i++) {
      const image = await tiff.getImage(i);
      const directory = image.getFileDirectory();
      const tiled = image.isTiled;
      const offsets = (await directory.loadValue(tiled ? 'TileOffsets' : 'StripOffsets')) as number[];
      const counts = (await directory.loadValue(tiled ? 'TileByteCounts' : 'StripByteCounts')) as number[];
      const rows = tiled ? image.getTileHeight() : Number(directory.getValue('RowsPerStrip') ?? image.getHeight());
      const width = tiled ? image.getTileWidth() : image.getWidth();
      const bytes = width * rows * image.getBytesPerPixel();
      for (let t = 0; t < offsets.length; t++) {
        blocks.push({ stored: file.subarray(offsets[t]!, offsets[t]! + counts[t]!), bytes });
      }
    }
  } finally {
    await tiff.close();
  }
  return blocks;
}

describe('native inflate', () => {
  it.runIf(process.env.CI)('is built and loaded in CI', () => {
    expect(INFLATE_ENGINE).toMatch(/^libdeflate \d/);
  });

  it.skipIf(!nativeInflate).each(FILES)('inflates every block of %s to node:zlib’s bytes', async (path) => {
    const blocks = await storedBlocks(path);
    expect(blocks.length).toBeGreaterThan(0);
    for (const [index, { stored, bytes }] of blocks.entries()) {
      const shared = (size: number) => new Uint8Array(new SharedArrayBuffer(size));
      const ours = inflateTile(stored, bytes, shared);
      expect(ours.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Buffer.compare(Buffer.from(ours), inflateWithZlib(stored, bytes)), `block ${index}`).toBe(0);
    }
  });

  it.skipIf(!nativeInflate)('hands a stream larger than the block to node:zlib, and refuses corrupt data', () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251));
    const stream = deflateSync(data);
    expect(Buffer.compare(Buffer.from(inflateTile(stream, 1000)), data)).toBe(0);
    expect(Buffer.compare(Buffer.from(inflateTile(stream, 6000)), data)).toBe(0);
    expect(inflateTile(stream, 6000).length).toBe(5000);
    const corrupt = Buffer.from(stream);
    corrupt[corrupt.length - 1]! ^= 1;
    expect(() => inflateTile(corrupt, 5000)).toThrow(/corrupt/);
  });

  it.skipIf(!nativeInflate)(
    'undoes predictors 2 and 3 as workers/predictor.ts does, in every layout it takes',
    async () => {
      const blocks = (await storedBlocks(FILES[1]!)).map(({ stored, bytes }) => inflateWithZlib(stored, bytes));
      const layouts: Array<[number, PredictorLayout, number]> = [];
      for (const littleEndian of [true, false]) {
        for (const [bytesPerSample, samples, width] of [
          [1, 1, 256],
          [1, 3, 100],
          [2, 1, 256],
          [2, 1, 255],
          [2, 2, 128],
          [4, 1, 256],
          [4, 3, 50],
          [8, 1, 64],
        ] as const) {
          // A whole block and one ending in a short row (a strip's end), of an odd number of bytes.
          for (const cut of [0, 1001]) layouts.push([2, { width, samples, bytesPerSample, littleEndian }, cut]);
        }
        for (const [bytesPerSample, samples, width] of [
          [4, 1, 256],
          [4, 1, 254],
          [4, 2, 100],
          [2, 1, 256],
          [8, 1, 32],
        ] as const) {
          for (const cut of [0, 1001]) layouts.push([3, { width, samples, bytesPerSample, littleEndian }, cut]);
        }
      }
      let native = 0;
      for (const block of blocks.slice(0, 6)) {
        for (const [predictor, layout, cut] of layouts) {
          const ours = new Uint8Array(block.subarray(0, block.length - cut));
          const peer = new Uint8Array(ours);
          const { width, samples, bytesPerSample, littleEndian } = layout;
          if (nativeInflate!.undoPredictor(ours, predictor, width, samples, bytesPerSample, littleEndian)) native++;
          else continue;
          if (predictor === 2) undoHorizontalDifferencing(peer, layout);
          else undoFloatingPointPredictor(peer, layout);
          expect(Buffer.compare(ours, peer), `predictor ${predictor} ${JSON.stringify(layout)} cut ${cut}`).toBe(0);
        }
      }
      // Little-endian files: predictor 2 on 1, 2 and 4 bytes (7 layouts), 3 on 4 bytes (3 layouts), cut or whole.
      expect(native).toBe(6 * 20);
    },
  );

  it.skipIf(!nativeInflate).each(LZW_FILES)('decodes every LZW block of %s to workers/lzw.ts’s bytes', async (path) => {
    const blocks = await storedBlocks(path);
    expect(blocks.length).toBeGreaterThan(0);
    for (const [index, { stored, bytes }] of blocks.entries()) {
      const shared = (size: number) => new Uint8Array(new SharedArrayBuffer(size));
      const ours = decodeLzwTile(stored, bytes, shared);
      expect(ours.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Buffer.compare(Buffer.from(ours), Buffer.from(decodeLzw(stored, bytes))), `block ${index}`).toBe(0);
    }
  });

  it.skipIf(!nativeInflate)(
    'decodes LZW streams cut short, corrupted or too large for the block as lzw.ts does',
    async () => {
      const [{ stored, bytes }] = await storedBlocks(LZW_FILES[0]!);
      let seed = 7;
      const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
      let thrown = 0;
      for (let trial = 0; trial < 60; trial++) {
        const damaged = new Uint8Array(stored.subarray(0, Math.floor(stored.length * (0.2 + 0.8 * random()))));
        for (let flip = 0; flip < trial % 4; flip++)
          damaged[Math.floor(random() * damaged.length)]! ^= 1 << (trial % 8);
        const size = trial % 3 === 0 ? 1000 : bytes;
        const ours = lzwOutcome(() => decodeLzwTile(damaged, size));
        expect(ours, `trial ${trial}`).toBe(lzwOutcome(() => decodeLzw(damaged, size)));
        if (ours.startsWith('throws')) thrown++;
      }
      expect(thrown).toBeGreaterThan(0);
      expect(thrown).toBeLessThan(60);
    },
  );

  it.skipIf(!nativeInflate)(
    'copies tiles into windows as a pixel-by-pixel copy does (bands, edges, fill)',
    async () => {
      // The Bukavu export: 835×1121, 256² tiles of 2 interleaved Float32 bands, LZW.
      const blocks = await storedBlocks(LZW_FILES[0]!);
      const tiles: WindowTile[] = blocks.slice(0, 20).map(({ stored, bytes }, index) => ({
        tx: index % 4,
        ty: Math.floor(index / 4),
        sample: 0,
        rows: 256,
        data: decodeLzwTile(stored, bytes, (size) => new Uint8Array(new SharedArrayBuffer(size))),
      }));
      const layout = {
        dataType: 'float32',
        fill: -1,
        planar: false,
        samples: 2,
        tileWidth: 256,
        tileHeight: 256,
      } as const;
      for (const [window, bands] of [
        [{ x0: 0, y0: 0, x1: 835, y1: 1121 }, [0, 1]],
        [{ x0: -7, y0: 250, x1: 300, y1: 1130 }, [1]],
        [{ x0: 500, y0: -3, x1: 840, y1: 20 }, [1, 0]],
      ] as const) {
        const tiled: TiledWindow = { ...layout, window, bands: [...bands], imageWidth: 835, imageHeight: 1121, tiles };
        const ours = assembleWindow(tiled);
        const width = window.x1 - window.x0;
        bands.forEach((sample, band) => {
          const expected = new Int32Array(width * (window.y1 - window.y0)).fill(
            new Int32Array(new Float32Array([-1]).buffer)[0]!,
          );
          for (let y = Math.max(0, window.y0); y < Math.min(1121, window.y1); y++) {
            for (let x = Math.max(0, window.x0); x < Math.min(835, window.x1); x++) {
              const tile = tiles[Math.floor(y / 256) * 4 + Math.floor(x / 256)]!.data;
              const words = new Int32Array(tile.buffer, tile.byteOffset, tile.byteLength / 4);
              expected[(y - window.y0) * width + (x - window.x0)] = words[((y % 256) * 256 + (x % 256)) * 2 + sample]!;
            }
          }
          const got = new Int32Array(ours[band]!.buffer, ours[band]!.byteOffset, ours[band]!.length);
          expect(Buffer.compare(Buffer.from(got.buffer), Buffer.from(expected.buffer)), JSON.stringify(window)).toBe(0);
        });
      }
    },
  );

  it.skipIf(!nativeInflate)(
    'deflates real tiles into zlib streams node:zlib inflates back, at every level, each a transferable array',
    async () => {
      const blocks = (await storedBlocks(FILES[1]!)).map(({ stored, bytes }) => inflateWithZlib(stored, bytes));
      for (const level of [0, 1, 3, 6, 9, 12]) {
        for (const block of blocks.slice(0, 4)) {
          const stream = deflateZlib(block, level);
          expect(stream.buffer).toBeInstanceOf(ArrayBuffer);
          expect(stream.byteOffset).toBe(0);
          expect(stream.buffer.byteLength).toBe(stream.length);
          expect(Buffer.compare(inflateSync(stream), block), `level ${level}`).toBe(0);
          if (level > 0) expect(stream.length).toBeLessThan(block.length);
        }
      }
      expect(Buffer.compare(inflateSync(deflateZlib(new Uint8Array(0), 6)), Buffer.alloc(0))).toBe(0);
      // Beyond the scratch buffer the thread keeps (4 MiB): compressed, then the next stream still right.
      const large = Uint8Array.from({ length: 6 << 20 }, (_, i) => ((i * 31) >> 7) & 0xff);
      expect(Buffer.compare(inflateSync(deflateZlib(large, 2)), large)).toBe(0);
      expect(Buffer.compare(inflateSync(deflateZlib(blocks[0]!, 6)), blocks[0]!)).toBe(0);
      for (const level of [13, -1, 2.5, NaN]) {
        expect(() => nativeInflate!.deflate(blocks[0]!, level), `level ${level}`).toThrow(/level from 0 to 12/);
      }
    },
  );
});
