import type { PixelWindow } from '../aoi/rasterize.js';

/**
 * One point of a site's NDVI time series: of the site's pixels one observation saw clear, how many, and the median
 * of their NDVI, (NIR − red) / (NIR + red) (Tucker 1979), as numpy's `nanmedian` gives it (the mean of the two
 * middle values for an even count). Pure.
 */
export interface SeriesPoint {
  /** Site pixels seen clear with a finite NDVI. */
  clearPixels: number;
  /** Median NDVI of those pixels; NaN when there are none. */
  medianNdvi: number;
}

/** The median of values (sorted in place); NaN for none. */
export function medianOf(values: Float64Array): number {
  if (values.length === 0) return NaN;
  values.sort();
  const middle = values.length >> 1;
  return values.length % 2 === 1 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
}

/** The site's point for one observation: `inside` marks the site's pixels, `clear` the pixels seen clear. */
export function sitePoint(
  inside: Uint8Array,
  clear: Uint8Array,
  bands: { red: Float32Array; nir: Float32Array },
): SeriesPoint {
  for (const [name, array] of [
    ['clear', clear],
    ['red', bands.red],
    ['nir', bands.nir],
  ] as const) {
    if (array.length !== inside.length)
      throw new RangeError(`sitePoint: ${name} has ${array.length} pixels, the site mask ${inside.length}`);
  }
  const values: number[] = [];
  for (let i = 0; i < inside.length; i++) {
    if (!inside[i] || !clear[i]) continue;
    const [red, nir] = [bands.red[i]!, bands.nir[i]!];
    const ndvi = (nir - red) / (nir + red);
    if (Number.isFinite(ndvi)) values.push(ndvi);
  }
  return { clearPixels: values.length, medianNdvi: medianOf(Float64Array.from(values)) };
}

/** A window grown by `margin` pixels on each side, clipped to a grid of `width` × `height`. */
export function grownWindow(window: PixelWindow, margin: number, width: number, height: number): PixelWindow {
  return {
    x0: Math.max(0, window.x0 - margin),
    y0: Math.max(0, window.y0 - margin),
    x1: Math.min(width, window.x1 + margin),
    y1: Math.min(height, window.y1 + margin),
  };
}

/** An observation of a site: its date and how much of the site it saw clear. */
export interface SiteObservation {
  date: string;
  clearPixels: number;
  sitePixels: number;
}

/**
 * The observations nearest the first detection: the last before `firstSeen` and the first on or after it, each
 * preferring one that saw at least half of the site clear (else the nearest that saw any of it).
 */
export function nearestObservations<T extends SiteObservation>(
  rows: readonly T[],
  firstSeen: string,
): { before?: T; after?: T } {
  const mostlyClear = (row: T) => row.clearPixels * 2 >= row.sitePixels;
  const before = rows.filter((row) => row.date < firstSeen).sort((a, b) => b.date.localeCompare(a.date));
  const after = rows.filter((row) => row.date >= firstSeen).sort((a, b) => a.date.localeCompare(b.date));
  const pick = (candidates: T[]) => candidates.find(mostlyClear) ?? candidates[0];
  const [first, last] = [pick(before), pick(after)];
  return { ...(first ? { before: first } : {}), ...(last ? { after: last } : {}) };
}
