/**
 * RGBA pictures of composites and change classes for previews: the grid reduced by a whole factor so the longer
 * side fits a limit, then coloured. Pure; encoding to PNG is the caller's.
 *
 * Reduction keeps what a reader must not miss: an NDVI cell is the mean of the values seen in it; a class cell
 * takes the class of highest priority present in it (forest loss before "not seen" before the rest), so a loss
 * patch smaller than a preview pixel still shows, as GLAD's and Global Forest Watch's tiles do at low zoom.
 */

export interface Picture {
  width: number;
  height: number;
  /** RGBA, row-major, 4 bytes per pixel. */
  rgba: Uint8Array;
}

export type Rgb = readonly [number, number, number];

function paint(rgba: Uint8Array, pixel: number, colour: Rgb): void {
  const o = pixel * 4;
  rgba[o] = colour[0];
  rgba[o + 1] = colour[1];
  rgba[o + 2] = colour[2];
  rgba[o + 3] = 255;
}

/** The whole factor that brings the longer side to at most `maxSide`. */
export function reductionFactor(width: number, height: number, maxSide: number): number {
  return Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
}

/** Green ramp for NDVI, from bare (-0.1 and below) to dense canopy (0.9 and above); ColorBrewer YlGn stops. */
const NDVI_STOPS: ReadonlyArray<readonly [number, Rgb]> = [
  [-0.1, [255, 255, 229]],
  [0.2, [217, 240, 163]],
  [0.45, [120, 198, 121]],
  [0.7, [35, 132, 67]],
  [0.9, [0, 69, 41]],
];

export function ndviColour(value: number): Rgb {
  const first = NDVI_STOPS[0]!;
  if (value <= first[0]) return first[1];
  for (let k = 1; k < NDVI_STOPS.length; k++) {
    const [v1, c1] = NDVI_STOPS[k]!;
    if (value > v1) continue;
    const [v0, c0] = NDVI_STOPS[k - 1]!;
    const t = (value - v0) / (v1 - v0);
    return [
      Math.round(c0[0] + t * (c1[0] - c0[0])),
      Math.round(c0[1] + t * (c1[1] - c0[1])),
      Math.round(c0[2] + t * (c1[2] - c0[2])),
    ];
  }
  return NDVI_STOPS[NDVI_STOPS.length - 1]![1];
}

/** Colour of ground inside the AOI that was not seen clear. */
export const NOT_SEEN_COLOUR: Rgb = [189, 189, 189];

/**
 * NDVI picture: outside the AOI transparent, not seen grey, else the green ramp.
 */
export function renderNdvi(
  ndvi: Float32Array,
  inside: Uint8Array,
  width: number,
  height: number,
  maxSide: number,
): Picture {
  const factor = reductionFactor(width, height, maxSide);
  const outWidth = Math.ceil(width / factor);
  const outHeight = Math.ceil(height / factor);
  const rgba = new Uint8Array(outWidth * outHeight * 4);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      let sum = 0;
      let seen = 0;
      let covered = 0;
      for (let dy = 0; dy < factor && y * factor + dy < height; dy++) {
        for (let dx = 0; dx < factor && x * factor + dx < width; dx++) {
          const i = (y * factor + dy) * width + x * factor + dx;
          if (!inside[i]) continue;
          covered++;
          const value = ndvi[i]!;
          if (Number.isNaN(value)) continue;
          sum += value;
          seen++;
        }
      }
      if (covered === 0) continue;
      paint(rgba, y * outWidth + x, seen === 0 ? NOT_SEEN_COLOUR : ndviColour(sum / seen));
    }
  }
  return { width: outWidth, height: outHeight, rgba };
}

/**
 * Change overlay: a class picture drawn over a base picture of the same reduction. `colours` gives the colour of
 * each class code to draw (classes without a colour let the base show through); `priority` lists the codes from
 * most to least important for reduced cells.
 */
export function renderClassesOver(
  base: Picture,
  classes: Uint8Array,
  width: number,
  height: number,
  colours: ReadonlyMap<number, Rgb>,
  priority: readonly number[],
): Picture {
  const factor = reductionFactor(width, height, Math.max(base.width, base.height));
  const outWidth = Math.ceil(width / factor);
  const outHeight = Math.ceil(height / factor);
  if (outWidth !== base.width || outHeight !== base.height)
    throw new RangeError(
      `renderClassesOver: base is ${base.width}×${base.height}, classes reduce to ${outWidth}×${outHeight}`,
    );
  const rank = new Int16Array(256).fill(-1);
  priority.forEach((code, k) => (rank[code] = priority.length - k));
  const rgba = Uint8Array.from(base.rgba);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      let best = -1;
      let bestRank = 0;
      for (let dy = 0; dy < factor && y * factor + dy < height; dy++) {
        for (let dx = 0; dx < factor && x * factor + dx < width; dx++) {
          const code = classes[(y * factor + dy) * width + x * factor + dx]!;
          if (rank[code]! > bestRank) {
            bestRank = rank[code]!;
            best = code;
          }
        }
      }
      const colour = best >= 0 ? colours.get(best) : undefined;
      if (colour) paint(rgba, y * outWidth + x, colour);
    }
  }
  return { width: outWidth, height: outHeight, rgba };
}
