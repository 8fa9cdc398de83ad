import type { PixelWindow } from './grid.js';
import { nativeInflate } from './inflate.native.js';

/**
 * A raster window from its decoded tiles: each tile the window touches (shared memory, from the decoded-tile cache
 * of pipeline/io/cog.reader.ts) and where it lies. The main thread fetches and has the tiles decoded; whoever
 * assembles the window (the worker computing a block, or the main thread for a plain window read) copies each
 * band's part of every tile into place here. Pure.
 */

export type DataType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

export const TYPED_ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export type WindowArray = InstanceType<(typeof TYPED_ARRAYS)[DataType]>;

/** Integer views by bytes per sample, to copy samples as bits (a Float32 NaN payload stays as it is). */
const SAMPLE_BITS = { 1: Uint8Array, 2: Uint16Array, 4: Int32Array, 8: Float64Array } as const;
type SampleBits = InstanceType<(typeof SAMPLE_BITS)[keyof typeof SAMPLE_BITS]>;

export interface WindowTile {
  tx: number;
  ty: number;
  /** The band this tile holds (PlanarConfiguration 2), else 0: the tile holds every band, interleaved. */
  sample: number;
  /** Rows of the block (a last strip may be short). */
  rows: number;
  /** The decoded tile (shared memory from the cache: sent to a worker, not transferred). */
  data: Uint8Array;
}

export interface TiledWindow {
  /** The window asked for, in the level's pixels (end-exclusive; may reach outside the image). */
  window: PixelWindow;
  dataType: DataType;
  /** Value of the window's pixels outside the image. */
  fill: number;
  /** The bands to assemble (0-based samples), in output order. */
  bands: number[];
  /** PlanarConfiguration 2: one tile per band. */
  planar: boolean;
  /** Samples per pixel of the image. */
  samples: number;
  tileWidth: number;
  tileHeight: number;
  imageWidth: number;
  imageHeight: number;
  tiles: WindowTile[];
}

/** A view of a tile's bytes as `Typed` samples; a tile not aligned to the sample size is copied first. */
export function samplesOf<T>(
  data: Uint8Array,
  Typed: { BYTES_PER_ELEMENT: number; new (buffer: ArrayBuffer, byteOffset: number, length: number): T },
): T {
  const bytes = Typed.BYTES_PER_ELEMENT;
  const aligned = data.byteOffset % bytes === 0 ? data : data.slice();
  return new Typed(aligned.buffer as ArrayBuffer, aligned.byteOffset, Math.floor(aligned.byteLength / bytes));
}

/** An integer view of a tile's samples, to copy them as bits. */
const bitsOf = (data: Uint8Array, bytes: 1 | 2 | 4 | 8): SampleBits => samplesOf<SampleBits>(data, SAMPLE_BITS[bytes]);

/** `count` samples from `view` at `source`, every `stride`-th (one band of interleaved pixels), to `out` at `target`. */
function copyStrided(
  out: SampleBits,
  view: SampleBits,
  target: number,
  source: number,
  count: number,
  stride: number,
): void {
  for (let x = 0; x < count; x++) out[target + x] = view[source + x * stride]!;
}

/** The window's pixels, one array per band asked for (row-major, the window's width × height). */
export function assembleWindow(tiled: TiledWindow): WindowArray[] {
  const { window, tileWidth, tileHeight, samples } = tiled;
  const Typed = TYPED_ARRAYS[tiled.dataType];
  const bytes = Typed.BYTES_PER_ELEMENT as 1 | 2 | 4 | 8;
  const width = window.x1 - window.x0;
  const height = window.y1 - window.y0;
  const bands = tiled.bands.map(() => {
    const out = new Typed(width * height);
    if (tiled.fill !== 0) out.fill(tiled.fill);
    return out;
  });
  const outs = bands.map((band) => new SAMPLE_BITS[bytes](band.buffer, band.byteOffset, band.length));
  const x0 = Math.max(0, window.x0);
  const y0 = Math.max(0, window.y0);
  const x1 = Math.min(tiled.imageWidth, window.x1);
  const y1 = Math.min(tiled.imageHeight, window.y1);
  for (const tile of tiled.tiles) {
    const view = bitsOf(tile.data, bytes);
    const top = Math.max(y0, tile.ty * tileHeight);
    const bottom = Math.min(y1, (tile.ty + 1) * tileHeight, tile.ty * tileHeight + tile.rows);
    const left = Math.max(x0, tile.tx * tileWidth);
    const right = Math.min(x1, (tile.tx + 1) * tileWidth);
    const stride = tiled.planar ? 1 : samples;
    tiled.bands.forEach((sample, band) => {
      if (tiled.planar && sample !== tile.sample) return;
      const offset = tiled.planar ? 0 : sample;
      const out = outs[band]!;
      const first = ((top - tile.ty * tileHeight) * tileWidth + (left - tile.tx * tileWidth)) * stride + offset;
      const last = first + ((bottom - top - 1) * tileWidth + (right - left - 1)) * stride;
      // One native call per tile and band: memcpy rows (V8 copies from shared memory word by word). A tile short of
      // its rows (a damaged stream) is left to the loops below, which read what it has.
      if (nativeInflate && bottom > top && right > left && (last + 1) * bytes <= tile.data.byteLength) {
        const target = (top - window.y0) * width + (left - window.x0);
        const [rowBytes, step] = [tileWidth * stride * bytes, stride * bytes];
        const into = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
        const args = [into, target * bytes, width * bytes, bytes, right - left, bottom - top] as const;
        return nativeInflate.copySamples(tile.data, first * bytes, rowBytes, step, ...args);
      }
      for (let y = top; y < bottom; y++) {
        const source = ((y - tile.ty * tileHeight) * tileWidth + (left - tile.tx * tileWidth)) * stride + offset;
        const target = (y - window.y0) * width + (left - window.x0);
        if (stride === 1) out.set(view.subarray(source, source + (right - left)) as never, target);
        else copyStrided(out, view, target, source, right - left, stride);
      }
    });
  }
  return bands;
}
