import { deflateSync } from 'node:zlib';
import { nativeInflate } from './inflate.native.js';

/**
 * DEFLATE in a zlib stream (RFC 1950) for the COG tiles the workers write: libdeflate's compressor (native/inflate,
 * the library GDAL writes its DEFLATE tiles with) when built, else node:zlib's, at the same level. Measured on the
 * Rusizi run's data, best of 5: two NDVI tiles after the floating-point predictor took 20-25 ms at level 6 against
 * node:zlib's 44-46 ms, for the same size (1.63 MB). (On the dossier chips' long repeated rows libdeflate was the
 * slower: workers/png.ts keeps node:zlib.) The two write different bytes that inflate to the same data, so a file's
 * checksum depends on which compressed it; a run states which (its start event's `inflate`). The result is a new
 * array of its exact length: transferable (node:zlib's own output, under Node 24, is not).
 */
export function deflateZlib(bytes: Uint8Array, level: number): Uint8Array {
  if (nativeInflate) return nativeInflate.deflate(bytes, level);
  return new Uint8Array(deflateSync(bytes, { level }));
}
