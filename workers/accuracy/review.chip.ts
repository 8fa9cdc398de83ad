import { CLEAR } from '../masks.js';
import { ndviColour, NOT_SEEN_COLOUR, type Picture, type Rgb } from '../render.js';

/**
 * Review chips: a square window around a sample pixel, each raster pixel drawn as `zoom` × `zoom` screen pixels
 * (nearest neighbour: the interpreter sees the pixels the map classified, not a smoothed picture), with the sample
 * pixel outlined in two contrasting rings so it shows on dark canopy and on bare soil alike.
 */
const INNER: Rgb = [255, 0, 255];
const OUTER: Rgb = [0, 0, 0];

function chipPicture(
  side: number,
  zoom: number,
  colourOf: (pixel: number) => Rgb,
  hatched: (pixel: number) => boolean,
) {
  const width = side * zoom;
  const rgba = new Uint8Array(width * width * 4);
  const paint = (x: number, y: number, colour: Rgb) => {
    const o = (y * width + x) * 4;
    rgba.set(colour, o);
    rgba[o + 3] = 255;
  };
  for (let y = 0; y < width; y++)
    for (let x = 0; x < width; x++) {
      const pixel = Math.floor(y / zoom) * side + Math.floor(x / zoom);
      // Masked pixels keep their colour under diagonal grey stripes: seen, but not clear.
      paint(x, y, hatched(pixel) && (x + y) % 4 === 0 ? NOT_SEEN_COLOUR : colourOf(pixel));
    }
  const centre = Math.floor(side / 2) * zoom;
  const ring = (inset: number, colour: Rgb) => {
    const [low, high] = [centre - inset, centre + zoom - 1 + inset];
    for (let i = low; i <= high; i++) {
      paint(i, low, colour);
      paint(i, high, colour);
      paint(low, i, colour);
      paint(high, i, colour);
    }
  };
  ring(1, INNER);
  ring(2, OUTER);
  return { width, height: width, rgba };
}

function checkSide(length: number, side: number, what: string): void {
  if (length !== side * side) throw new RangeError(`${what}: ${length} values for ${side}²`);
}

/** NDVI of a composite (NaN: not seen clear, or outside the raster: grey). */
export function reviewChip(values: ArrayLike<number>, side: number, zoom: number): Picture {
  checkSide(values.length, side, 'reviewChip');
  return chipPicture(
    side,
    zoom,
    (pixel) => (Number.isFinite(values[pixel]!) ? ndviColour(values[pixel]!) : NOT_SEEN_COLOUR),
    () => false,
  );
}

/** Surface reflectance 0–0.25 to a byte, with a display gamma that opens up dark canopy. */
export const stretch = (reflectance: number): number =>
  Number.isFinite(reflectance) ? Math.round(255 * Math.min(1, Math.max(0, reflectance / 0.25)) ** (1 / 1.8)) : 0;

export interface SceneChipInput {
  red: ArrayLike<number>;
  nir: ArrayLike<number>;
  green?: ArrayLike<number> | undefined;
  blue?: ArrayLike<number> | undefined;
  /** Observation states (workers/masks.ts): pixels not CLEAR are hatched. */
  states: ArrayLike<number>;
}

/** One scene around the sample pixel: true colour when it has blue and green, else its NDVI. */
export function sceneChip(
  input: SceneChipInput,
  side: number,
  zoom: number,
): { picture: Picture; kind: 'true colour' | 'NDVI' } {
  checkSide(input.red.length, side, 'sceneChip');
  const { red, nir, green, blue, states } = input;
  const hatched = (pixel: number) => states[pixel] !== CLEAR;
  if (green && blue) {
    const colourOf = (pixel: number): Rgb => [stretch(red[pixel]!), stretch(green[pixel]!), stretch(blue[pixel]!)];
    return { picture: chipPicture(side, zoom, colourOf, hatched), kind: 'true colour' };
  }
  const colourOf = (pixel: number): Rgb => {
    const ndvi = (nir[pixel]! - red[pixel]!) / (nir[pixel]! + red[pixel]!);
    return Number.isFinite(ndvi) ? ndviColour(ndvi) : NOT_SEEN_COLOUR;
  };
  return { picture: chipPicture(side, zoom, colourOf, hatched), kind: 'NDVI' };
}
