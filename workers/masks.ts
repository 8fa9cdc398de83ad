/**
 * Per-pixel observation states from quality layers. Pure.
 *
 * States: NOT_OBSERVED (no data, fill, NaN: never dilated), CLEAR, CLOUD (cloud, shadow, cirrus: cleaned by
 * opening and grown by dilation), INVALID (saturated, snow when excluded: excluded but not grown).
 */
export const NOT_OBSERVED = 0;
export const CLEAR = 1;
export const CLOUD = 2;
export const INVALID = 3;

/**
 * Sentinel-2 L2A Scene Classification (SCL) classes. Source: ESA, Sentinel-2 Level-2A Product Specification,
 * Table "Scene Classification values": 0 no data, 1 saturated or defective, 2 dark area pixels (topographic
 * shadow), 3 cloud shadows, 4 vegetation, 5 not vegetated, 6 water, 7 unclassified, 8 cloud medium probability,
 * 9 cloud high probability, 10 thin cirrus, 11 snow or ice.
 */
const SCL_STATE: Record<number, number> = {
  0: NOT_OBSERVED,
  1: INVALID,
  2: CLEAR,
  3: CLOUD,
  4: CLEAR,
  5: CLEAR,
  6: CLEAR,
  7: CLEAR,
  8: CLOUD,
  9: CLOUD,
  10: CLOUD,
  11: INVALID,
};

export interface MaskOptions {
  /** Exclude snow/ice (SCL 11, QA_PIXEL bit 5, Fmask 3). Default true; set false for glaciated AOIs. */
  excludeSnow?: boolean;
}

/** States from an SCL layer (mask classes 0, 1, 3, 8, 9, 10; 11 when snow is excluded). */
export function sclStates(
  scl: ArrayLike<number>,
  options: MaskOptions = {},
  out = new Uint8Array(scl.length),
): Uint8Array {
  const excludeSnow = options.excludeSnow ?? true;
  for (let i = 0; i < scl.length; i++) {
    const value = scl[i]!;
    const state = SCL_STATE[value] ?? NOT_OBSERVED;
    out[i] = value === 11 && !excludeSnow ? CLEAR : state;
  }
  return out;
}

/**
 * States from Landsat Collection 2 QA_PIXEL bits. Source: USGS, Landsat 8-9 OLI/TIRS Collection 2 Level-2 Science
 * Product Guide, QA_PIXEL: bit 0 fill, 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow, 5 snow, 6 clear,
 * 7 water.
 */
export function qaPixelStates(
  qa: ArrayLike<number>,
  options: MaskOptions = {},
  out = new Uint8Array(qa.length),
): Uint8Array {
  const excludeSnow = options.excludeSnow ?? true;
  for (let i = 0; i < qa.length; i++) {
    const bits = qa[i]!;
    if (bits & 0b1) out[i] = NOT_OBSERVED;
    else if (bits & 0b11110) out[i] = CLOUD;
    else if (bits & 0b100000) out[i] = excludeSnow ? INVALID : CLEAR;
    else out[i] = CLEAR;
  }
  return out;
}

/**
 * States from Fmask classes. Source: Zhu & Woodcock (2012), Fmask output codes as distributed with Landsat CDR
 * surface reflectance: 0 clear land, 1 clear water, 2 cloud shadow, 3 snow, 4 cloud, 255 fill.
 */
export function fmaskStates(
  fmask: ArrayLike<number>,
  options: MaskOptions = {},
  out = new Uint8Array(fmask.length),
): Uint8Array {
  const excludeSnow = options.excludeSnow ?? true;
  for (let i = 0; i < fmask.length; i++) {
    const value = fmask[i]!;
    out[i] =
      value === 0 || value === 1
        ? CLEAR
        : value === 2 || value === 4
          ? CLOUD
          : value === 3
            ? excludeSnow
              ? INVALID
              : CLEAR
            : NOT_OBSERVED;
  }
  return out;
}

/**
 * A nodata value as a band of this type holds it. GDAL_NODATA is text ("-3.4e+38", R's raster default for Float32):
 * parsed it is a float64 no Float32 pixel equals, so for a Float32 band it is compared as the Float32 nearest it.
 */
export function nodataAsStored(band: ArrayLike<number>, nodata: number | undefined): number | undefined {
  return nodata !== undefined && band instanceof Float32Array ? Math.fround(nodata) : nodata;
}

/**
 * Marks pixels whose band value is NaN or equals `nodata` as NOT_OBSERVED, in place. Exports whose producer
 * already masked clouds (NaN) come through here: such pixels are unobserved, never dilated.
 */
export function markMissing(states: Uint8Array, band: ArrayLike<number>, nodata?: number): Uint8Array {
  if (states.length !== band.length)
    throw new RangeError(`markMissing: lengths differ (${states.length} vs ${band.length})`);
  // Compared with ===, NaN matches nothing: no nodata. No call in the loop (it runs on every band of every date).
  const stored = nodataAsStored(band, nodata) ?? NaN;
  for (let i = 0; i < band.length; i++) {
    const value = band[i]!;
    if (value !== value || value === stored) states[i] = NOT_OBSERVED;
  }
  return states;
}
