import { crc32, deflateSync } from 'node:zlib';
import { drawable } from './font.js';
import type { Picture } from './render.js';

/**
 * An opaque picture as PNG (ISO/IEC 15948): 8-bit RGB, node:zlib at level 2, with `tEXt` chunks (keyword, NUL,
 * Latin-1 text: PNG 1.2 §4.2.3, which GDAL reports as metadata) and, for print, a `pHYs` chunk stating the
 * resolution. Synchronous and free of I/O, so a worker thread encodes the chips it composes and only the file
 * crosses back. Measured on 200 dossier chips of the Rusizi tile (330 × 479, mostly flat colour, maps enlarged 4×,
 * repeated rows as Up), best of 3, twice: node:zlib level 2 131-182 ms for 4.8 MB, libdeflate level 2 172-260 ms for
 * 4.1 MB (faster on the COG tiles, workers/deflate.ts, not on these long repeats), zlib level 3 242 ms for 4.5 MB,
 * zlib level 6 about 700 ms for 3.5 MB. Adaptive row filters made these files larger, not smaller. node:zlib also
 * makes a chip's bytes the same whether or not native/inflate is built.
 */

const SIGNATURE = Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10);
const METRES_PER_INCH = 0.0254;

export interface PngOptions {
  /** `tEXt` chunks, in order: [keyword, text]; text outside Latin-1 is spelled in it (font.ts `drawable`). */
  text?: ReadonlyArray<readonly [string, string]>;
  /** Print resolution, dots per inch (a figure's 300); without it, no `pHYs` chunk. */
  dpi?: number;
}

/** One chunk: length, type, data, CRC-32 over type and data (PNG 1.2 §3.2). */
function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function header(width: number, height: number): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data.set([8, 2, 0, 0, 0], 8); // 8 bits per sample, RGB, deflate, filter method 0, no interlace
  return chunk('IHDR', data);
}

function physical(dpi: number): Buffer {
  const perMetre = Math.round(dpi / METRES_PER_INCH);
  const data = Buffer.alloc(9);
  data.writeUInt32BE(perMetre, 0);
  data.writeUInt32BE(perMetre, 4);
  data[8] = 1; // the unit is the metre
  return chunk('pHYs', data);
}

const textChunk = ([keyword, text]: readonly [string, string]) =>
  chunk('tEXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.of(0), Buffer.from(drawable(text), 'latin1')]));

/**
 * The rows as the IDAT stream wants them, the picture's alpha dropped: a row equal to the one above it as filter
 * type 2 (Up, PNG 1.2 §6.3), all zeros; any other row as filter type 0 (None), its bytes as they are. Enlarged
 * maps repeat every row a whole number of times, and a run of zeros costs deflate far less than finding the same
 * row again.
 */
function scanlines({ width, height, rgba }: Picture): Uint8Array {
  const stride = 1 + 3 * width;
  const rows = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const start = y * width * 4;
    if (y > 0 && sameRow(rgba, start - width * 4, start, width)) {
      rows[y * stride] = 2;
      continue;
    }
    let to = y * stride + 1;
    for (let from = start, end = start + width * 4; from < end; from += 4) {
      rows[to++] = rgba[from]!;
      rows[to++] = rgba[from + 1]!;
      rows[to++] = rgba[from + 2]!;
    }
  }
  return rows;
}

/** Whether two rows of RGBA pixels have the same colours (alpha is not written, so not compared). */
function sameRow(rgba: Uint8Array, above: number, row: number, width: number): boolean {
  for (let k = 0; k < width * 4; k += 4) {
    if (rgba[above + k] !== rgba[row + k] || rgba[above + k + 1] !== rgba[row + k + 1]) return false;
    if (rgba[above + k + 2] !== rgba[row + k + 2]) return false;
  }
  return true;
}

export function encodePng(picture: Picture, options: PngOptions = {}): Uint8Array {
  const { width, height } = picture;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`encodePng: the picture is ${width} × ${height} pixels; a PNG needs at least 1 × 1`);
  }
  return new Uint8Array(
    Buffer.concat([
      SIGNATURE,
      header(width, height),
      ...(options.dpi ? [physical(options.dpi)] : []),
      ...(options.text ?? []).map(textChunk),
      chunk('IDAT', deflateSync(scanlines(picture), { level: 2 })),
      chunk('IEND', new Uint8Array(0)),
    ]),
  );
}
