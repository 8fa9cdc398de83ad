/**
 * Spatial normalisation: the deseasoning of Reiche et al. (2018, RSE 204:147, section 3.2, after Hamunyela et al.
 * 2016, RSE 172:126). Seasonality (dry-forest leaf-off, soil moisture in radar backscatter) moves a whole image at
 * once, so each image has a high percentile of its own values subtracted: forest sits near 0 on every date, and a
 * cleared pixel falls below its neighbours whatever the season. It needs an area mostly of forest, larger than the
 * change, and the same area on every date (the percentile of a partial image is another number). Pure.
 */

/** bayts' deseasonalizeRaster default: the 95th percentile. */
export const DEFAULT_NORMALISATION_PERCENTILE = 0.95;

/**
 * The `p` quantile (0..1) of the finite values, interpolated between order statistics as R's default `quantile`
 * (type 7, Hyndman & Fan 1996): h = (n − 1)p, x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]). NaN when no value is finite.
 */
export function quantile(values: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile: p must be within 0..1, got ${p}`);
  let count = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) count++;
  const finite = new Float64Array(count);
  for (let i = 0, j = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite[j++] = values[i]!;
  finite.sort();
  if (finite.length === 0) return NaN;
  const h = (finite.length - 1) * p;
  const low = Math.floor(h);
  const high = Math.min(low + 1, finite.length - 1);
  return finite[low]! + (h - low) * (finite[high]! - finite[low]!);
}

/**
 * One image minus its own `p` quantile (bayts' deseasonalizeRaster). NaN stays NaN. Returns the quantile
 * subtracted, NaN when the image has no finite value (then `out` is all NaN).
 */
export function spatialNormalisation<Out extends Float32Array | Float64Array = Float32Array>(
  image: ArrayLike<number>,
  p = DEFAULT_NORMALISATION_PERCENTILE,
  out: Out = new Float32Array(image.length) as Out,
): { normalised: Out; quantile: number } {
  if (out.length !== image.length)
    throw new RangeError(`spatialNormalisation: out has ${out.length} values, image ${image.length}`);
  const level = quantile(image, p);
  for (let i = 0; i < image.length; i++) out[i] = image[i]! - level;
  return { normalised: out, quantile: level };
}
