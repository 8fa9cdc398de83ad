/**
 * TIFF LZW decompression (TIFF 6.0 section 13: 9- to 12-bit codes, MSB first, ClearCode 256, EndOfInformation
 * 257, code width growing one code early as libtiff writes it). Each table entry points at where its string was
 * already written in the output (a new entry is the previous string plus one byte, which follows it there), so
 * the string table is two integers per code in one flat Int32Array and emitting a code is a short copy within the
 * output, with no per-code allocation. Pure.
 *
 * Speed (V8): strings of up to 8 bytes (nearly all of them on real rasters) are copied as two unaligned 32-bit
 * words through a DataView, longer ones with copyWithin (memmove): no per-byte loop, whose exit the CPU mispredicts
 * and whose loop check makes V8 re-check the arrays on every byte. The bytes a word copy writes past the string are
 * overwritten by the next string; the word copies are used only while 8 bytes of room are left. A word may read
 * bytes past the source string (up to the current position): they are among those overwritten.
 */

const CLEAR = 256;
const END = 257;
const FIRST = 258;
const MAX_CODES = 4096;

/** Makes the output array of a decode: a plain one, or one in shared memory for a cache that shares it. */
export type ByteAllocator = (bytes: number) => Uint8Array;
const plainBytes: ByteAllocator = (bytes) => new Uint8Array(bytes);

/**
 * Decodes `input` into a new array of `capacity` bytes; null when the data holds more than that (the caller
 * retries with more room). `table[2c]` is where code c's string starts in the output, `table[2c + 1]` its length.
 */
function decodeInto(input: Uint8Array, capacity: number, allocate: ByteAllocator): Uint8Array | null {
  const table = new Int32Array(2 * MAX_CODES);
  const out = allocate(capacity);
  const words = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const codes = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const inputLength = input.length;
  const wordEnd = capacity - 8;
  let position = 0;
  let bitBuffer = 0;
  let bitCount = 0;
  let byteIndex = 0;
  let width = 9;
  let mask = 511;
  let next = FIRST;
  let previousStart = -1;
  let previousLength = 0;
  for (;;) {
    if (bitCount < width) {
      if (byteIndex + 1 < inputLength) {
        bitBuffer = (bitBuffer << 16) | codes.getUint16(byteIndex);
        byteIndex = (byteIndex + 2) | 0;
        bitCount = (bitCount + 16) | 0;
      } else {
        // The last byte; a code cut short by the end of the data ends it (as the stream would at EOI).
        if (byteIndex >= inputLength) break;
        bitBuffer = (bitBuffer << 8) | input[byteIndex]!;
        byteIndex = (byteIndex + 1) | 0;
        bitCount = (bitCount + 8) | 0;
        if (bitCount < width) break;
      }
    }
    bitCount = (bitCount - width) | 0;
    const code = (bitBuffer >>> bitCount) & mask;
    let size = 1;
    if (code < CLEAR) {
      if (position >= capacity) return null;
      out[position] = code;
    } else if (code >= FIRST && code < next) {
      const start = table[2 * code]!;
      size = table[2 * code + 1]!;
      if (size <= 8 && position <= wordEnd) {
        words.setUint32(position, words.getUint32(start, true), true);
        words.setUint32((position + 4) | 0, words.getUint32((start + 4) | 0, true), true);
      } else if (position + size > capacity) return null;
      else out.copyWithin(position, start, start + size);
    } else if (code === next && previousStart >= 0) {
      // KwKwK: the previous string (just before `position`) plus its own first byte.
      size = (previousLength + 1) | 0;
      if (position + size > capacity) return null;
      if (previousLength <= 8 && position <= wordEnd) {
        words.setUint32(position, words.getUint32(previousStart, true), true);
        words.setUint32((position + 4) | 0, words.getUint32((previousStart + 4) | 0, true), true);
      } else out.copyWithin(position, previousStart, position);
      out[position + previousLength] = out[previousStart]!;
    } else if (code === CLEAR) {
      width = 9;
      mask = 511;
      next = FIRST;
      previousStart = -1;
      continue;
    } else if (code === END) break;
    else throw new RangeError(`decodeLzw: code ${code} is beyond the table (${next}): the data is corrupt`);
    if (previousStart >= 0 && next < MAX_CODES) {
      // The new entry is the previous string and the first byte of this one, which follows it in the output.
      table[2 * next] = previousStart;
      table[2 * next + 1] = (previousLength + 1) | 0;
      next = (next + 1) | 0;
      if (next >= mask && width < 12) {
        width = (width + 1) | 0;
        mask = (1 << width) - 1;
      }
    }
    previousStart = position;
    previousLength = size;
    position = (position + size) | 0;
  }
  return position === capacity ? out : out.subarray(0, position);
}

/**
 * The decoded bytes of one LZW stream. `expectedBytes` is the size to allocate (a TIFF tile's or strip's size);
 * when the data holds more, it is decoded again into twice the room. The result fills its own ArrayBuffer when
 * its length is `expectedBytes`. `allocate` makes the output (default: a plain Uint8Array).
 */
export function decodeLzw(
  input: Uint8Array,
  expectedBytes = input.length * 4,
  allocate: ByteAllocator = plainBytes,
): Uint8Array {
  for (let capacity = Math.max(expectedBytes, 16); ; capacity *= 2) {
    const out = decodeInto(input, capacity, allocate);
    if (out) return out;
  }
}
