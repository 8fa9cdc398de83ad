import { createRequire } from 'node:module';

/**
 * The native decoders (native/inflate/inflate.c: libdeflate's inflate, what GDAL inflates TIFF tiles with, 1.7-2.2×
 * node:zlib on real tiles; the TIFF predictors; LZW; copying tiles into a window) and libdeflate's compressor
 * (workers/deflate.ts), loaded once per thread when built
 * (`npm run build:inflate`, which test/setup.sh and the Dockerfile run); without it tile.decode.ts decodes with
 * node:zlib, workers/lzw.ts and workers/predictor.ts, and tile.window.ts copies in typed-array loops, to the same
 * bytes. Loading a compiled module is no I/O of the pipeline's: like node:zlib, it
 * is compute in native code.
 */

export interface NativeInflate {
  /** Inflates a zlib stream into `output`: the bytes written, or -1 when `output` is too small. Throws on bad data. */
  inflate(input: Uint8Array, output: Uint8Array): number;
  /**
   * Undoes TIFF predictor 2 or 3 in place, as workers/predictor.ts does, for a little-endian file's aligned block
   * (predictor 2 on 8/16/32-bit samples, 3 on 32-bit ones; SSE2 running sums); false, untouched, for other layouts.
   */
  undoPredictor(
    block: Uint8Array,
    predictor: number,
    width: number,
    samples: number,
    bytesPerSample: number,
    littleEndian: boolean,
  ): boolean;
  /**
   * TIFF LZW decoded into `output` as workers/lzw.ts decodes it: the bytes written, or -1 when `output` is too
   * small. Throws on a code beyond the table.
   */
  decodeLzw(input: Uint8Array, output: Uint8Array): number;
  /**
   * Copies `rows` rows of `count` samples of `sampleBytes` bytes, one every `step` bytes of a source row, to
   * consecutive samples of a target row (offsets and strides in bytes). Throws when a row would reach outside.
   */
  copySamples(
    source: Uint8Array,
    sourceStart: number,
    sourceRowBytes: number,
    step: number,
    target: Uint8Array,
    targetStart: number,
    targetRowBytes: number,
    sampleBytes: number,
    count: number,
    rows: number,
  ): void;
  /** A zlib stream of `input` at libdeflate's `level` (0-12), in a new array of its exact length. */
  deflate(input: Uint8Array, level: number): Uint8Array;
  /** libdeflate's version. */
  version: string;
}

/** Where the built module lies, from workers/ (sources run by vitest) and from dist/workers/ (the build). */
const CANDIDATES = ['../native/inflate/build/Release/inflate.node', '../../native/inflate/build/Release/inflate.node'];

const REQUIRED = ['inflate', 'undoPredictor', 'decodeLzw', 'copySamples', 'deflate'] as const;

function load(): { native?: NativeInflate; why: string } {
  const require = createRequire(import.meta.url);
  for (const path of CANDIDATES) {
    try {
      const native = require(path) as Partial<NativeInflate>;
      // A build from before a function was added would fail on its first call: say so, and decode in JavaScript.
      const missing = REQUIRED.filter((name) => typeof native[name] !== 'function');
      if (missing.length > 0)
        return { why: `native/inflate is an older build (no ${missing.join(', ')}): npm run build:inflate` };
      return { native: native as NativeInflate, why: 'built' };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Built but not loadable (libdeflate0 missing, another platform's build): say why; node:zlib inflates.
      if (code !== 'MODULE_NOT_FOUND') return { why: `native/inflate could not be loaded: ${String(error)}` };
    }
  }
  return { why: 'native/inflate is not built (npm run build:inflate, with libdeflate-dev installed)' };
}

const loaded = load();

/** The native inflate of this thread, when it was built and loads. */
export const nativeInflate: NativeInflate | undefined = loaded.native;

/** Which inflate decodes DEFLATE tiles, for logs and the bench: `libdeflate 1.14 (native/inflate)` or `node:zlib (…why)`. */
export const INFLATE_ENGINE: string = loaded.native
  ? `libdeflate ${loaded.native.version} (native/inflate)`
  : `node:zlib (${loaded.why})`;
