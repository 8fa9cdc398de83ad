/**
 * TIFF LZW decompression (TIFF 6.0 section 13: 9- to 12-bit codes, MSB first, ClearCode 256, EndOfInformation
 * 257, code width growing one code early as libtiff writes it). Each table entry points at where its string was
 * already written in the output (a new entry is the previous string plus one byte, which follows it there), so
 * emitting a code is a short forward copy, with no per-entry allocation. Pure.
 */

const CLEAR = 256;
const END = 257;
const FIRST = 258;
const MAX_CODES = 4096;

export function decodeLzw(input: Uint8Array, expectedBytes = input.length * 4): Uint8Array {
  const offsets = new Int32Array(MAX_CODES);
  const lengths = new Uint16Array(MAX_CODES);
  let out = new Uint8Array(Math.max(expectedBytes, 16));
  let position = 0;
  let bitBuffer = 0;
  let bitCount = 0;
  let byteIndex = 0;
  let width = 9;
  let mask = 511;
  let next = FIRST;
  let previousStart = -1;
  let previousLength = 0;
  const inputLength = input.length;
  for (;;) {
    while (bitCount < width) {
      if (byteIndex >= inputLength) return out.subarray(0, position);
      bitBuffer = ((bitBuffer << 8) | input[byteIndex++]!) & 0xffffff;
      bitCount += 8;
    }
    const code = (bitBuffer >>> (bitCount - width)) & mask;
    bitCount -= width;
    if (code === END) break;
    if (code === CLEAR) {
      width = 9;
      mask = 511;
      next = FIRST;
      previousStart = -1;
      continue;
    }
    let start: number;
    let size: number;
    if (code < 256) {
      start = -1;
      size = 1;
    } else if (code < next) {
      start = offsets[code]!;
      size = lengths[code]!;
    } else if (code === next && previousStart >= 0) {
      // KwKwK: the previous string plus its own first byte, which the forward copy below reproduces.
      start = previousStart;
      size = previousLength + 1;
    } else {
      throw new RangeError(`decodeLzw: code ${code} is beyond the table (${next}): the data is corrupt`);
    }
    if (position + size > out.length) {
      const grown = new Uint8Array(Math.max(out.length * 2, position + size));
      grown.set(out.subarray(0, position));
      out = grown;
    }
    if (start < 0) out[position] = code;
    else for (let k = 0; k < size; k++) out[position + k] = out[start + k]!;
    if (previousStart >= 0 && next < MAX_CODES) {
      // The new entry is the previous string and the first byte of this one, which follows it in the output.
      offsets[next] = previousStart;
      lengths[next] = previousLength + 1;
      next++;
      if (next + 1 >= 1 << width && width < 12) {
        width++;
        mask = (1 << width) - 1;
      }
    }
    previousStart = position;
    previousLength = size;
    position += size;
  }
  return out.subarray(0, position);
}
