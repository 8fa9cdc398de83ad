import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromFile, getDecoder } from 'geotiff';
import { describe, expect, it } from 'vitest';
import { decodeLzw } from '../../../workers/lzw.js';
import { SHARED_DATA } from '../../helpers/paths.js';

const BUKAVU_LZW = 's2-bukavu-rusizi/T35MPT_bukavu_drc/20210825T080611_20210825T082711_T35MPT.tif';
const BALE_B2 = 'landsat-l1-pairs/bale_167055/LT05_L1TP_167055_20000309_20161214_01_T1_B2.TIF';
const BOLIVIA_VV = 's1-bolivia-bayts/s1vv_tseries/2016-02-16-s1vv.tif';

/** The compressed blocks (tiles or strips) of a file's first image, and the bytes of a whole decoded block. */
async function rawBlocks(path: string): Promise<{ blocks: Uint8Array[]; blockBytes: number }> {
  const bytes = readFileSync(path);
  const tiff = await fromFile(path);
  try {
    const image = await tiff.getImage(0);
    const directory = image.getFileDirectory();
    const offsets = (await directory.loadValue(image.isTiled ? 'TileOffsets' : 'StripOffsets')) as ArrayLike<number>;
    const counts = (await directory.loadValue(
      image.isTiled ? 'TileByteCounts' : 'StripByteCounts',
    )) as ArrayLike<number>;
    const blocks = Array.from(offsets, (offset, i) =>
      bytes.subarray(Number(offset), Number(offset) + Number(counts[i])),
    );
    return { blocks, blockBytes: image.getTileWidth() * image.getTileHeight() * image.getBytesPerPixel() };
  } finally {
    await tiff.close();
  }
}

/** Packs 9-bit codes MSB first, as a TIFF LZW encoder writes them before the table grows. */
function pack9(codes: number[]): Uint8Array {
  let bits = '';
  for (const code of codes) bits += code.toString(2).padStart(9, '0');
  bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0');
  return Uint8Array.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
}

describe('decodeLzw', () => {
  it('decodes literals and table codes, including the code being defined (KwKwK)', () => {
    // "ABABABA": A B <AB=258> <ABA=260, not yet defined when read> then EOI.
    const codes = [256, 65, 66, 258, 260, 257];
    expect(new TextDecoder().decode(decodeLzw(pack9(codes)))).toBe('ABABABA');
  });
  it('restarts the table at a ClearCode', () => {
    expect(new TextDecoder().decode(decodeLzw(pack9([256, 72, 73, 256, 72, 72, 258, 257])))).toBe('HIHHHH');
  });
  it('refuses a code beyond the table', () => {
    expect(() => decodeLzw(pack9([256, 65, 300, 257]))).toThrow(/beyond the table/);
  });
  it('does not mutate its input', () => {
    const input = pack9([256, 65, 66, 257]);
    const copy = input.slice();
    decodeLzw(input);
    expect(input).toEqual(copy);
  });
});

/**
 * A TIFF LZW encoder (libtiff's conventions: codes MSB first, ClearCode first and whenever the table is nearly
 * full, the code width growing when the decoder's next entry would need it): a stream made independently of the
 * decoder, so long strings, KwKwK codes and every width can be tested on data of our choosing.
 */
function encodeLzw(data: Uint8Array, { clearAt = 4093 } = {}): Uint8Array {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  const emit = (code: number, width: number) => {
    buffer = (buffer << width) | code;
    bits += width;
    while (bits >= 8) {
      bytes.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  };
  let table = new Map<number, number>();
  let next = 258;
  let width = 9;
  // The decoder adds its entries one code later than the encoder: it widens when its own next entry reaches 2^w − 1.
  const widen = () => {
    if (next - 1 >= (1 << width) - 1 && width < 12) width++;
  };
  emit(256, 9);
  let prefix = -1;
  for (const byte of data) {
    if (prefix < 0) {
      prefix = byte;
      continue;
    }
    const key = prefix * 256 + byte;
    const known = table.get(key);
    if (known !== undefined) {
      prefix = known;
      continue;
    }
    emit(prefix, width);
    table.set(key, next++);
    widen();
    prefix = byte;
    if (next >= clearAt) {
      emit(prefix, width);
      emit(256, width);
      table = new Map();
      next = 258;
      width = 9;
      prefix = -1;
    }
  }
  if (prefix >= 0) {
    emit(prefix, width);
    next++;
    widen();
  }
  emit(257, width);
  if (bits > 0) emit(0, 8 - bits);
  return Uint8Array.from(bytes);
}

/** Bytes with long runs (KwKwK strings past 8 bytes), short repeats and noise, from a fixed seed. */
function sample(length: number, seed: number): Uint8Array {
  let state = seed;
  const next = () => (state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296;
  const out = new Uint8Array(length);
  for (let i = 0; i < length;) {
    const kind = next();
    const run = 1 + Math.floor(next() * (kind < 0.2 ? 400 : 12));
    const value = Math.floor(next() * 256);
    for (let k = 0; k < run && i < length; k++, i++)
      out[i] = kind < 0.2 ? value : kind < 0.6 ? (value + k) & 0xff : Math.floor(next() * 256);
  }
  return out;
}

describe('decodeLzw on streams of a reference encoder', () => {
  it.each([
    ['runs, repeats and noise (every code width, several ClearCodes)', sample(300_000, 1), undefined],
    ['one long run of one byte (KwKwK strings of hundreds of bytes)', new Uint8Array(50_000).fill(7), undefined],
    ['random bytes (mostly literals)', sample(20_000, 2).map((v, i) => (v * 31 + i * 7) & 0xff), undefined],
    ['a table cleared early', sample(40_000, 3), 600],
    ['a few bytes (less than one word of room)', Uint8Array.of(1, 2, 1, 2, 1, 2, 1), undefined],
  ])('%s', (_name, data, clearAt) => {
    const stream = encodeLzw(data, clearAt === undefined ? {} : { clearAt });
    // Exact room, too little room (it grows), too much room (a view of the decoded bytes).
    for (const room of [data.length, Math.floor(data.length / 3) + 1, data.length + 100]) {
      const decoded = decodeLzw(stream, room);
      expect(decoded.length).toBe(data.length);
      expect(Buffer.compare(Buffer.from(decoded), Buffer.from(data))).toBe(0);
    }
    // Decoded into exactly the room given: the tile is its own ArrayBuffer, no copy needed (16 bytes at least).
    expect(decodeLzw(stream, data.length).buffer.byteLength).toBe(Math.max(data.length, 16));
  });

  it('stops at the end of the data when the EOI code is missing, keeping what was decoded', () => {
    const data = sample(5_000, 4);
    const stream = encodeLzw(data);
    const cut = decodeLzw(stream.subarray(0, stream.length - 200), data.length);
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.length).toBeLessThan(data.length);
    expect(Buffer.compare(Buffer.from(cut), Buffer.from(data.subarray(0, cut.length)))).toBe(0);
  });
});

describe("decodeLzw on real tiles and strips against geotiff.js's LZW decoder", () => {
  it.each([
    ['Bukavu export: Float32, 2 bands, 256² tiles', BUKAVU_LZW],
    ['Landsat 5 L1 band: UInt8 strips, short last strip', BALE_B2],
    ['Sentinel-1 VV: Float32 strips', BOLIVIA_VV],
  ])('%s', async (_name, path) => {
    const { blocks, blockBytes } = await rawBlocks(join(SHARED_DATA, path));
    const peer = await getDecoder(5, {
      tileWidth: 1,
      tileHeight: 1,
      predictor: 1,
      bitsPerSample: 8,
      planarConfiguration: 1,
    });
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      const expected = new Uint8Array(await peer.decode(new Uint8Array(block).buffer));
      const ours = decodeLzw(block, blockBytes);
      expect(ours.length).toBe(expected.length);
      expect(Buffer.compare(Buffer.from(ours), Buffer.from(expected))).toBe(0);
    }
  });
});
