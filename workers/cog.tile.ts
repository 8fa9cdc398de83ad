import type { TypedArray } from 'geotiff';
import { deflateZlib } from './deflate.js';
import { TYPED_ARRAYS, type DataType } from './tile.window.js';

/**
 * One tile of a COG as stored: the TIFF predictor applied (2, horizontal differencing, for integers; 3, the
 * floating-point predictor of TIFF Technical Note 3, for floats), then DEFLATE at level 6 (workers/deflate.ts).
 * Pure, so the COG writer (pipeline/io/cog.writer.ts) has its tiles compressed in the run's worker threads while it
 * goes on.
 */

/** TIFF SampleFormat of each sample type: 1 unsigned integer, 2 signed integer, 3 floating point. */
export const SAMPLE_FORMATS: Readonly<Record<DataType, 1 | 2 | 3>> = {
  uint8: 1,
  int8: 2,
  uint16: 1,
  int16: 2,
  uint32: 1,
  int32: 2,
  float32: 3,
  float64: 3,
};

/** TIFF BitsPerSample of a sample type. */
export const sampleBits = (dataType: DataType): number => TYPED_ARRAYS[dataType].BYTES_PER_ELEMENT * 8;

/** Horizontal differencing (predictor 2) of one tile, in place, per sample with stride `samples`. */
function predictIntegers(tile: TypedArray, tileSize: number, samples: number): void {
  const rowLength = tileSize * samples;
  for (let row = 0; row < tileSize; row++) {
    const start = row * rowLength;
    for (let i = rowLength - 1; i >= samples; i--) tile[start + i] = tile[start + i]! - tile[start + i - samples]!;
  }
}

/**
 * The float predictor's planes: one buffer per thread, reused, as a tile is deflated before the next is predicted
 * (a new megabyte per tile was a third of what a run allocated); one over {@link KEPT_PLANES} is not kept.
 */
let planes = new Uint8Array(0);
const KEPT_PLANES = 4 * 1024 * 1024;

/** Floating-point predictor (TIFF Technical Note 3): bytes of each row split into planes, MSB first, then differenced. */
function predictFloats(bytes: Uint8Array, tileSize: number, samples: number, bytesPerSample: number): Uint8Array {
  const out = bytes.length <= planes.length ? planes.subarray(0, bytes.length) : new Uint8Array(bytes.length);
  if (out.length <= KEPT_PLANES && out.buffer !== planes.buffer) planes = out;
  const values = tileSize * samples;
  const rowBytes = values * bytesPerSample;
  for (let row = 0; row < tileSize; row++) {
    const base = row * rowBytes;
    for (let value = 0; value < values; value++) {
      for (let byte = 0; byte < bytesPerSample; byte++) {
        // Little-endian input: byte `byte` of a value goes to plane bytesPerSample − 1 − byte (MSB plane first).
        out[base + (bytesPerSample - 1 - byte) * values + value] = bytes[base + value * bytesPerSample + byte]!;
      }
    }
    for (let i = rowBytes - 1; i >= samples; i--) out[base + i] = (out[base + i]! - out[base + i - samples]!) & 0xff;
  }
  return out;
}

/** A whole tile (`tileSize`², samples interleaved) as stored; an integer tile is differenced in place. */
export function encodeTile(tile: TypedArray, tileSize: number, samples: number, dataType: DataType): Uint8Array {
  const format = SAMPLE_FORMATS[dataType];
  if (format === undefined) throw new RangeError(`encodeTile: no TIFF sample type ${JSON.stringify(dataType)}`);
  let bytes: Uint8Array;
  if (format === 3) {
    const bytesPerSample = TYPED_ARRAYS[dataType].BYTES_PER_ELEMENT;
    bytes = predictFloats(
      new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength),
      tileSize,
      samples,
      bytesPerSample,
    );
  } else {
    predictIntegers(tile, tileSize, samples);
    bytes = new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
  }
  return deflateZlib(bytes, 6);
}

/** A tile's stored bytes, and the tile's array handed back for the writer to fill again (its values predicted). */
export interface EncodedTile {
  bytes: Uint8Array;
  tile: TypedArray;
}

/**
 * Compresses a whole tile elsewhere (a worker thread, with {@link encodeTile}); `tile` is no longer the caller's
 * until it comes back with the bytes.
 */
export type TileEncoder = (
  tile: TypedArray,
  tileSize: number,
  samples: number,
  dataType: DataType,
) => Promise<EncodedTile>;

/** The worker task that encodes one COG tile: the tile in (transferred), its stored bytes and the tile out. */
export interface EncodeTileTask {
  type: 'encode-tile';
  tile: TypedArray;
  tileSize: number;
  samples: number;
  dataType: DataType;
}

export function encodeTileTask(task: EncodeTileTask): EncodedTile {
  return { bytes: encodeTile(task.tile, task.tileSize, task.samples, task.dataType), tile: task.tile };
}
