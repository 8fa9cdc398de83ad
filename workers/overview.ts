/**
 * Overview levels: each half the size of the one before (rounded up), until the image fits in one tile.
 * Nearest for classes and masks (the top-left pixel of each 2×2 cell, as GDAL's NEAREST); average for continuous
 * values, ignoring NaN and nodata (NaN/nodata where all four are missing). Pure.
 */
export type OverviewResampling = 'nearest' | 'average';

type Numeric = { length: number; [index: number]: number };

export function halve<T extends Numeric>(
  band: T,
  width: number,
  height: number,
  method: OverviewResampling,
  nodata: number | undefined,
  make: (length: number) => T,
  /** Values from one row of `band` to the next: more than `width` when the region is part of a wider array. */
  stride = width,
): { data: T; width: number; height: number } {
  const outWidth = Math.ceil(width / 2);
  const outHeight = Math.ceil(height / 2);
  const out = make(outWidth * outHeight);
  const missing = (value: number) => Number.isNaN(value) || (nodata !== undefined && value === nodata);
  // Integer bands round the mean to nearest, as GDAL's AVERAGE does; a typed array would truncate.
  const integer = !(out instanceof Float32Array || out instanceof Float64Array);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const x0 = x * 2;
      const y0 = y * 2;
      if (method === 'nearest') {
        out[y * outWidth + x] = band[y0 * stride + x0]!;
        continue;
      }
      let sum = 0;
      let count = 0;
      for (let dy = 0; dy < 2 && y0 + dy < height; dy++) {
        for (let dx = 0; dx < 2 && x0 + dx < width; dx++) {
          const value = band[(y0 + dy) * stride + x0 + dx]!;
          if (missing(value)) continue;
          sum += value;
          count++;
        }
      }
      out[y * outWidth + x] = count === 0 ? (nodata ?? NaN) : integer ? Math.round(sum / count) : sum / count;
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

/** Sizes of level 0 and its overviews, down to the first level that fits in one `tileSize` tile. */
export function overviewSizes(
  width: number,
  height: number,
  tileSize: number,
): Array<{ width: number; height: number }> {
  const sizes = [{ width, height }];
  for (;;) {
    const last = sizes[sizes.length - 1]!;
    if (last.width <= tileSize && last.height <= tileSize) return sizes;
    sizes.push({ width: Math.ceil(last.width / 2), height: Math.ceil(last.height / 2) });
  }
}
