import { crc32, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodePng } from '../../../workers/png.js';
import type { Picture } from '../../../workers/render.js';

/** The chunks of a PNG in order: type and data, each CRC checked. */
function chunksOf(png: Uint8Array): Array<{ type: string; data: Buffer }> {
  const bytes = Buffer.from(png);
  expect([...bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const chunks = [];
  for (let at = 8; at < bytes.length;) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.subarray(at + 4, at + 8).toString('latin1');
    expect(bytes.readUInt32BE(at + 8 + length), type).toBe(crc32(bytes.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data: bytes.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return chunks;
}

/** A picture of distinct colours, alpha varying (a PNG of an opaque picture drops it). */
function picture(width: number, height: number): Picture {
  const rgba = Uint8Array.from({ length: width * height * 4 }, (_, i) => (i * 37 + (i >> 2) * 11) & 0xff);
  return { width, height, rgba };
}

describe('encodePng', () => {
  it('writes the RGB pixels as they are; sharp (libvips) decodes them back', async () => {
    const image = picture(37, 23);
    const png = encodePng(image);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([37, 23, 3]);
    const rgb = Uint8Array.from({ length: 37 * 23 * 3 }, (_, i) => image.rgba[Math.floor(i / 3) * 4 + (i % 3)]!);
    expect(Buffer.from(data).equals(Buffer.from(rgb))).toBe(true);
    expect(chunksOf(png).map((chunk) => chunk.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  });

  it('writes a row equal to the one above as Up (filter 2), which decodes to the same pixels', async () => {
    // Rows 1 and 2 repeat row 0 in colour (their alpha differs: it is not written), row 3 differs in its last blue.
    const rows = [0, 0, 0, 1].map((last) => [10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90 + last, 255]);
    rows[2]![3] = 7;
    const image: Picture = { width: 3, height: 4, rgba: Uint8Array.from(rows.flat()) };
    const png = encodePng(image);
    const scanlines = inflateSync(chunksOf(png).find((chunk) => chunk.type === 'IDAT')!.data);
    expect([0, 1, 2, 3].map((row) => scanlines[row * 10])).toEqual([0, 2, 2, 0]);
    for (const row of [1, 2]) expect([...scanlines.subarray(row * 10 + 1, row * 10 + 10)]).toEqual(Array(9).fill(0));
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([...data]).toEqual(rows.flatMap((row) => [...row.slice(0, 3), ...row.slice(4, 7), ...row.slice(8, 11)]));
  });

  it('states its text in tEXt chunks (in Latin-1) and its print resolution in pHYs, before the pixels', async () => {
    const png = encodePng(picture(4, 3), {
      dpi: 300,
      text: [
        ['Title', 'NDVI – baseline ≥ 0.6'],
        ['Software', 'changewatch'],
      ],
    });
    const chunks = chunksOf(png);
    expect(chunks.map((chunk) => chunk.type)).toEqual(['IHDR', 'pHYs', 'tEXt', 'tEXt', 'IDAT', 'IEND']);
    expect(chunks.filter((chunk) => chunk.type === 'tEXt').map((chunk) => chunk.data.toString('latin1'))).toEqual([
      'Title\u0000NDVI - baseline >= 0.6',
      'Software\u0000changewatch',
    ]);
    // 300 dpi is 11 811 pixels per metre (rounded), unit 1 (the metre).
    expect([...chunks[1]!.data]).toEqual([0, 0, 0x2e, 0x23, 0, 0, 0x2e, 0x23, 1]);
    expect(await sharp(png).metadata()).toMatchObject({ width: 4, height: 3, format: 'png', density: 300 });
  });

  it('refuses an empty picture', () => {
    expect(() => encodePng({ width: 0, height: 3, rgba: new Uint8Array(0) })).toThrow(/0 × 3 pixels/);
  });
});
