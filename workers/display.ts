import type { BandName } from './bands.js';

/**
 * Colour composites for looking at a place: the period's median reflectance of three bands as 8-bit RGB. True
 * colour (red, green, blue) is what a reader recognises; where the scenes lack blue, the standard colour-infrared
 * composite (NIR, red, green: vegetation red) still shows fields, roads and clearings. Pure.
 *
 * The stretch is linear and fixed, so two periods, two AOIs and two runs are comparable pixel for pixel: reflectance
 * 0 to `top` maps to 1..255 and 0 is nodata (not seen clear). Red, green and blue reach 0.2 as the Sentinel-2 true
 * colour image does (L1C 0–2000 → 1–255, ESA S2 Products Specification); NIR reaches 0.5 because vegetation
 * reflects 0.25–0.45 there and would saturate at 0.2.
 */
export interface DisplayComposite {
  kind: 'true-colour' | 'false-colour';
  title: string;
  /** The bands shown as red, green and blue, in that order. */
  bands: readonly [BandName, BandName, BandName];
  /** Reflectance shown at full brightness, per band. */
  top: readonly [number, number, number];
}

export const DISPLAY_COMPOSITES: readonly DisplayComposite[] = [
  {
    kind: 'true-colour',
    title: 'True colour (red, green, blue)',
    bands: ['red', 'green', 'blue'],
    top: [0.2, 0.2, 0.2],
  },
  {
    kind: 'false-colour',
    title: 'False colour (NIR, red, green: vegetation shows red)',
    bands: ['nir', 'red', 'green'],
    top: [0.5, 0.2, 0.2],
  },
];

export const DISPLAY_NODATA = 0;

/** The first composite every scene can make (true colour before false colour), or undefined (red and NIR only). */
export function displayFor(
  scenes: ReadonlyArray<{ bands: Partial<Record<BandName, unknown>> }>,
): DisplayComposite | undefined {
  if (scenes.length === 0) return undefined;
  return DISPLAY_COMPOSITES.find((composite) =>
    scenes.every((scene) => composite.bands.every((band) => scene.bands[band] !== undefined)),
  );
}

/** Reflectance as a display byte: NaN (not seen) → 0, else 1 + 254 · clamp(ρ / top, 0, 1), rounded. */
export function displayBytes(reflectance: ArrayLike<number>, top: number, inside?: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(reflectance.length);
  for (let i = 0; i < out.length; i++) {
    const value = reflectance[i]!;
    if (Number.isNaN(value) || (inside && !inside[i])) continue;
    out[i] = 1 + Math.round(254 * Math.min(1, Math.max(0, value / top)));
  }
  return out;
}

/** The scale and offset that take a display byte back to reflectance (exact below saturation, to ±top/508). */
export function displayScale(top: number): { scale: number; offset: number } {
  return { scale: top / 254, offset: -top / 254 };
}
