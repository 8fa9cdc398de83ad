/** Spectral bands changewatch uses, named by their `eo:common_name`. */
export const SPECTRAL_BANDS = ['blue', 'green', 'red', 'nir', 'swir16', 'swir22'] as const;

/**
 * Radar backscatter bands, named by their polarisation (transmit, receive) in lower case: the names Sentinel-1
 * items give their bands (`VV`, `VH`) and the SAR extension's `sar:polarizations` values. Sentinel-1 acquires VV+VH
 * over land outside the polar regions (its observation scenario); HH/HV scenes are not read.
 */
export const POLARIZATIONS = ['vv', 'vh'] as const;
export type Polarization = (typeof POLARIZATIONS)[number];

/**
 * Indices some exports carry as a band of their own instead of the bands they come from (the Landsat NDVI of the
 * bayts test stack): optical observations a time-series product can fuse, never composited.
 */
export const INDEX_BANDS = ['ndvi'] as const;

/** Every band a scene may carry. */
export const BAND_NAMES = [...SPECTRAL_BANDS, ...POLARIZATIONS, ...INDEX_BANDS] as const;
export type BandName = (typeof BAND_NAMES)[number];

/** How a backscatter value is expressed: a linear power ratio (γ⁰, σ⁰), or decibels (10·log10 of it). */
export type BackscatterUnit = 'linear' | 'db';
