/**
 * Radar backscatter units and speckle. Speckle is the multiplicative noise of coherent imaging: one look of a
 * uniform forest varies by the whole mean from pixel to pixel, so a single pass would flag clearings everywhere.
 * The multi-temporal filter of Quegan & Yu (2001, IEEE TGRS 39:2373, eq. 4) averages each pixel's pass-to-local-mean
 * ratios over the whole series: the spatial detail of every date is kept (it multiplies back by that date's own local
 * mean), and the speckle of a pixel is averaged over N dates instead of over neighbours only. Pure.
 */

/** 10·log10 of a linear power ratio (γ⁰, σ⁰); NaN for values ≤ 0 or NaN (no power is no observation). */
export function linearToDecibels(values: ArrayLike<number>, out = new Float32Array(values.length)): Float32Array {
  if (out.length !== values.length)
    throw new RangeError(`linearToDecibels: out has ${out.length}, not ${values.length}`);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    out[i] = value > 0 ? 10 * Math.log10(value) : NaN;
  }
  return out;
}

/** 10^(dB/10): decibels back to a linear power ratio. NaN stays NaN. */
export function decibelsToLinear(values: ArrayLike<number>, out = new Float32Array(values.length)): Float32Array {
  if (out.length !== values.length)
    throw new RangeError(`decibelsToLinear: out has ${out.length}, not ${values.length}`);
  for (let i = 0; i < values.length; i++) out[i] = 10 ** (values[i]! / 10);
  return out;
}

/**
 * Mean of the finite values in the (2r+1)² window around each pixel, clipped at the edges; NaN where the window holds
 * none. Summed-area tables of the values and of their count, in float64.
 */
export function boxMean(image: ArrayLike<number>, width: number, height: number, radius: number): Float32Array {
  if (image.length !== width * height) throw new RangeError(`boxMean: ${image.length} values for ${width}×${height}`);
  if (!Number.isInteger(radius) || radius < 0) throw new RangeError(`boxMean: radius must be a whole number ≥ 0`);
  const stride = width + 1;
  const sum = new Float64Array(stride * (height + 1));
  const count = new Float64Array(stride * (height + 1));
  for (let y = 0; y < height; y++) {
    let rowSum = 0;
    let rowCount = 0;
    for (let x = 0; x < width; x++) {
      const value = image[y * width + x]!;
      if (Number.isFinite(value)) {
        rowSum += value;
        rowCount++;
      }
      sum[(y + 1) * stride + x + 1] = sum[y * stride + x + 1]! + rowSum;
      count[(y + 1) * stride + x + 1] = count[y * stride + x + 1]! + rowCount;
    }
  }
  const out = new Float32Array(width * height);
  const area = (table: Float64Array, x0: number, y0: number, x1: number, y1: number) =>
    table[y1 * stride + x1]! - table[y0 * stride + x1]! - table[y1 * stride + x0]! + table[y0 * stride + x0]!;
  for (let y = 0; y < height; y++) {
    const [y0, y1] = [Math.max(0, y - radius), Math.min(height, y + radius + 1)];
    for (let x = 0; x < width; x++) {
      const [x0, x1] = [Math.max(0, x - radius), Math.min(width, x + radius + 1)];
      const n = area(count, x0, y0, x1, y1);
      out[y * width + x] = n === 0 ? NaN : area(sum, x0, y0, x1, y1) / n;
    }
  }
  return out;
}

/**
 * Quegan & Yu's multi-temporal speckle filter on linear power images of one geometry (one orbit track), dates in
 * time order: J_k(x) = ⟨I_k⟩(x) · (1/N) Σ_i I_i(x) / ⟨I_i⟩(x), ⟨·⟩ the (2r+1)² local mean. With `dates: 'all'` the
 * sum runs over every date that observed x (the paper's filter); it assumes the ratios are stationary, so a clearing
 * on one date also darkens the dates before it. With `dates: 'past'` it runs over the dates up to k only, as a
 * near-real-time series must (no observation may borrow from the future; the first dates are filtered least). A pixel
 * a date did not observe stays NaN on that date. Returns new images.
 */
export function multitemporalFilter(
  images: ReadonlyArray<ArrayLike<number>>,
  width: number,
  height: number,
  options: { radius: number; dates: 'all' | 'past' },
): Float32Array[] {
  const pixels = width * height;
  const means = images.map((image) => boxMean(image, width, height, options.radius));
  const ratioSum = new Float64Array(pixels);
  const count = new Uint16Array(pixels);
  const addRatios = (k: number) => {
    for (let i = 0; i < pixels; i++) {
      const ratio = images[k]![i]! / means[k]![i]!;
      if (Number.isFinite(ratio)) {
        ratioSum[i] += ratio;
        count[i]!++;
      }
    }
  };
  if (options.dates === 'all') images.forEach((_, k) => addRatios(k));
  return images.map((image, k) => {
    if (options.dates === 'past') addRatios(k);
    return Float32Array.from({ length: pixels }, (_, i) =>
      Number.isFinite(image[i]!) && count[i]! > 0 ? (means[k]![i]! * ratioSum[i]!) / count[i]! : NaN,
    );
  });
}
