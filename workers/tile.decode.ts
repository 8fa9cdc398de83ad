import { inflateSync } from 'node:zlib';
import { nativeInflate } from './inflate.native.js';
import { decodeLzw, type ByteAllocator } from './lzw.js';
import { type PredictorLayout, undoFloatingPointPredictor, undoHorizontalDifferencing } from './predictor.js';

/**
 * One TIFF tile (or strip) from its stored bytes: decompressed into a buffer of the block's size, then the
 * predictor undone in place. The same function decodes on the main thread (geotiff.js's decoders, cog.reader.ts)
 * and in the workers (tile.window.ts), so a tile decodes to the same bytes wherever it is decoded. Pure.
 */

/** What decoding a file's blocks needs: TIFF Compression and Predictor, the size of a whole block, its rows. */
export interface TileCoding {
  /** TIFF Compression: 1 none, 5 LZW, 8 or 32946 DEFLATE. */
  compression: number;
  /** TIFF Predictor: 1 none, 2 horizontal differencing, 3 floating point. */
  predictor: number;
  /** Bytes of a whole decoded block (tile width × tile height × bytes per pixel). */
  bytes: number;
  layout: PredictorLayout;
}

const sharedBytes: ByteAllocator = (bytes) => new Uint8Array(new SharedArrayBuffer(bytes));
const plainBytes: ByteAllocator = (bytes) => new Uint8Array(bytes);

/** Compressions {@link decodeTile} reads. */
export const TILE_COMPRESSIONS: ReadonlySet<number> = new Set([1, 5, 8, 32946]);

/** Inflates a zlib stream with node:zlib, its output chunk the block's size so zlib inflates into one buffer. */
export function inflateWithZlib(input: Uint8Array, bytes: number): Uint8Array {
  return inflateSync(input, { chunkSize: Math.max(bytes, 64) });
}

/**
 * Inflates a zlib stream with the native inflate (libdeflate) straight into what `allocate` makes; node:zlib when
 * the stream holds more than `bytes` (it grows its output) or when the native inflate is not built. The Adler-32 is
 * checked either way.
 */
export function inflateTile(input: Uint8Array, bytes: number, allocate: ByteAllocator = plainBytes): Uint8Array {
  if (!nativeInflate) return inflateWithZlib(input, bytes);
  const out = allocate(bytes);
  const written = nativeInflate.inflate(input, out);
  if (written < 0) return inflateWithZlib(input, bytes);
  return written === bytes ? out : out.subarray(0, written);
}

/**
 * Decodes a TIFF LZW stream with the native decoder straight into what `allocate` makes; with workers/lzw.ts when
 * the stream holds more than `bytes` (it grows its output) or when the native module is not built.
 */
export function decodeLzwTile(input: Uint8Array, bytes: number, allocate: ByteAllocator = plainBytes): Uint8Array {
  if (!nativeInflate) return decodeLzw(input, bytes, allocate);
  const out = allocate(bytes);
  const written = nativeInflate.decodeLzw(input, out);
  if (written < 0) return decodeLzw(input, bytes, allocate);
  return written === bytes ? out : out.subarray(0, written);
}

/**
 * The decompressed bytes of one block. DEFLATE with the native inflate or node:zlib ({@link inflateTile}); LZW
 * with the native decoder or the typed-array one ({@link decodeLzwTile}), into what `allocate` makes when they can. Uncompressed: the
 * stored bytes themselves.
 */
export function decompressTile(
  input: Uint8Array,
  compression: number,
  bytes: number,
  allocate?: ByteAllocator,
): Uint8Array {
  if (compression === 8 || compression === 32946) return inflateTile(input, bytes, allocate);
  if (compression === 5) return decodeLzwTile(input, bytes, allocate);
  if (compression === 1) return input;
  throw new RangeError(`decompressTile: compression ${compression} is not one of ${[...TILE_COMPRESSIONS]}`);
}

/** The predictor undone by the native module when it is built and takes the layout (see workers/inflate.native.ts). */
function undoPredictorNatively(data: Uint8Array, { predictor, layout }: TileCoding): boolean {
  const { width, samples, bytesPerSample, littleEndian } = layout;
  return nativeInflate?.undoPredictor(data, predictor, width, samples, bytesPerSample, littleEndian) ?? false;
}

/**
 * Decodes one block: `input` may be modified (an uncompressed block's predictor is undone in it). Returns the
 * decoded bytes and the predictor-3 scratch row, to pass again with the next block of the same layout. LZW and
 * the native inflate decode straight into what `allocate` makes; node:zlib's output and a stored block are their own.
 */
export function decodeTile(
  input: Uint8Array,
  coding: TileCoding,
  scratch?: Uint8Array,
  allocate?: ByteAllocator,
): { data: Uint8Array; scratch: Uint8Array | undefined } {
  const data = decompressTile(input, coding.compression, coding.bytes, allocate);
  if (coding.predictor !== 1 && undoPredictorNatively(data, coding)) return { data, scratch };
  if (coding.predictor === 2) undoHorizontalDifferencing(data, coding.layout);
  else if (coding.predictor === 3) return { data, scratch: undoFloatingPointPredictor(data, coding.layout, scratch) };
  return { data, scratch };
}

/**
 * Decodes blocks of one file into shared memory: the decoded-tile cache keeps them and hands them to any worker
 * (and back) without a copy. The worker task `decode-tiles` runs this; `stored` may be modified.
 */
export function decodeTilesShared(coding: TileCoding, stored: readonly Uint8Array[]): Uint8Array[] {
  let scratch: Uint8Array | undefined;
  return stored.map((bytes) => {
    const decoded = decodeTile(bytes, coding, scratch, sharedBytes);
    scratch = decoded.scratch;
    if (decoded.data.buffer instanceof SharedArrayBuffer) return decoded.data;
    const out = sharedBytes(decoded.data.byteLength);
    out.set(decoded.data);
    return out;
  });
}

/** The worker task that decodes tiles: their stored bytes in (transferred), shared decoded tiles out. */
export interface DecodeTilesTask {
  type: 'decode-tiles';
  coding: TileCoding;
  stored: Uint8Array[];
}

export interface DecodeTilesResult {
  tiles: Uint8Array[];
}

export function decodeTilesTask(task: DecodeTilesTask): DecodeTilesResult {
  return { tiles: decodeTilesShared(task.coding, task.stored) };
}
