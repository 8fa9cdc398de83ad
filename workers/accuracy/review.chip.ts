import { ndviColour, NOT_SEEN_COLOUR, type Picture, type Rgb } from '../render.js';

/**
 * A review chip: a square window of NDVI around a sample pixel, each raster pixel drawn as `zoom` × `zoom` screen
 * pixels (nearest neighbour: the interpreter sees the pixels the map classified, not a smoothed picture), with the
 * sample pixel outlined in two contrasting rings so it shows on dark canopy and on bare soil alike. Pixels the window
 * takes from outside the raster (NaN) or that were never seen clear are grey.
 */
const INNER: Rgb = [255, 0, 255];
const OUTER: Rgb = [0, 0, 0];

export function reviewChip(values: ArrayLike<number>, side: number, zoom: number): Picture {
  if (values.length !== side * side) throw new RangeError(`reviewChip: ${values.length} values for ${side}²`);
  const width = side * zoom;
  const rgba = new Uint8Array(width * width * 4);
  const paint = (x: number, y: number, colour: Rgb) => {
    const o = (y * width + x) * 4;
    rgba.set(colour, o);
    rgba[o + 3] = 255;
  };
  for (let y = 0; y < width; y++)
    for (let x = 0; x < width; x++) {
      const value = values[Math.floor(y / zoom) * side + Math.floor(x / zoom)]!;
      paint(x, y, Number.isFinite(value) ? ndviColour(value) : NOT_SEEN_COLOUR);
    }
  const centre = Math.floor(side / 2) * zoom;
  const ring = (inset: number, colour: Rgb) => {
    const low = centre - inset;
    const high = centre + zoom - 1 + inset;
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
