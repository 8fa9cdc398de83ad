import type { BandName } from './bands.js';

/**
 * Spectral indices from composite reflectances, each declared with the bands it needs, so a run can say which
 * indices the available bands allow and why the others were skipped. Pure.
 */

/** (a − b) / (a + b); NaN where either is NaN or the sum is 0. */
export function normalizedDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  out = new Float32Array(a.length),
): Float32Array {
  if (a.length !== b.length) throw new RangeError(`normalizedDifference: lengths differ (${a.length} vs ${b.length})`);
  for (let i = 0; i < a.length; i++) {
    const sum = a[i]! + b[i]!;
    out[i] = sum === 0 ? NaN : (a[i]! - b[i]!) / sum;
  }
  return out;
}

export interface IndexDefinition {
  name: IndexName;
  /** What it shows and its source. */
  description: string;
  bands: readonly BandName[];
  compute(bands: Partial<Record<BandName, ArrayLike<number>>>): Float32Array;
}

export type IndexName = 'ndvi' | 'nbr' | 'ndmi' | 'ndbi' | 'bsi' | 'mndwi';

const nd = (a: BandName, b: BandName) => (bands: Partial<Record<BandName, ArrayLike<number>>>) =>
  normalizedDifference(bands[a]!, bands[b]!);

export const INDICES: readonly IndexDefinition[] = [
  {
    name: 'ndvi',
    description: 'vegetation: (NIR − red)/(NIR + red) (Rouse et al. 1974)',
    bands: ['nir', 'red'],
    compute: nd('nir', 'red'),
  },
  {
    name: 'nbr',
    description: 'burn/clearing: (NIR − SWIR2)/(NIR + SWIR2) (Key & Benson 2006)',
    bands: ['nir', 'swir22'],
    compute: nd('nir', 'swir22'),
  },
  {
    name: 'ndmi',
    description: 'moisture: (NIR − SWIR1)/(NIR + SWIR1) (Gao 1996, NDWI)',
    bands: ['nir', 'swir16'],
    compute: nd('nir', 'swir16'),
  },
  {
    name: 'ndbi',
    description: 'built-up: (SWIR1 − NIR)/(SWIR1 + NIR) (Zha et al. 2003)',
    bands: ['swir16', 'nir'],
    compute: nd('swir16', 'nir'),
  },
  {
    name: 'bsi',
    description: 'bare soil: ((SWIR1 + red) − (NIR + blue))/((SWIR1 + red) + (NIR + blue)) (Rikimaru et al. 2002)',
    bands: ['swir16', 'red', 'nir', 'blue'],
    compute: (bands) => {
      const [swir, red, nir, blue] = [bands.swir16!, bands.red!, bands.nir!, bands.blue!];
      const out = new Float32Array(red.length);
      for (let i = 0; i < out.length; i++) {
        const a = swir[i]! + red[i]!;
        const b = nir[i]! + blue[i]!;
        out[i] = a + b === 0 ? NaN : (a - b) / (a + b);
      }
      return out;
    },
  },
  {
    name: 'mndwi',
    description: 'open water: (green − SWIR1)/(green + SWIR1) (Xu 2006)',
    bands: ['green', 'swir16'],
    compute: nd('green', 'swir16'),
  },
];

/** The indices the available bands allow, and for each other one the bands it lacks. */
export function availableIndices(bands: readonly BandName[]): {
  available: IndexDefinition[];
  skipped: Array<{ name: IndexName; missing: BandName[] }>;
} {
  const available: IndexDefinition[] = [];
  const skipped: Array<{ name: IndexName; missing: BandName[] }> = [];
  for (const index of INDICES) {
    const missing = index.bands.filter((band) => !bands.includes(band));
    if (missing.length === 0) available.push(index);
    else skipped.push({ name: index.name, missing });
  }
  return { available, skipped };
}
