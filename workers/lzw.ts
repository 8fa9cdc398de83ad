/**
 * TIFF LZW decompression (TIFF 6.0 section 13: 9- to 12-bit codes, MSB first, ClearCode 256, EndOfInformation
 * 257, code width growing one code early as libtiff writes it). A typed-array table with prefix links instead of
 * per-entry arrays: geotiff.js's own decoder spends most of a Bukavu scene's read time allocating.
 */

const CLEAR = 256;
const END = 257;
const FIRST = 258;
const MAX_CODES = 4096;

export function decodeLzw(input: Uint8Array, expectedBytes = input.length * 4): Uint8Array {
  const prefix = new Int32Array(MAX_CODES);
  const suffix = new Uint8Array(MAX_CODES);
  const length = new Uint16Array(MAX_CODES);
  const first = new Uint8Array(MAX_CODES);
  for (let code = 0; code < 256; code++) {
    prefix[code] = -1;
    suffix[code] = code;
    length[code] = 1;
    first[code] = code;
  }
  let out = new Uint8Array(Math.max(expectedBytes, 16));
  let position = 0;
  const ensure = (extra: number) => {
    if (position + extra <= out.length) return;
    const grown = new Uint8Array(Math.max(out.length * 2, position + extra));
    grown.set(out.subarray(0, position));
    out = grown;
  };
  const write = (code: number) => {
    const size = length[code]!;
    ensure(size);
    let at = position + size - 1;
    for (let c = code; c >= 0; c = prefix[c]!) out[at--] = suffix[c]!;
    position += size;
  };

  let bitBuffer = 0;
  let bitCount = 0;
  let byteIndex = 0;
  let width = 9;
  let next = FIRST;
  let previous = -1;
  for (;;) {
    while (bitCount < width) {
      if (byteIndex >= input.length) return out.subarray(0, position);
      bitBuffer = ((bitBuffer << 8) | input[byteIndex++]!) >>> 0;
      bitCount += 8;
    }
    const code = (bitBuffer >>> (bitCount - width)) & ((1 << width) - 1);
    bitCount -= width;
    bitBuffer &= (1 << bitCount) - 1;
    if (code === END) break;
    if (code === CLEAR) {
      width = 9;
      next = FIRST;
      previous = -1;
      continue;
    }
    if (previous < 0) {
      if (code > 255) throw new RangeError(`decodeLzw: stream starts with code ${code}, not a literal`);
      write(code);
      previous = code;
      continue;
    }
    if (code < next) {
      write(code);
      if (next < MAX_CODES) {
        prefix[next] = previous;
        suffix[next] = first[code]!;
        length[next] = length[previous]! + 1;
        first[next] = first[previous]!;
        next++;
      }
    } else if (code === next && next < MAX_CODES) {
      prefix[next] = previous;
      suffix[next] = first[previous]!;
      length[next] = length[previous]! + 1;
      first[next] = first[previous]!;
      next++;
      write(code);
    } else {
      throw new RangeError(`decodeLzw: code ${code} is beyond the table (${next}): the data is corrupt`);
    }
    previous = code;
    if (next + 1 >= 1 << width && width < 12) width++;
  }
  return out.subarray(0, position);
}
