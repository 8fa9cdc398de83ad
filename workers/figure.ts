import { toCrs } from '../aoi/aoi.project.js';
import type { MapTransform } from './chip.geo.js';
import { NOT_SEEN_COLOUR, type Picture, type Rgb } from './render.js';

/**
 * The pure parts of a publication figure (pipeline/outputs/figure.ts draws it with workers/chip.ts): the size of a
 * print in pixels, the map's grid from a lon/lat box, and the colours of its layers. Pure.
 */

/** Print resolution of a figure, dots per inch: what journals ask of raster figures (e.g. Elsevier, Nature). */
export const FIGURE_DPI = 300;
/**
 * Layout unit of a figure at 300 dpi (ChipSpec `unit`): the 6×13 bitmap font drawn at 3× is a 39-pixel cell, 3.3 mm,
 * about 9 pt type; lines one unit thick are 0.25 mm. The dossier chips (unit 1) are for screens at about 96 dpi.
 */
export const FIGURE_UNIT = 3;
export const MM_PER_INCH = 25.4;

/** Pixels across `mm` millimetres at `dpi`. */
export const pixelsOfMm = (mm: number, dpi = FIGURE_DPI): number => Math.round((mm / MM_PER_INCH) * dpi);

/** A print's size in PDF points (1/72 inch) from its pixels at `dpi`. */
export const pointsOfPixels = (pixels: number, dpi = FIGURE_DPI): number => (pixels * 72) / dpi;

/** [west, south, east, north], degrees. */
export type LonLatBox = readonly [number, number, number, number];

/**
 * The envelope on the grid CRS of a lon/lat box: its edges projected at 32 points each, since a meridian or parallel
 * is not straight in UTM.
 */
export function projectedEnvelope(box: LonLatBox, epsg: number): [number, number, number, number] {
  const forward = toCrs(epsg);
  const [west, south, east, north] = box;
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let k = 0; k <= 32; k++) {
    const t = k / 32;
    const lon = west + (east - west) * t;
    const lat = south + (north - south) * t;
    for (const position of [
      [lon, south],
      [lon, north],
      [west, lat],
      [east, lat],
    ] as const) {
      const [x, y] = forward([position[0], position[1]]);
      [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
    }
  }
  return [minX, minY, maxX, maxY];
}

/** The map's pixel grid: north up, square pixels. */
export interface FigureGrid {
  width: number;
  height: number;
  transform: MapTransform;
}

/** The grid that shows `envelope` (grid CRS) `width` pixels wide, with square pixels. */
export function figureGrid(envelope: readonly [number, number, number, number], width: number): FigureGrid {
  const [minX, minY, maxX, maxY] = envelope;
  const pixel = (maxX - minX) / width;
  const height = Math.max(1, Math.round((maxY - minY) / pixel));
  // Centred vertically: the rounding of the height is shared by the top and bottom edges.
  const top = (maxY + minY) / 2 + (height * pixel) / 2;
  return { width, height, transform: [minX, pixel, 0, top, 0, -pixel] };
}

/**
 * ColorBrewer PuBu (9 classes; Brewer & Harrower, colorbrewer2.org), light to dark: the ramp of counts and dates,
 * told apart from NDVI's greens.
 */
const PUBU: readonly Rgb[] = [
  [255, 247, 251],
  [236, 231, 242],
  [208, 209, 230],
  [166, 189, 219],
  [116, 169, 207],
  [54, 144, 192],
  [5, 112, 176],
  [4, 90, 141],
  [2, 56, 88],
];

/** The PuBu colour of `t` in [0, 1] (clamped), interpolated between its stops. */
export function sequentialColour(t: number): Rgb {
  const at = Math.min(1, Math.max(0, Number.isNaN(t) ? 0 : t)) * (PUBU.length - 1);
  const k = Math.min(PUBU.length - 2, Math.floor(at));
  const [a, b] = [PUBU[k]!, PUBU[k + 1]!];
  const f = at - k;
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}

/** How a layer's values become colours. */
export type LayerStyle =
  | { kind: 'ramp'; nodata: number; colour: (value: number) => Rgb }
  | { kind: 'classes'; nodata: number; colours: ReadonlyMap<number, Rgb>; drawn?: ReadonlySet<number> };

const isNodata = (value: number, nodata: number) => (Number.isNaN(nodata) ? Number.isNaN(value) : value === nodata);

/**
 * Paints a layer onto `target` (the map's grid, transparent where nothing is painted yet): nothing outside the AOI
 * (`outside` 1); inside, a ramp's nodata is "not seen clear" (grey); a class layer's codes outside `drawn` (when
 * given: an overlay shows only its change classes) leave what is under them. Painting in place, layer after layer,
 * keeps one picture of the map in memory, whatever the number of layers (a 600 mm figure's map is 64 million pixels).
 */
export function paintLayer(
  target: Picture,
  values: ArrayLike<number>,
  outside: ArrayLike<number>,
  style: LayerStyle,
): Picture {
  const { rgba } = target;
  for (let i = 0; i < target.width * target.height; i++) {
    const value = values[i]!;
    if (outside[i]) continue;
    let colour: Rgb | undefined;
    if (style.kind === 'ramp') colour = isNodata(value, style.nodata) ? NOT_SEEN_COLOUR : style.colour(value);
    else if (!isNodata(value, style.nodata) && (!style.drawn || style.drawn.has(value)))
      colour = style.colours.get(value) ?? NOT_SEEN_COLOUR;
    if (!colour) continue;
    const o = i * 4;
    rgba[o] = colour[0];
    rgba[o + 1] = colour[1];
    rgba[o + 2] = colour[2];
    rgba[o + 3] = 255;
  }
  return target;
}

/**
 * Paints a colour composite (three bands of display bytes, 0 = not seen clear) onto `target`: inside the AOI, a pixel
 * with no band seen is "not seen clear" (grey), the others as they are.
 */
export function paintRgb(
  target: Picture,
  [red, green, blue]: ReadonlyArray<ArrayLike<number>>,
  outside: ArrayLike<number>,
): Picture {
  const { rgba } = target;
  for (let i = 0; i < target.width * target.height; i++) {
    if (outside[i]) continue;
    const seen = red![i]! > 0 || green![i]! > 0 || blue![i]! > 0;
    const o = i * 4;
    rgba[o] = seen ? red![i]! : NOT_SEEN_COLOUR[0];
    rgba[o + 1] = seen ? green![i]! : NOT_SEEN_COLOUR[1];
    rgba[o + 2] = seen ? blue![i]! : NOT_SEEN_COLOUR[2];
    rgba[o + 3] = 255;
  }
  return target;
}

/** A day number (days since 1970-01-01 UTC) as YYYY-MM-DD. */
export const dayLabel = (day: number): string => new Date(Math.round(day) * 86_400_000).toISOString().slice(0, 10);
