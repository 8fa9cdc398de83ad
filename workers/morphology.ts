/**
 * Binary morphology with disk structuring elements, through exact Euclidean distance transforms (Felzenszwalb &
 * Huttenlocher 2012, "Distance Transforms of Sampled Functions"): O(pixels) whatever the radius. A disk of radius r
 * holds the offsets with x² + y² ≤ r², as skimage.morphology.disk(r). Border handling follows skimage's
 * binary_erosion / binary_dilation: outside the image counts as foreground for erosion, background for dilation.
 * Pure.
 */

const INF = 1e20;

/** 1-D squared distance transform of f (in place into d), lower envelope of parabolas. */
function transform1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -INF;
  z[1] = INF;
  for (let q = 1; q < n; q++) {
    let s = (f[q]! + q * q - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!);
    while (s <= z[k]!) {
      k--;
      s = (f[q]! + q * q - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = INF;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1]! < q) k++;
    d[q] = (q - v[k]!) * (q - v[k]!) + f[v[k]!]!;
  }
}

/** Squared Euclidean distance from every pixel to the nearest pixel where `mask` is non-zero. */
export function squaredDistanceTo(mask: Uint8Array, width: number, height: number): Float64Array {
  if (mask.length !== width * height)
    throw new RangeError(`squaredDistanceTo: ${mask.length} pixels for ${width}×${height}`);
  const size = Math.max(width, height);
  const f = new Float64Array(size);
  const d = new Float64Array(size);
  const v = new Int32Array(size);
  const z = new Float64Array(size + 1);
  const grid = new Float64Array(width * height);
  for (let i = 0; i < mask.length; i++) grid[i] = mask[i] ? 0 : INF;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = grid[y * width + x]!;
    transform1d(f, height, d, v, z);
    for (let y = 0; y < height; y++) grid[y * width + x] = d[y]!;
  }
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) f[x] = grid[row + x]!;
    transform1d(f, width, d, v, z);
    for (let x = 0; x < width; x++) grid[row + x] = d[x]!;
  }
  return grid;
}

/** Dilation by a disk of radius r: pixels within distance r of the mask. */
export function dilate(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  if (radius <= 0) {
    out.set(mask.map((value) => (value ? 1 : 0)));
    return out;
  }
  const distance = squaredDistanceTo(mask, width, height);
  const r2 = radius * radius;
  for (let i = 0; i < out.length; i++) out[i] = distance[i]! <= r2 ? 1 : 0;
  return out;
}

/**
 * Erosion by a disk of radius r: pixels whose whole disk lies in the mask, outside the image counting as mask
 * (so edges are not eaten away).
 */
export function erode(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  if (radius <= 0) {
    out.set(mask.map((value) => (value ? 1 : 0)));
    return out;
  }
  const background = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) background[i] = mask[i] ? 0 : 1;
  const distance = squaredDistanceTo(background, width, height);
  const r2 = radius * radius;
  for (let i = 0; i < out.length; i++) out[i] = distance[i]! > r2 ? 1 : 0;
  return out;
}

/** Opening (erosion then dilation): removes specks smaller than the disk, keeps the shape of larger areas. */
export function open(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  return dilate(erode(mask, width, height, radius), width, height, radius);
}
