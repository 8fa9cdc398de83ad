/** Spectral bands changewatch uses, named by their `eo:common_name`. */
export const BAND_NAMES = ['blue', 'green', 'red', 'nir', 'swir16', 'swir22'] as const;
export type BandName = (typeof BAND_NAMES)[number];
