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

/**
 * Undoes the byte differencing of one row of 32-bit words (one sample per pixel, little-endian host): from `from`
 * at word `first` into `to`, four bytes at a time. The word's even and odd bytes go into two words of 16-bit lanes,
 * where sums of up to four bytes and the carry cannot spill into the next lane: the odd bytes' running sums are the
 * pair sums plus the lower pair's shifted up, the even bytes' the lone byte plus that, then each lane is cut to its
 * byte. The word views are made once per block, not per row.
 */
function sumRowWords(from: Int32Array, first: number, words: number, to: Int32Array): void {
  let carried = 0;
  for (let w = 0; w < words; w++) {
    const word = from[first + w]!;
    const even = word & 0x00ff00ff;
    const pairs = even + ((word >>> 8) & 0x00ff00ff);
    const lower = (pairs << 16) + carried;
    const odd = pairs + lower;
    to[w] = ((even + lower) & 0x00ff00ff) | ((odd & 0x00ff00ff) << 8);
    const last = (odd >>> 16) & 0xff;
    carried = last | (last << 16);
  }
}

/** Undoes the byte differencing of one row, byte by byte: from `block` at `base` into `scratch`, stride `samples`. */
function sumRowBytes(block: Uint8Array, base: number, rowBytes: number, samples: number, scratch: Uint8Array): void {
  for (let j = 0; j < samples; j++) scratch[j] = block[base + j]!;
  for (let j = samples; j < rowBytes; j++) scratch[j] = scratch[j - samples]! + block[base + j]!;
}

/**
 * Gathers the four byte planes of a Float32 row (in `planes`, most significant plane first, `values` a multiple of
 * 4) into host-order words at `first` of `out`, on a little-endian host: four samples at a time, a 4×4 byte
 * transpose of one word of each plane.
 */
function gatherWords(planes: Int32Array, values: number, out: Int32Array, first: number): void {
  const quarter = values >> 2;
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
}

/** Gathers the byte planes of a row (in `row`) back into samples of the file's byte order, byte by byte. */
function gatherBytes(row: Uint8Array, block: Uint8Array, base: number, layout: PredictorLayout): void {
  const { bytesPerSample: size, littleEndian } = layout;
  const values = layout.width * layout.samples;
  for (let i = 0; i < values; i++) {
    for (let plane = 0; plane < size; plane++) {
      block[base + i * size + (littleEndian ? size - 1 - plane : plane)] = row[plane * values + i]!;
    }
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
  const { bytesPerSample: size, samples } = layout;
  const values = layout.width * samples;
  const rowBytes = values * size;
  const row = scratch && scratch.length >= rowBytes ? scratch : new Uint8Array(rowBytes);
  const rows = rowBytes === 0 ? 0 : Math.floor(block.length / rowBytes);
  const inWords =
    HOST_LITTLE_ENDIAN &&
    size === 4 &&
    samples === 1 &&
    layout.littleEndian &&
    values % 4 === 0 &&
    block.byteOffset % 4 === 0 &&
    row.byteOffset % 4 === 0;
  if (inWords) {
    const words = new Int32Array(block.buffer, block.byteOffset, rows * values);
    const planes = new Int32Array(row.buffer, row.byteOffset, values);
    for (let first = 0; first < rows * values; first += values) {
      sumRowWords(words, first, values, planes);
      gatherWords(planes, values, words, first);
    }
    return row;
  }
  for (let r = 0; r < rows; r++) {
    sumRowBytes(block, r * rowBytes, rowBytes, samples, row);
    gatherBytes(row, block, r * rowBytes, layout);
  }
  return row;
}
