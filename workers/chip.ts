import { chipGeo, type ChipGeo, type MapTransform } from './chip.geo.js';
import { blankPicture, blitScaled, fillPolygon, fillRect, scanPolygon, strokeRect, strokeSegment } from './draw.js';
import { drawText, GLYPH_HEIGHT, textWidth, wrapText } from './font.js';
import { ndviColour, NOT_SEEN_COLOUR, type Picture, type Rgb } from './render.js';

/**
 * A dossier chip: a window of a published raster around a site, enlarged by a whole factor (every raster pixel a
 * square block, nothing interpolated), the site's outline on top, and around it what makes it citable on its own:
 * a caption saying what it shows (layer, window, scenes), lon/lat ticks on the left and bottom edges, a scale bar
 * in ground metres, a north arrow and a legend. Text is drawn with the bitmap font (workers/font.ts), so the same
 * inputs give the same pixels on any machine. Pure.
 */

export type Ring = ReadonlyArray<readonly [number, number]>;

export interface ChipLegend {
  /** A colour ramp, e.g. NDVI's. */
  ramp?: { label: string; low: number; high: number; colour: (value: number) => Rgb };
  /** `null` colour: the hatch of "outside the AOI". */
  swatches: ReadonlyArray<{ colour: Rgb | null; label: string }>;
}

export interface ChipSpec {
  /** The raster window, coloured; transparent where there is no data (outside the AOI or the raster). */
  map: Picture;
  /** Chip pixels per window pixel (a whole number ≥ 1). */
  scale: number;
  epsg: number;
  /** Georeference of the window's pixel grid (before scaling). */
  transform: MapTransform;
  /** The site's rings, in window pixels. */
  outline: readonly Ring[];
  /** Paragraphs; the first is the title (drawn bold). */
  caption: readonly string[];
  legend: ChipLegend;
}

export interface Chip {
  picture: Picture;
  /** Where the map lies in the picture, chip pixels. */
  map: { x: number; y: number; width: number; height: number };
  /** Georeference of the whole picture (margins included): what a GIS needs to place it. */
  transform: MapTransform;
  geo: ChipGeo;
  /** The caption as drawn, line by line. */
  lines: string[];
}

export const TEXT: Rgb = [29, 29, 29];
const FRAME: Rgb = [80, 80, 80];
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
/** The outline: cyan on a black halo, visible over the NDVI greens and yellows and the change reds alike. */
export const OUTLINE: Rgb = [0, 255, 255];
export const HATCH = { background: [250, 250, 250] as Rgb, line: [200, 200, 200] as Rgb };

const PAD = 6;
const LINE = GLYPH_HEIGHT + 2;
/** Where the caption is drawn: its first line's top-left corner and the distance between lines, pixels. */
export const CAPTION = { left: PAD, top: PAD, line: LINE } as const;
/** Room for a latitude label ("89.0001°S") and its tick left of the map. */
const LEFT = 64;
const RIGHT = 10;
const MIN_WIDTH = 320;

/** NaN is "not seen" (grey); `outside` 1 marks pixels outside the AOI or the raster (transparent). */
export function ndviLayer(
  values: ArrayLike<number>,
  outside: ArrayLike<number>,
  width: number,
  height: number,
): Picture {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    if (outside[i]) continue;
    const value = values[i]!;
    const colour = Number.isNaN(value) ? NOT_SEEN_COLOUR : ndviColour(value);
    rgba.set([colour[0], colour[1], colour[2], 255], i * 4);
  }
  return { width, height, rgba };
}

/** Class codes in their colours; `nodata` (outside the AOI) transparent, a code without a colour grey. */
export function classLayer(
  codes: ArrayLike<number>,
  colours: ReadonlyMap<number, Rgb>,
  nodata: number,
  width: number,
  height: number,
): Picture {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    if (codes[i] === nodata) continue;
    const colour = colours.get(codes[i]!) ?? NOT_SEEN_COLOUR;
    rgba.set([colour[0], colour[1], colour[2], 255], i * 4);
  }
  return { width, height, rgba };
}

/**
 * The site's outline, drawn just outside its footprint so every pixel of the site stays visible (at 1× a line on the
 * footprint would cover a small site whole): the pixels outside it within one chip pixel of an edge in cyan, the
 * next ones in black.
 */
function drawOutline(picture: Picture, spec: ChipSpec, x: number, y: number): void {
  const [width, height] = [spec.map.width * spec.scale, spec.map.height * spec.scale];
  const rings = spec.outline.map((ring) => ring.map(([px, py]) => [px * spec.scale, py * spec.scale] as const));
  const inside = new Uint8Array(width * height);
  scanPolygon(rings, width, height, (column, row) => (inside[row * width + column] = 1));
  const skip = (column: number, row: number) => {
    const [mx, my] = [column - x, row - y];
    return mx < 0 || my < 0 || mx >= width || my >= height || inside[my * width + mx] === 1;
  };
  for (const [radius, colour] of [
    [2, BLACK],
    [1, OUTLINE],
  ] as const) {
    for (const ring of rings) {
      for (let i = 0; i + 1 < ring.length; i++) {
        const [a, b] = [ring[i]!, ring[i + 1]!];
        strokeSegment(picture, [x + a[0], y + a[1]], [x + b[0], y + b[1]], radius, colour, skip);
      }
    }
  }
}

function drawTicks(picture: Picture, geo: ChipGeo, map: Chip['map']): void {
  for (const tick of geo.latTicks) {
    const y = map.y + Math.round(tick.at);
    fillRect(picture, map.x - 5, y, 4, 1, TEXT);
    drawText(picture, map.x - 7 - textWidth(tick.label), y - 6, tick.label, TEXT);
  }
  for (const tick of geo.lonTicks) {
    const x = map.x + Math.round(tick.at);
    fillRect(picture, x, map.y + map.height + 1, 1, 4, TEXT);
    const left = Math.min(picture.width - PAD - textWidth(tick.label), Math.max(PAD, x - textWidth(tick.label) / 2));
    drawText(picture, Math.round(left), map.y + map.height + 6, tick.label, TEXT);
  }
}

/** Scale bar (half black, half white) at (x, y), its length in ground metres under it. */
function drawScaleBar(picture: Picture, geo: ChipGeo, x: number, y: number): void {
  const { pixels, label } = geo.scaleBar;
  const half = Math.round(pixels / 2);
  fillRect(picture, x, y, half, 6, BLACK);
  fillRect(picture, x + half, y, pixels - half, 6, WHITE);
  strokeRect(picture, x, y, pixels, 6, BLACK);
  drawText(picture, x, y + 8, '0', TEXT);
  drawText(picture, x + pixels - Math.round(textWidth(label) / 2), y + 8, label, TEXT);
}

/** A north arrow centred on (cx, cy), pointing to true north, with an "N" beside it. */
function drawNorthArrow(picture: Picture, radians: number, cx: number, cy: number): void {
  const rotate = ([dx, dy]: readonly [number, number]) =>
    [
      cx + dx * Math.cos(radians) - dy * Math.sin(radians),
      cy + dx * Math.sin(radians) + dy * Math.cos(radians),
    ] as const;
  const [tip, left, notch, right] = (
    [
      [0, -13],
      [-6, 11],
      [0, 6],
      [6, 11],
    ] as const
  ).map(rotate);
  fillPolygon(picture, [[tip!, left!, notch!]], BLACK);
  fillPolygon(picture, [[tip!, notch!, right!]], [120, 120, 120]);
  drawText(picture, Math.round(cx) - 18, Math.round(cy) - 7, 'N', TEXT);
}

/** A legend entry placed: the ramp, or a swatch (null colour: the hatch) with its label. */
type Placed = { x: number; y: number } & ({ ramp: NonNullable<ChipLegend['ramp']> } | ChipLegend['swatches'][number]);

const RAMP_WIDTH = 100;
/** One transparent pixel: drawn enlarged, the hatch swatch. */
const NO_DATA: Picture = { width: 1, height: 1, rgba: new Uint8Array(4) };
const rampWidth = (ramp: NonNullable<ChipLegend['ramp']>) =>
  textWidth(`${ramp.label} ${ramp.low}`) + 9 + RAMP_WIDTH + textWidth(String(ramp.high));

/** The legend laid out from (x, y), wrapping at `width`: where each entry goes, and the height it takes. */
function legendLayout(legend: ChipLegend, x: number, y: number, width: number): { placed: Placed[]; height: number } {
  let [left, top] = [x, y];
  const placed: Placed[] = [];
  if (legend.ramp) {
    placed.push({ x: left, y: top, ramp: legend.ramp });
    left += rampWidth(legend.ramp) + 12;
  }
  for (const swatch of legend.swatches) {
    const need = 14 + textWidth(swatch.label);
    if (left + need > x + width && left > x) [left, top] = [x, top + LINE];
    placed.push({ x: left, y: top, ...swatch });
    left += need + 12;
  }
  return { placed, height: top + LINE - y };
}

function drawLegend(picture: Picture, placed: readonly Placed[]): void {
  for (const entry of placed) {
    const { x, y } = entry;
    if ('ramp' in entry) {
      const { ramp } = entry;
      const start = x + textWidth(`${ramp.label} ${ramp.low}`) + 3;
      drawText(picture, x, y, `${ramp.label} ${ramp.low}`, TEXT);
      for (let k = 0; k < RAMP_WIDTH; k++) {
        const value = ramp.low + ((ramp.high - ramp.low) * k) / (RAMP_WIDTH - 1);
        fillRect(picture, start + k, y + 2, 1, 9, ramp.colour(value));
      }
      strokeRect(picture, start - 1, y + 1, RAMP_WIDTH + 2, 11, FRAME);
      drawText(picture, start + RAMP_WIDTH + 4, y, String(ramp.high), TEXT);
      continue;
    }
    if (entry.colour) fillRect(picture, x, y + 2, 10, 10, entry.colour);
    else blitScaled(picture, NO_DATA, x, y + 2, 10, HATCH);
    strokeRect(picture, x, y + 2, 10, 10, FRAME);
    drawText(picture, x + 14, y, entry.label, TEXT);
  }
}

/** The chip: caption, map with outline and ticks, scale bar and north arrow, legend. */
export function composeChip(spec: ChipSpec): Chip {
  const [mapWidth, mapHeight] = [spec.map.width * spec.scale, spec.map.height * spec.scale];
  const width = Math.max(MIN_WIDTH, LEFT + mapWidth + RIGHT);
  const lines = spec.caption.flatMap((paragraph) => wrapText(paragraph, width - 2 * PAD));
  const titleLines = wrapText(spec.caption[0] ?? '', width - 2 * PAD).length;
  const map = { x: LEFT, y: PAD + lines.length * LINE + 6, width: mapWidth, height: mapHeight };
  const footer = map.y + mapHeight + 6 + LINE + 4;
  const [originX, pixelWidth, , originY, , pixelHeight] = spec.transform;
  const mapTransform: MapTransform = [originX, pixelWidth / spec.scale, 0, originY, 0, pixelHeight / spec.scale];
  const geo = chipGeo(spec.epsg, mapTransform, mapWidth, mapHeight);
  const legend = legendLayout(spec.legend, PAD, footer + 30, width - 2 * PAD);
  const height = footer + 30 + legend.height + PAD;
  const picture = blankPicture(width, height, WHITE);
  lines.forEach((line, k) => {
    drawText(picture, PAD, PAD + k * LINE, line, TEXT);
    if (k < titleLines) drawText(picture, PAD + 1, PAD + k * LINE, line, TEXT);
  });
  blitScaled(picture, spec.map, map.x, map.y, spec.scale, HATCH);
  drawOutline(picture, spec, map.x, map.y);
  strokeRect(picture, map.x - 1, map.y - 1, mapWidth + 2, mapHeight + 2, FRAME);
  drawTicks(picture, geo, map);
  drawScaleBar(picture, geo, map.x, footer + 4);
  drawNorthArrow(picture, geo.northRadians, width - RIGHT - 8, footer + 13);
  drawLegend(picture, legend.placed);
  const transform: MapTransform = [
    originX - map.x * mapTransform[1],
    mapTransform[1],
    0,
    originY - map.y * mapTransform[5],
    0,
    mapTransform[5],
  ];
  return { picture, map, transform, geo, lines };
}
