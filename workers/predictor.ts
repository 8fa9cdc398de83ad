/**
 * Undoing the TIFF predictors on a decoded tile or strip, in place (TIFF 6.0 section 14, predictor 2: horizontal
 * differencing; TIFF Technical Note 3 (Adobe, 2005), predictor 3: floating point, each row's bytes split into
 * planes, most significant byte first, then differenced byte by byte). Rows are independent; every row of the block
 * holds `width` pixels of `samples` interleaved samples. The result is in the file's byte order, as libtiff leaves
 * it (a big-endian file's samples stay big-endian), so readers that honour the byte order read it right. Pure.
 *
 * Speed: one typed-array loop per row on a view of the file's sample width (Uint16Array for UInt16) when the file's
 * byte order is the host's and the block is aligned, with no call per sample; otherwise a byte-wise loop with carry.
 * Predictor 3 uses one scratch row: differences undone from the block into it, then the planes gathered back.
 */

/** Byte order of this machine: typed arrays use it. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One decoded block as the predictor sees it. */
export interface PredictorLayout {
  /** Pixels in a row (the tile width, or the image width for strips). */
  width: number;
  /** Interleaved samples per pixel in this block (1 when each band has its own blocks, PlanarConfiguration 2). */
  samples: number;
  /** Bytes per sample: 1, 2, 4 or 8. */
  bytesPerSample: number;
  /** The file's byte order (TIFF header II). */
  littleEndian: boolean;
}

/**
 * Running sums along each row of `values`, per sample with stride `samples`, wrapped by `mask` (the sample's
 * bits). Unrolled by four for one sample per pixel: V8 re-checks a typed array after each loop turn.
 */
function accumulateRows(
  values: Uint8Array | Uint16Array | Uint32Array,
  rowLength: number,
  samples: number,
  mask: number,
): void {
  const length = values.length;
  for (let start = 0; start < length; start += rowLength) {
    const end = Math.min(start + rowLength, length);
    if (samples === 1) {
      let sum = values[start]!;
      let i = start + 1;
      for (; i + 3 < end; i += 4) {
        sum = (sum + values[i]!) & mask;
        values[i] = sum;
        sum = (sum + values[i + 1]!) & mask;
        values[i + 1] = sum;
        sum = (sum + values[i + 2]!) & mask;
        values[i + 2] = sum;
        sum = (sum + values[i + 3]!) & mask;
        values[i + 3] = sum;
      }
      for (; i < end; i++) {
        sum = (sum + values[i]!) & mask;
        values[i] = sum;
      }
    } else {
      for (let i = start + samples; i < end; i++) values[i] = values[i]! + values[i - samples]!;
    }
  }
}

/**
 * Running sums of UInt16 samples along rows of even length, one sample per pixel, two samples per 32-bit word
 * (little-endian host: the first sample is the low half): half the loop turns of {@link accumulateRows}.
 */
function accumulatePairs(words: Int32Array, rowWords: number): void {
  for (let start = 0; start < words.length; start += rowWords) {
    const end = Math.min(start + rowWords, words.length);
    let sum = 0;
    for (let w = start; w < end; w++) {
      const pair = words[w]!;
      const low = (sum + pair) & 0xffff;
      sum = (low + (pair >>> 16)) & 0xffff;
      words[w] = low | (sum << 16);
    }
  }
}

/** Predictor 2 on any sample size and byte order: each sample plus the one `samples` before it, byte by byte. */
function accumulateBytes(block: Uint8Array, layout: PredictorLayout): void {
  const { bytesPerSample: size, samples, littleEndian } = layout;
  const rowBytes = layout.width * samples * size;
  const stride = samples * size;
  const usable = block.length - (block.length % size);
  for (let start = 0; start < usable; start += rowBytes) {
    const end = Math.min(start + rowBytes, usable);
    for (let at = start + stride; at < end; at += size) {
      let carry = 0;
      for (let k = 0; k < size; k++) {
        // Least significant byte first: the carry runs towards the most significant one.
        const index = at + (littleEndian ? k : size - 1 - k);
        const sum = block[index]! + block[index - stride]! + carry;
        block[index] = sum;
        carry = sum >> 8;
      }
    }
  }
}

/** Undoes horizontal differencing (predictor 2) in place. A short last row (a strip's end) is undone too. */
export function undoHorizontalDifferencing(block: Uint8Array, layout: PredictorLayout): void {
  const { width, samples, bytesPerSample: size } = layout;
  const rowLength = width * samples;
  if (size === 1) return accumulateRows(block, rowLength, samples, 0xff);
  const native = layout.littleEndian === HOST_LITTLE_ENDIAN && block.byteOffset % size === 0;
  if (native && HOST_LITTLE_ENDIAN && size === 2 && samples === 1 && width % 2 === 0 && block.byteOffset % 4 === 0) {
    const words = new Int32Array(block.buffer, block.byteOffset, block.length >> 2);
    accumulatePairs(words, width >> 1);
    // A short last row (a strip's end) of an odd number of samples: its last sample is not in a whole word.
    const count = block.length >> 1;
    if (count % 2 === 1 && (count - 1) % width !== 0) {
      const values = new Uint16Array(block.buffer, block.byteOffset, count);
      values[count - 1] = values[count - 1]! + values[count - 2]!;
    }
    return;
  }
  if (native && (size === 2 || size === 4)) {
    const count = Math.floor(block.length / size);
    const { buffer, byteOffset } = block;
    const values = size === 2 ? new Uint16Array(buffer, byteOffset, count) : new Uint32Array(buffer, byteOffset, count);
    return accumulateRows(values, rowLength, samples, size === 2 ? 0xffff : 0xffffffff);
  }
  accumulateBytes(block, layout);
}

/** Adds the four bytes of two 32-bit words lane by lane, each modulo 256 (no carry from one byte to the next). */
function addBytes(x: number, y: number): number {
  return ((x & 0x7f7f7f7f) + (y & 0x7f7f7f7f)) ^ ((x ^ y) & 0x80808080);
}

/**
 * Undoes the byte differencing of one row: from `block` at `base` into `scratch`, stride `samples`. With one sample
 * per pixel on a little-endian host and aligned rows, four bytes at a time in 32-bit words: the running sums inside
 * a word by two lane-wise additions of the word shifted, then the sum carried in from the previous byte.
 */
function sumRowBytes(block: Uint8Array, base: number, rowBytes: number, samples: number, scratch: Uint8Array): void {
  if (samples === 1 && HOST_LITTLE_ENDIAN && (block.byteOffset + base) % 4 === 0 && scratch.byteOffset % 4 === 0) {
    const words = rowBytes >> 2;
    const from = new Int32Array(block.buffer, block.byteOffset + base, words);
    const to = new Int32Array(scratch.buffer, scratch.byteOffset, words);
    let carried = 0;
    for (let w = 0; w < words; w++) {
      let sums = from[w]!;
      sums = addBytes(sums, sums << 8);
      sums = addBytes(sums, sums << 16);
      sums = addBytes(sums, Math.imul(carried, 0x01010101));
      to[w] = sums;
      carried = sums >>> 24;
    }
    for (let j = words * 4; j < rowBytes; j++) {
      carried = (carried + block[base + j]!) & 0xff;
      scratch[j] = carried;
    }
    return;
  }
  for (let j = 0; j < samples; j++) scratch[j] = block[base + j]!;
  for (let j = samples; j < rowBytes; j++) scratch[j] = scratch[j - samples]! + block[base + j]!;
}

/**
 * Gathers the four byte planes of a Float32 row (in `scratch`, most significant plane first) into host-order words
 * at `first`: on a little-endian host, four samples at a time, a 4×4 byte transpose of one word of each plane.
 */
function gatherWords(scratch: Uint8Array, values: number, out: Int32Array, first: number): void {
  if (HOST_LITTLE_ENDIAN && values % 4 === 0 && scratch.byteOffset % 4 === 0) {
    const quarter = values >> 2;
    const planes = new Int32Array(scratch.buffer, scratch.byteOffset, values);
    for (let w = 0; w < quarter; w++) {
      const a = planes[w]!;
      const b = planes[quarter + w]!;
      const c = planes[2 * quarter + w]!;
      const d = planes[3 * quarter + w]!;
      const at = first + 4 * w;
      out[at] = ((a & 0xff) << 24) | ((b & 0xff) << 16) | ((c & 0xff) << 8) | (d & 0xff);
      out[at + 1] = ((a & 0xff00) << 16) | ((b & 0xff00) << 8) | (c & 0xff00) | ((d >>> 8) & 0xff);
      out[at + 2] = ((a & 0xff0000) << 8) | (b & 0xff0000) | ((c >>> 8) & 0xff00) | ((d >>> 16) & 0xff);
      out[at + 3] = (a & 0xff000000) | ((b >>> 8) & 0xff0000) | ((c >>> 16) & 0xff00) | (d >>> 24);
    }
    return;
  }
  for (let i = 0; i < values; i++) {
    out[first + i] =
      (scratch[i]! << 24) | (scratch[values + i]! << 16) | (scratch[2 * values + i]! << 8) | scratch[3 * values + i]!;
  }
}

/**
 * Undoes the floating-point predictor (predictor 3) in place; `scratch` (at least one row of bytes) is reused when
 * given. Returns the scratch row so a decoder can keep it for its next block. A short last row is left as it is
 * (libtiff refuses it).
 */
export function undoFloatingPointPredictor(
  block: Uint8Array,
  layout: PredictorLayout,
  scratch?: Uint8Array,
): Uint8Array {
  const { bytesPerSample: size, samples, littleEndian } = layout;
  const values = layout.width * samples;
  const rowBytes = values * size;
  const row = scratch && scratch.length >= rowBytes ? scratch : new Uint8Array(rowBytes);
  const rows = rowBytes === 0 ? 0 : Math.floor(block.length / rowBytes);
  const words =
    size === 4 && littleEndian === HOST_LITTLE_ENDIAN && block.byteOffset % 4 === 0
      ? new Int32Array(block.buffer, block.byteOffset, rows * values)
      : undefined;
  for (let r = 0; r < rows; r++) {
    const base = r * rowBytes;
    sumRowBytes(block, base, rowBytes, samples, row);
    if (words) gatherWords(row, values, words, base / 4);
    else {
      for (let i = 0; i < values; i++) {
        for (let plane = 0; plane < size; plane++) {
          block[base + i * size + (littleEndian ? size - 1 - plane : plane)] = row[plane * values + i]!;
        }
      }
    }
  }
  return row;
}
