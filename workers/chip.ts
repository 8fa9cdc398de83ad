import { chipGeo, type ChipGeo, type MapTransform } from './chip.geo.js';
import { blankPicture, blitScaled, fillPolygon, fillRect, scanPolygon, strokeRect, strokeSegment } from './draw.js';
import { drawText, GLYPH_HEIGHT, textWidth, wrapText } from './font.js';
import { ndviColour, NOT_SEEN_COLOUR, paint, type Picture, type Rgb } from './render.js';
import { encodePng, type PngOptions } from './png.js';
import { stretch } from './accuracy/review.chip.js';

/**
 * A dossier chip: a window of a published raster around a site, enlarged by a whole factor (every raster pixel a
 * square block, nothing interpolated), the site's outline on top, and around it what makes it citable on its own:
 * a caption saying what it shows (layer, window, scenes), lon/lat ticks on the left and bottom edges, a scale bar
 * in ground metres, a north arrow and a legend. Text is drawn with the bitmap font (workers/font.ts), so the same
 * inputs give the same pixels on any machine. Pure.
 */

export type Ring = ReadonlyArray<readonly [number, number]>;

export interface ChipLegend {
  /** A colour ramp, e.g. NDVI's; `format` writes its end values (default `String`), e.g. a day number as a date. */
  ramp?: {
    label: string;
    low: number;
    high: number;
    colour: (value: number) => Rgb;
    format?: (value: number) => string;
  };
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
  /**
   * Picture pixels per layout unit (a whole number, default 1): every margin, line, tick, letter and symbol around
   * the map is this many times larger. 1 for the dossier chips on screen; a 300 dpi figure uses 3.
   */
  unit?: number;
  /** Named areas drawn in {@link ZONE} with their label (a figure's zones), rings in window pixels. */
  zones?: ReadonlyArray<{ label: string; rings: readonly Ring[] }>;
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
  /** Where the scale bar lies in the picture: its frame, `geo.scaleBar.pixels` wide. */
  scaleBar: { x: number; y: number; width: number; height: number };
}

export const TEXT: Rgb = [29, 29, 29];
const FRAME: Rgb = [80, 80, 80];
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
/** The outline: cyan on a black halo, visible over the NDVI greens and yellows and the change reds alike. */
export const OUTLINE: Rgb = [0, 255, 255];
/** Zones: magenta on the same black halo, told apart from the outline in print as on screen. */
export const ZONE: Rgb = [255, 0, 255];
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
    paint(rgba, i, colour);
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
    paint(rgba, i, colour);
  }
  return { width, height, rgba };
}

/** A frame `thickness` pixels thick just inside the rectangle. */
function frameRect(
  picture: Picture,
  x: number,
  y: number,
  width: number,
  height: number,
  colour: Rgb,
  thickness: number,
) {
  for (let k = 0; k < thickness; k++) strokeRect(picture, x + k, y + k, width - 2 * k, height - 2 * k, colour);
}

/**
 * The site's outline, drawn just outside its footprint so every pixel of the site stays visible (at 1× a line on the
 * footprint would cover a small site whole): the pixels outside it within one unit of an edge in `colour` (cyan for
 * the outline), the next ones in black.
 */
function drawOutline(picture: Picture, spec: FrameSpec, x: number, y: number, outline: readonly Ring[], colour: Rgb) {
  const [width, height] = [spec.map.width * spec.scale, spec.map.height * spec.scale];
  const unit = spec.unit ?? 1;
  const rings = outline.map((ring) => ring.map(([px, py]) => [px * spec.scale, py * spec.scale] as const));
  const inside = new Uint8Array(width * height);
  scanPolygon(rings, width, height, (column, row) => (inside[row * width + column] = 1));
  const skip = (column: number, row: number) => {
    const [mx, my] = [column - x, row - y];
    return mx < 0 || my < 0 || mx >= width || my >= height || inside[my * width + mx] === 1;
  };
  for (const [radius, stroke] of [
    [2 * unit, BLACK],
    [unit, colour],
  ] as const) {
    for (const ring of rings) {
      for (let i = 0; i + 1 < ring.length; i++) {
        const [a, b] = [ring[i]!, ring[i + 1]!];
        strokeSegment(picture, [x + a[0], y + a[1]], [x + b[0], y + b[1]], radius, stroke, skip);
      }
    }
  }
}

/** Each zone's outline, and its label on a white box at the centre of the zone's extent (kept on the map). */
function drawZones(picture: Picture, spec: ChipSpec, map: Chip['map']): void {
  const unit = spec.unit ?? 1;
  for (const zone of spec.zones ?? []) drawOutline(picture, spec, map.x, map.y, zone.rings, ZONE);
  for (const zone of spec.zones ?? []) {
    const points = zone.rings.flat().map(([px, py]) => [px * spec.scale, py * spec.scale] as const);
    const xs = points.map(([px]) => px);
    const ys = points.map(([, py]) => py);
    const [width, height] = [textWidth(zone.label, unit) + 4 * unit, GLYPH_HEIGHT * unit + 2 * unit];
    const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
    const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
    const left = map.x + Math.round(Math.min(map.width - width, Math.max(0, cx - width / 2)));
    const top = map.y + Math.round(Math.min(map.height - height, Math.max(0, cy - height / 2)));
    fillRect(picture, left, top, width, height, WHITE);
    frameRect(picture, left, top, width, height, ZONE, unit);
    drawText(picture, left + 2 * unit, top + unit, zone.label, TEXT, unit);
  }
}

function drawTicks(picture: Picture, geo: ChipGeo, map: Chip['map'], unit: number): void {
  for (const tick of geo.latTicks) {
    const y = map.y + Math.round(tick.at);
    fillRect(picture, map.x - 5 * unit, y, 4 * unit, unit, TEXT);
    drawText(picture, map.x - 7 * unit - textWidth(tick.label, unit), y - 6 * unit, tick.label, TEXT, unit);
  }
  for (const tick of geo.lonTicks) {
    const x = map.x + Math.round(tick.at);
    fillRect(picture, x, map.y + map.height + unit, unit, 4 * unit, TEXT);
    const width = textWidth(tick.label, unit);
    const left = Math.min(picture.width - PAD * unit - width, Math.max(PAD * unit, x - width / 2));
    drawText(picture, Math.round(left), map.y + map.height + 6 * unit, tick.label, TEXT, unit);
  }
}

/** Scale bar (half black, half white) at (x, y), its length in ground metres under it; returns its frame. */
function drawScaleBar(picture: Picture, geo: ChipGeo, x: number, y: number, unit: number): Chip['scaleBar'] {
  const { pixels, label } = geo.scaleBar;
  const half = Math.round(pixels / 2);
  fillRect(picture, x, y, half, 6 * unit, BLACK);
  fillRect(picture, x + half, y, pixels - half, 6 * unit, WHITE);
  frameRect(picture, x, y, pixels, 6 * unit, BLACK, unit);
  drawText(picture, x, y + 8 * unit, '0', TEXT, unit);
  drawText(picture, x + pixels - Math.round(textWidth(label, unit) / 2), y + 8 * unit, label, TEXT, unit);
  return { x, y, width: pixels, height: 6 * unit };
}

/** A north arrow centred on (cx, cy), pointing to true north, with an "N" beside it. */
function drawNorthArrow(picture: Picture, radians: number, cx: number, cy: number, unit: number): void {
  const rotate = ([dx, dy]: readonly [number, number]) =>
    [
      cx + dx * unit * Math.cos(radians) - dy * unit * Math.sin(radians),
      cy + dx * unit * Math.sin(radians) + dy * unit * Math.cos(radians),
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
  drawText(picture, Math.round(cx) - 18 * unit, Math.round(cy) - 7 * unit, 'N', TEXT, unit);
}

/** A legend entry placed: the ramp, or a swatch (null colour: the hatch) with its label. */
type Placed = { x: number; y: number } & ({ ramp: NonNullable<ChipLegend['ramp']> } | ChipLegend['swatches'][number]);

const RAMP_WIDTH = 100;
/** One transparent pixel: drawn enlarged, the hatch swatch. */
const NO_DATA: Picture = { width: 1, height: 1, rgba: new Uint8Array(4) };
/** The ramp's texts: its label with its low end, and its high end. */
const rampTexts = (ramp: NonNullable<ChipLegend['ramp']>) => {
  const format = ramp.format ?? String;
  return { low: `${ramp.label} ${format(ramp.low)}`, high: format(ramp.high) };
};
const rampWidth = (ramp: NonNullable<ChipLegend['ramp']>, unit: number) =>
  textWidth(rampTexts(ramp).low, unit) + 9 * unit + RAMP_WIDTH * unit + textWidth(rampTexts(ramp).high, unit);

/** The legend laid out from (x, y), wrapping at `width`: where each entry goes, and the height it takes. */
function legendLayout(legend: ChipLegend, x: number, y: number, width: number, unit: number) {
  let [left, top] = [x, y];
  const placed: Placed[] = [];
  if (legend.ramp) {
    placed.push({ x: left, y: top, ramp: legend.ramp });
    left += rampWidth(legend.ramp, unit) + 12 * unit;
  }
  for (const swatch of legend.swatches) {
    const need = 14 * unit + textWidth(swatch.label, unit);
    if (left + need > x + width && left > x) [left, top] = [x, top + LINE * unit];
    placed.push({ x: left, y: top, ...swatch });
    left += need + 12 * unit;
  }
  return { placed, height: top + LINE * unit - y };
}

function drawLegend(picture: Picture, placed: readonly Placed[], unit: number): void {
  for (const entry of placed) {
    const { x, y } = entry;
    if ('ramp' in entry) {
      const { ramp } = entry;
      const texts = rampTexts(ramp);
      const [start, length] = [x + textWidth(texts.low, unit) + 3 * unit, RAMP_WIDTH * unit];
      drawText(picture, x, y, texts.low, TEXT, unit);
      for (let k = 0; k < length; k++) {
        const value = ramp.low + ((ramp.high - ramp.low) * k) / (length - 1);
        fillRect(picture, start + k, y + 2 * unit, 1, 9 * unit, ramp.colour(value));
      }
      frameRect(picture, start - unit, y + unit, length + 2 * unit, 11 * unit, FRAME, unit);
      drawText(picture, start + length + 4 * unit, y, texts.high, TEXT, unit);
      continue;
    }
    if (entry.colour) fillRect(picture, x, y + 2 * unit, 10 * unit, 10 * unit, entry.colour);
    else blitScaled(picture, NO_DATA, x, y + 2 * unit, 10 * unit, HATCH);
    frameRect(picture, x, y + 2 * unit, 10 * unit, 10 * unit, FRAME, unit);
    drawText(picture, x + 14 * unit, y, entry.label, TEXT, unit);
  }
}

/** The width of a chip (or figure) whose map is `mapWidth` pixels wide, at `unit`: the inverse of its layout. */
export const chipWidth = (mapWidth: number, unit = 1): number =>
  Math.max(MIN_WIDTH * unit, (LEFT + RIGHT) * unit + mapWidth);

/** The map width that makes a chip (or figure) `width` pixels wide at `unit`. */
export const mapWidthFor = (width: number, unit = 1): number => width - (LEFT + RIGHT) * unit;

/** What is drawn on or about a chip's map whatever the layer: its outline, its ticks, scale bar and north. */
export interface MapFrame {
  /** The outline over the map, transparent elsewhere, map-sized. */
  outline: Picture;
  geo: ChipGeo;
}

type FrameSpec = Pick<ChipSpec, 'scale' | 'epsg' | 'transform' | 'outline' | 'unit'> & {
  map: Pick<Picture, 'width' | 'height'>;
};

/** The georeference of the enlarged map: the window's, each pixel divided by the scale. */
function mapTransformOf(spec: FrameSpec): MapTransform {
  const [originX, pixelWidth, , originY, , pixelHeight] = spec.transform;
  return [originX, pixelWidth / spec.scale, 0, originY, 0, pixelHeight / spec.scale];
}

/** The map's frame, once for every chip of the same window and outline (a site's five). */
export function mapFrame(spec: FrameSpec): MapFrame {
  const [width, height] = [spec.map.width * spec.scale, spec.map.height * spec.scale];
  const outline: Picture = { width, height, rgba: new Uint8Array(width * height * 4) };
  drawOutline(outline, spec, 0, 0, spec.outline, OUTLINE);
  return { outline, geo: chipGeo(spec.epsg, mapTransformOf(spec), width, height, spec.unit ?? 1) };
}

/** The opaque pixels of `overlay` onto `picture` at (x, y). */
function drawOver(picture: Picture, overlay: Picture, x: number, y: number): void {
  for (let row = 0; row < overlay.height; row++) {
    for (let column = 0; column < overlay.width; column++) {
      const from = (row * overlay.width + column) * 4;
      if (overlay.rgba[from + 3] === 0) continue;
      picture.rgba.set(overlay.rgba.subarray(from, from + 4), ((y + row) * picture.width + x + column) * 4);
    }
  }
}

/** The chip: caption, map with outline and ticks, scale bar and north arrow, legend. */
export function composeChip(spec: ChipSpec, frame: MapFrame = mapFrame(spec)): Chip {
  const unit = spec.unit ?? 1;
  const [pad, line] = [PAD * unit, LINE * unit];
  const [mapWidth, mapHeight] = [spec.map.width * spec.scale, spec.map.height * spec.scale];
  const width = chipWidth(mapWidth, unit);
  const lines = spec.caption.flatMap((paragraph) => wrapText(paragraph, width - 2 * pad, unit));
  const titleLines = wrapText(spec.caption[0] ?? '', width - 2 * pad, unit).length;
  const map = { x: LEFT * unit, y: pad + lines.length * line + 6 * unit, width: mapWidth, height: mapHeight };
  const footer = map.y + mapHeight + 6 * unit + line + 4 * unit;
  const mapTransform = mapTransformOf(spec);
  const { geo } = frame;
  const legend = legendLayout(spec.legend, pad, footer + 30 * unit, width - 2 * pad, unit);
  const height = footer + 30 * unit + legend.height + pad;
  const picture = blankPicture(width, height, WHITE);
  lines.forEach((text, k) => {
    drawText(picture, pad, pad + k * line, text, TEXT, unit);
    if (k < titleLines) drawText(picture, pad + unit, pad + k * line, text, TEXT, unit);
  });
  blitScaled(picture, spec.map, map.x, map.y, spec.scale, HATCH);
  drawOver(picture, frame.outline, map.x, map.y);
  drawZones(picture, spec, map);
  frameRect(picture, map.x - unit, map.y - unit, mapWidth + 2 * unit, mapHeight + 2 * unit, FRAME, unit);
  drawTicks(picture, geo, map, unit);
  const scaleBar = drawScaleBar(picture, geo, map.x, footer + 4 * unit, unit);
  drawNorthArrow(picture, geo.northRadians, width - (RIGHT + 8) * unit, footer + 13 * unit, unit);
  drawLegend(picture, legend.placed, unit);
  const transform: MapTransform = [
    mapTransform[0] - map.x * mapTransform[1],
    mapTransform[1],
    0,
    mapTransform[3] - map.y * mapTransform[5],
    0,
    mapTransform[5],
  ];
  return { picture, map, transform, geo, lines, scaleBar };
}

/** How a scene chip is coloured: the bands the scene carries decide (true colour needs blue and green). */
export type SceneColouring = 'true colour' | 'false colour' | 'NDVI';

/** The colouring a scene's bands allow: true colour with blue and green, false colour with green, else NDVI. */
export const sceneColouring = (bands: { green?: unknown; blue?: unknown }): SceneColouring =>
  bands.green && bands.blue ? 'true colour' : bands.green ? 'false colour' : 'NDVI';

/**
 * One scene's window as a map: true colour (red, green, blue), false colour (NIR, red, green: vegetation red) or
 * NDVI, reflectance stretched as the review chips do; pixels the scene did not see clear are greyed half-way
 * (cloud, shadow and gaps stay visible as such); transparent where the scene has no value at all.
 */
export function sceneLayer(
  bands: { red: ArrayLike<number>; nir: ArrayLike<number>; green?: ArrayLike<number>; blue?: ArrayLike<number> },
  clear: ArrayLike<number>,
  colouring: SceneColouring,
  width: number,
  height: number,
): Picture {
  const { red, nir, green, blue } = bands;
  if (colouring !== 'NDVI' && !green) throw new RangeError(`sceneLayer: ${colouring} needs the green band`);
  if (colouring === 'true colour' && !blue) throw new RangeError('sceneLayer: true colour needs the blue band');
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    if (!Number.isFinite(red[i]!) || !Number.isFinite(nir[i]!)) continue;
    const colour: Rgb =
      colouring === 'true colour'
        ? [stretch(red[i]!), stretch(green![i]!), stretch(blue![i]!)]
        : colouring === 'false colour'
          ? [stretch(nir[i]!), stretch(red[i]!), stretch(green![i]!)]
          : ndviColour((nir[i]! - red[i]!) / (nir[i]! + red[i]!));
    const shown = clear[i] ? colour : colour.map((value, k) => Math.round((value + NOT_SEEN_COLOUR[k]!) / 2));
    paint(rgba, i, shown as Rgb);
  }
  return { width, height, rgba };
}

/** The colour ramps a chip's legend can name, so a chip can be composed in a worker thread (functions do not cross). */
export const CHIP_RAMPS = {
  ndvi: { label: 'NDVI', low: -0.1, high: 0.9, colour: ndviColour },
} as const satisfies Record<string, NonNullable<ChipLegend['ramp']>>;

/** A legend whose ramp, if any, is one of {@link CHIP_RAMPS} by name. */
export type NamedLegend = Omit<ChipLegend, 'ramp'> & { ramp?: keyof typeof CHIP_RAMPS };

type Values = ArrayLike<number>;

/**
 * What a chip's map shows, as values: the worker that composes the chip colours them ({@link ndviLayer},
 * {@link classLayer}, {@link sceneLayer}), so the main thread only reads.
 */
export type ChipLayer = { width: number; height: number } & (
  | { kind: 'ndvi'; values: Values; outside: Values }
  | { kind: 'classes'; codes: Values; colours: ReadonlyArray<readonly [number, Rgb]>; nodata: number }
  | { kind: 'scene'; bands: Parameters<typeof sceneLayer>[0]; clear: Values; colouring: SceneColouring }
);

export function layerPicture(layer: ChipLayer): Picture {
  const { width, height } = layer;
  if (layer.kind === 'ndvi') return ndviLayer(layer.values, layer.outside, width, height);
  if (layer.kind === 'classes') return classLayer(layer.codes, new Map(layer.colours), layer.nodata, width, height);
  return sceneLayer(layer.bands, layer.clear, layer.colouring, width, height);
}

/**
 * The worker task that composes the chips of one map window (a site's dossier chips): the outline, ticks and scale
 * bar once ({@link mapFrame}), then each chip's layer coloured, composed and encoded as PNG with its `tEXt` chunks.
 * Values go in (transferred), only the files come back.
 */
export interface ComposeChipsTask {
  type: 'compose-chips';
  frame: Omit<ChipSpec, 'legend' | 'map' | 'caption' | 'zones'> & { map: Pick<Picture, 'width' | 'height'> };
  chips: Array<{ layer: ChipLayer; caption: readonly string[]; legend: NamedLegend; text?: PngOptions['text'] }>;
}

/** A composed chip as its PNG file, with the picture's size and everything else composing told. */
export type ChipPng = Omit<Chip, 'picture'> & { png: Uint8Array; width: number; height: number };

export function composeChipsTask({ frame: shared, chips }: ComposeChipsTask): ChipPng[] {
  const frame = mapFrame(shared);
  return chips.map(({ layer, caption, legend: named, text }) => {
    const { ramp, ...legend } = named;
    const spec: ChipSpec = {
      ...shared,
      map: layerPicture(layer),
      caption,
      legend: { ...legend, ...(ramp ? { ramp: CHIP_RAMPS[ramp] } : {}) },
    };
    const { picture, ...chip } = composeChip(spec, frame);
    return { ...chip, width: picture.width, height: picture.height, png: encodePng(picture, text ? { text } : {}) };
  });
}
