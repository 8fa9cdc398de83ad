import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { fromFile } from 'geotiff';
import { describe, expect, it } from 'vitest';
import { INFLATE_ENGINE, nativeInflate } from '../../../workers/inflate.native.js';
import { inflateTile, inflateWithZlib } from '../../../workers/tile.decode.js';
import { SHARED_DATA } from '../../helpers/paths.js';

/**
 * The native inflate (native/inflate, libdeflate) against node:zlib, every stored block of every level of real
 * DEFLATE files: the same bytes. Runs where `npm run build:inflate` has built it; CI (test/setup.sh builds it) must.
 */
const FILES = [
  join(SHARED_DATA, 's2l2a-morocco', 'B04.tif'),
  join(SHARED_DATA, 's2-bukavu-rusizi', 'derived_cog_pair', '20210825_T35MPT_red.cog.tif'),
  join(SHARED_DATA, 'landsat-colorado-timeseries', 'LE70350322012177EDC00', 'LE70350322012177EDC00_b3.tif'),
];

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
});
