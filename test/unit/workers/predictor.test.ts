import { describe, expect, it } from 'vitest';
import {
  type PredictorLayout,
  undoFloatingPointPredictor,
  undoHorizontalDifferencing,
} from '../../../workers/predictor.js';

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const randomBytes = (length: number, seed: number) => {
  const next = random(seed);
  return Uint8Array.from({ length }, () => Math.floor(next() * 256));
};

/**
 * Predictor 2 as an encoder writes it (libtiff horDiff): each sample minus the one `samples` before it in the row,
 * as unsigned integers of the sample's size in the file's byte order. Byte-wise with borrow, independent of the
 * decoder's typed-array paths.
 */
function encodeDifferencing(raw: Uint8Array, layout: PredictorLayout): Uint8Array {
  const { width, samples, bytesPerSample: size, littleEndian } = layout;
  const out = raw.slice();
  const rowBytes = width * samples * size;
  const stride = samples * size;
  for (let start = 0; start < raw.length; start += rowBytes) {
    const end = Math.min(start + rowBytes, raw.length - (raw.length % size));
    for (let at = start + stride; at < end; at += size) {
      let borrow = 0;
      for (let k = 0; k < size; k++) {
        const index = at + (littleEndian ? k : size - 1 - k);
        const difference = raw[index]! - raw[index - stride]! - borrow;
        out[index] = difference & 0xff;
        borrow = difference < 0 ? 1 : 0;
      }
    }
  }
  return out;
}

/** Predictor 3 as an encoder writes it (libtiff fpDiff): planes MSB first, then byte differences, per whole row. */
function encodeFloatingPoint(raw: Uint8Array, layout: PredictorLayout): Uint8Array {
  const { width, samples, bytesPerSample: size, littleEndian } = layout;
  const values = width * samples;
  const rowBytes = values * size;
  const out = raw.slice();
  for (let base = 0; base + rowBytes <= raw.length; base += rowBytes) {
    for (let i = 0; i < values; i++) {
      for (let plane = 0; plane < size; plane++) {
        out[base + plane * values + i] = raw[base + i * size + (littleEndian ? size - 1 - plane : plane)]!;
      }
    }
    for (let j = rowBytes - 1; j >= samples; j--) out[base + j] = (out[base + j]! - out[base + j - samples]!) & 0xff;
  }
  return out;
}

const layouts: Array<[string, PredictorLayout, number]> = [
  ['UInt8, 1 sample, odd width', { width: 7, samples: 1, bytesPerSample: 1, littleEndian: true }, 5],
  ['UInt8, 3 samples (RGB)', { width: 5, samples: 3, bytesPerSample: 1, littleEndian: true }, 4],
  ['UInt16 little-endian, 1 sample, odd width', { width: 13, samples: 1, bytesPerSample: 2, littleEndian: true }, 6],
  ['UInt16 little-endian, 2 samples', { width: 9, samples: 2, bytesPerSample: 2, littleEndian: true }, 3],
  ['UInt16 big-endian', { width: 11, samples: 1, bytesPerSample: 2, littleEndian: false }, 4],
  ['UInt32 little-endian', { width: 5, samples: 1, bytesPerSample: 4, littleEndian: true }, 3],
  ['UInt32 big-endian, 2 samples', { width: 3, samples: 2, bytesPerSample: 4, littleEndian: false }, 3],
  ['64-bit little-endian', { width: 4, samples: 1, bytesPerSample: 8, littleEndian: true }, 2],
  ['UInt16, one row', { width: 512, samples: 1, bytesPerSample: 2, littleEndian: true }, 1],
  ['UInt16, one pixel per row', { width: 1, samples: 1, bytesPerSample: 2, littleEndian: true }, 6],
];

describe('undoHorizontalDifferencing (predictor 2)', () => {
  it.each(layouts)('restores what the encoder differenced: %s', (_name, layout, rows) => {
    const raw = randomBytes(layout.width * layout.samples * layout.bytesPerSample * rows, rows * 31 + layout.width);
    const block = encodeDifferencing(raw, layout);
    undoHorizontalDifferencing(block, layout);
    expect(block).toEqual(raw);
  });

  it('wraps around: 65535 then +1 is 0 (UInt16), 255 then +2 is 1 (UInt8)', () => {
    const words = Uint16Array.of(65535, 1, 65535);
    undoHorizontalDifferencing(new Uint8Array(words.buffer), {
      width: 3,
      samples: 1,
      bytesPerSample: 2,
      littleEndian: true,
    });
    expect([...words]).toEqual([65535, 0, 65535]);
    const bytes = Uint8Array.of(255, 2, 0);
    undoHorizontalDifferencing(bytes, { width: 3, samples: 1, bytesPerSample: 1, littleEndian: true });
    expect([...bytes]).toEqual([255, 1, 1]);
  });

  it.each([1, 2, 3, 5])('UInt16, even width, a short last row of %i samples (two samples per word)', (tail) => {
    const layout = { width: 8, samples: 1, bytesPerSample: 2, littleEndian: true };
    const raw = randomBytes(8 * 2 * 2 + tail * 2, tail);
    const block = encodeDifferencing(raw, layout);
    undoHorizontalDifferencing(block, layout);
    expect(block).toEqual(raw);
  });

  it('undoes a strip that ends in a short row (the last strip of an image), and a block at an odd byte offset', () => {
    const layout = { width: 6, samples: 1, bytesPerSample: 2, littleEndian: true };
    const raw = randomBytes(6 * 2 * 3 + 8, 7); // three rows and four samples of a fourth
    const block = encodeDifferencing(raw, layout);
    undoHorizontalDifferencing(block, layout);
    expect(block).toEqual(raw);
    const shifted = new Uint8Array(raw.length + 1);
    shifted.set(encodeDifferencing(raw, layout), 1);
    const view = shifted.subarray(1);
    undoHorizontalDifferencing(view, layout); // not 2-byte aligned: the byte-wise path
    expect(view).toEqual(raw);
  });
});

describe('undoFloatingPointPredictor (predictor 3)', () => {
  const floatLayouts: Array<[string, PredictorLayout, number]> = [
    ['Float32 little-endian, odd width', { width: 7, samples: 1, bytesPerSample: 4, littleEndian: true }, 5],
    ['Float32 little-endian, 2 samples', { width: 5, samples: 2, bytesPerSample: 4, littleEndian: true }, 3],
    ['Float32 big-endian', { width: 6, samples: 1, bytesPerSample: 4, littleEndian: false }, 4],
    ['Float64 little-endian', { width: 3, samples: 1, bytesPerSample: 8, littleEndian: true }, 3],
    ['Float16 big-endian', { width: 9, samples: 1, bytesPerSample: 2, littleEndian: false }, 2],
    ['Float32, one row of 256', { width: 256, samples: 1, bytesPerSample: 4, littleEndian: true }, 1],
    ['Float32, width 12 (whole words), 3 rows', { width: 12, samples: 1, bytesPerSample: 4, littleEndian: true }, 3],
    ['Float32, one pixel per row', { width: 1, samples: 1, bytesPerSample: 4, littleEndian: true }, 4],
  ];
  it.each(floatLayouts)('restores what the encoder shuffled and differenced: %s', (_name, layout, rows) => {
    const raw = randomBytes(layout.width * layout.samples * layout.bytesPerSample * rows, rows * 17 + layout.width);
    const block = encodeFloatingPoint(raw, layout);
    undoFloatingPointPredictor(block, layout);
    expect(block).toEqual(raw);
  });

  it('gives real floats back, NaN payloads included, and reuses its scratch row', () => {
    const values = Float32Array.of(0.1234, -5.5, NaN, Infinity, -0, 1e-40, 3.4e38, 0.5);
    const raw = new Uint8Array(values.buffer.slice(0));
    const layout = { width: 4, samples: 1, bytesPerSample: 4, littleEndian: true };
    const block = encodeFloatingPoint(raw, layout);
    const scratch = new Uint8Array(64);
    expect(undoFloatingPointPredictor(block, layout, scratch)).toBe(scratch);
    expect(block).toEqual(raw);
  });

  it('leaves a short last row as it is', () => {
    const layout = { width: 4, samples: 1, bytesPerSample: 4, littleEndian: true };
    const raw = randomBytes(16 * 2 + 8, 3);
    const block = encodeFloatingPoint(raw, layout);
    const tail = block.slice(32);
    undoFloatingPointPredictor(block, layout);
    expect(block.subarray(0, 32)).toEqual(raw.subarray(0, 32));
    expect(block.subarray(32)).toEqual(tail);
  });
});
