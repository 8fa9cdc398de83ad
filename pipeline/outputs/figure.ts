import { toCrs } from '../../aoi/aoi.project.js';
import { polygonsOf, type AreaGeometry } from '../../aoi/geometry.js';
import { sceneAttribution } from '../../reports/attribution.js';
import { compositeLegend, compositeOf } from '../../reports/map.model.js';
import type { Summary } from '../../reports/summary.js';
import type { Ring } from '../../workers/chip.js';
import { composeChip, mapWidthFor, type Chip, type ChipLegend } from '../../workers/chip.js';
import {
  dayLabel,
  figureGrid,
  FIGURE_DPI,
  FIGURE_UNIT,
  MM_PER_INCH,
  pixelsOfMm,
  projectedEnvelope,
  sequentialColour,
  paintLayer,
  paintRgb,
  type FigureGrid,
  type LayerStyle,
  type LonLatBox,
} from '../../workers/figure.js';
import { ndviColour, NOT_SEEN_COLOUR, type Picture, type Rgb } from '../../workers/render.js';
import { resampleToGrid } from '../../workers/resample.js';
import { ChangewatchError } from '../errors.js';
import type { PublishedRaster, PublishedRasters } from '../scenes/store.raster.js';
import { VERSION } from '../version.js';
import { auxXml } from './dossier.chips.js';
import { encodePng } from '../../workers/png.js';
import type { FigureLayer } from './figure.layers.js';
import { pdfOfPicture } from './figure.pdf.js';

/**
 * A print-ready map of a published item (`changewatch figure`): the chosen layers read from the item's COGs over a
 * lon/lat box, resampled (nearest neighbour: every printed pixel is one raster value) onto a grid as wide as the
 * figure asks at 300 dpi, and framed by workers/chip.ts at the figure's unit: title, lon/lat ticks, scale bar, north
 * arrow, legend with values and units, the AOI outline and its zones, attribution, run, item and inputs digest. PNG
 * (300 dpi `pHYs`, caption in `tEXt`, a GDAL `.aux.xml` sidecar with its CRS and geotransform) or one-page PDF.
 */

export interface FigureRequest {
  layers: FigureLayer[];
  /** Lon/lat box shown; default: the AOI's, with a margin of 4 % of its size on every side. */
  bbox?: LonLatBox;
  widthMm: number;
  format: 'png' | 'pdf';
}

export interface FigureInput {
  summary: Summary;
  item: { id: string; bbox: number[] };
  /** The store key of an asset of the item. */
  assetKey(asset: string): string;
  rasters: PublishedRasters;
  runId: string;
  aoi: { name: string; geometry: AreaGeometry; zones: ReadonlyArray<{ name: string; geometry: AreaGeometry }> };
}

export interface FigureRecord {
  width: number;
  height: number;
  widthMm: number;
  heightMm: number;
  dpi: number;
  epsg: number;
  /** GDAL geotransform of the whole picture. */
  transform: number[];
  map: Chip['map'];
  /** Ground metres per map pixel at the map's centre (geodesic), and the scale bar drawn. */
  metresPerPixel: number;
  scaleBar: Chip['scaleBar'] & { metres: number; label: string };
  layers: string[];
  bbox: LonLatBox;
  title: string;
  attribution: string;
}

export interface FigureFile {
  record: FigureRecord;
  bytes: Uint8Array;
  /** The PNG's `.aux.xml` sidecar (none for a PDF). */
  aux?: string;
}

/** The AOI's box with a margin, so its outline is drawn inside the map. */
function defaultBox(bbox: readonly number[]): LonLatBox {
  const [west, south, east, north] = bbox as [number, number, number, number];
  const [dx, dy] = [(east - west) * 0.04, (north - south) * 0.04];
  return [west - dx, south - dy, east + dx, north + dy];
}

/** The box asked for, refused when it does not overlap the AOI's. */
function checkedBox(box: LonLatBox | undefined, aoiBox: readonly number[]): LonLatBox {
  if (!box) return defaultBox(aoiBox);
  const [west, south, east, north] = aoiBox as [number, number, number, number];
  if (box[2] <= west || box[0] >= east || box[3] <= south || box[1] >= north)
    throw new ChangewatchError(
      'E_USAGE',
      `--bbox ${box.join(',')}: outside the AOI, whose box is ${aoiBox.map((v) => v.toFixed(5)).join(',')}`,
    );
  return box;
}

/**
 * Limits of what a figure shows: at least 100 m a side (the scale bar's shortest length is 10 m, at most 0.4 of the
 * map's width), and a map at most 1,200 mm tall (a box much taller than wide).
 */
const MIN_SIDE_M = 100;
const MAX_MAP_HEIGHT_MM = 1200;

/** The map's grid, refused when the box is too small for a scale bar or makes the figure too tall. */
function checkedGrid(bbox: LonLatBox, envelope: [number, number, number, number], mapWidth: number): FigureGrid {
  const [minX, minY, maxX, maxY] = envelope;
  if (maxX - minX < MIN_SIDE_M || maxY - minY < MIN_SIDE_M)
    throw new ChangewatchError(
      'E_USAGE',
      `--bbox ${bbox.join(',')}: ${(maxX - minX).toFixed(0)} × ${(maxY - minY).toFixed(0)} m: a figure shows at least ${MIN_SIDE_M} m a side`,
    );
  const grid = figureGrid(envelope, mapWidth);
  const heightMm = (grid.height / FIGURE_DPI) * MM_PER_INCH;
  if (heightMm > MAX_MAP_HEIGHT_MM)
    throw new ChangewatchError(
      'E_USAGE',
      `--bbox ${bbox.join(',')}: its map would be ${heightMm.toFixed(0)} mm tall (at most ${MAX_MAP_HEIGHT_MM}): give a wider box or a smaller --width-mm`,
    );
  return grid;
}

/** Rows of the map resampled at once. */
const STRIP_ROWS = 256;

/** One band of a published raster on the map's grid, read at the coarsest level no coarser than the map's pixels. */
async function readOnGrid(raster: PublishedRaster, grid: FigureGrid, fill: number, band = 0): Promise<Float32Array> {
  const { info } = raster;
  const pixel = grid.transform[1];
  const level = Math.max(
    0,
    info.levels.findLastIndex((candidate) => candidate.resolution[0] <= pixel * (1 + 1e-9)),
  );
  const [[rx, ry], { width, height }] = [info.levels[level]!.resolution, info.levels[level]!];
  const [originX, , , originY] = info.transform;
  const [minX, maxY] = [grid.transform[0], grid.transform[3]];
  const [maxX, minY] = [minX + grid.width * pixel, maxY - grid.height * pixel];
  const x0 = Math.max(0, Math.floor((minX - originX) / rx));
  const y0 = Math.max(0, Math.floor((originY - maxY) / ry));
  const x1 = Math.min(width, Math.ceil((maxX - originX) / rx));
  const y1 = Math.min(height, Math.ceil((originY - minY) / ry));
  if (x1 <= x0 || y1 <= y0) return new Float32Array(grid.width * grid.height).fill(fill);
  const read = await raster.readWindow({ x0, y0, x1, y1 }, { bands: [band], level, fill });
  const source = {
    data: read.bands[0]!,
    width: x1 - x0,
    height: y1 - y0,
    transform: [originX + x0 * rx, rx, 0, originY - y0 * ry, 0, -ry] as const,
  };
  // In strips of rows: the resampler holds two coordinates per target pixel (16 bytes), 1 GB for a 600 mm map whole.
  const out = new Float32Array(grid.width * grid.height);
  for (let row = 0; row < grid.height; row += STRIP_ROWS) {
    const rows = Math.min(STRIP_ROWS, grid.height - row);
    const [x0, , , y0, , dy] = grid.transform;
    const strip = { width: grid.width, height: rows, transform: [x0, pixel, 0, y0 + row * dy, 0, dy] as const };
    resampleToGrid(source, strip, 'nearest', { fill, out: out.subarray(row * grid.width, (row + rows) * grid.width) });
  }
  return out;
}

/** The range of the values seen (not nodata), or undefined when none is. */
function seenRange(values: Float32Array, layer: FigureLayer): [number, number] | undefined {
  let [low, high] = [Infinity, -Infinity];
  for (const value of values) {
    if (Number.isNaN(value) || value === layer.nodata) continue;
    [low, high] = [Math.min(low, value), Math.max(high, value)];
  }
  return low <= high ? [low, high] : undefined;
}

/** How a layer is coloured and what its legend says (values and units). */
function styleOf(layer: FigureLayer, values: Float32Array, summary: Summary, isBase: boolean) {
  const swatch = (entry: FigureLayer['classes'][number]) => ({
    colour: entry.colour,
    label: isBase ? `${entry.name} (${entry.value})` : `${entry.name} (${layer.asset} = ${entry.value})`,
  });
  if (layer.kind === 'classes') {
    const drawn = new Set(isBase ? layer.classes.map((entry) => entry.value) : layer.overlay);
    const colours = new Map(layer.classes.map((entry) => [entry.value, entry.colour] as const));
    const style: LayerStyle = { kind: 'classes', nodata: layer.nodata, colours, drawn };
    return { style, swatches: layer.classes.filter((entry) => drawn.has(entry.value)).map(swatch) };
  }
  const notSeen = [{ colour: NOT_SEEN_COLOUR, label: `not seen clear (${layer.asset} nodata)` }];
  if (layer.kind === 'ndvi') {
    const ramp = { label: `${layer.asset} (NDVI, unitless)`, low: -0.1, high: 0.9, colour: ndviColour };
    return { style: { kind: 'ramp', nodata: layer.nodata, colour: ndviColour } as LayerStyle, ramp, swatches: notSeen };
  }
  const window = summary.periods.monitoring;
  const fallback: [number, number] =
    layer.kind === 'days' ? [Date.parse(window.start) / 86_400_000, Date.parse(window.end) / 86_400_000 - 1] : [0, 1];
  const [low, high] = seenRange(values, layer) ?? fallback;
  const span = Math.max(1, high - low);
  const colour = (value: number) => sequentialColour((value - low) / span);
  const ramp: NonNullable<ChipLegend['ramp']> =
    layer.kind === 'days'
      ? { label: `${layer.asset} (date)`, low, high, colour, format: dayLabel }
      : { label: `${layer.asset} (${layer.unit ?? 'count'})`, low, high, colour };
  return { style: { kind: 'ramp', nodata: layer.nodata, colour } as LayerStyle, ramp, swatches: notSeen };
}

/** A colour composite's legend: which band each colour shows, with its stretch, and "not seen clear". */
function compositeSwatches(layer: FigureLayer, summary: Summary): ChipLegend['swatches'] {
  const composite = compositeOf(summary);
  const bands = composite
    ? compositeLegend(composite).map(({ colour: [r, g, b], label }) => ({ colour: [r, g, b] as Rgb, label }))
    : [];
  return [...bands, { colour: NOT_SEEN_COLOUR, label: `not seen clear (${layer.asset} nodata)` }];
}

/** The rings of a geometry in map pixels. */
function ringsOnGrid(geometry: AreaGeometry, epsg: number, grid: FigureGrid): Ring[] {
  const forward = toCrs(epsg);
  const [originX, pixel, , originY] = grid.transform;
  return polygonsOf(geometry).flatMap((polygon) =>
    polygon.map((ring) =>
      ring.map(([lon, lat]) => {
        const [x, y] = forward([lon, lat]);
        return [(x - originX) / pixel, (originY - y) / pixel] as const;
      }),
    ),
  );
}

/** The map (layers drawn bottom first over the AOI mask) and its legend. */
async function drawMap(input: FigureInput, request: FigureRequest, grid: FigureGrid) {
  const { summary } = input;
  const mask = Object.keys(summary.products)[0]!;
  const maskRaster = await input.rasters(input.assetKey(mask));
  const maskFill = maskRaster.info.nodata ?? 255;
  const codes = await readOnGrid(maskRaster, grid, maskFill);
  const outside = new Uint8Array(codes.length);
  for (let i = 0; i < codes.length; i++) outside[i] = codes[i] === maskFill || Number.isNaN(codes[i]) ? 1 : 0;
  const picture: Picture = {
    width: grid.width,
    height: grid.height,
    rgba: new Uint8Array(grid.width * grid.height * 4),
  };
  const legend: ChipLegend & { swatches: Array<ChipLegend['swatches'][number]> } = { swatches: [] };
  for (const [k, layer] of request.layers.entries()) {
    const raster = await input.rasters(input.assetKey(layer.asset));
    if (layer.kind === 'rgb') {
      const planes = await Promise.all([0, 1, 2].map((band) => readOnGrid(raster, grid, layer.nodata, band)));
      paintRgb(picture, planes, outside);
      legend.swatches.push(...compositeSwatches(layer, summary));
      continue;
    }
    const values = await readOnGrid(raster, grid, layer.nodata);
    const styled = styleOf(layer, values, summary, k === 0);
    paintLayer(picture, values, outside, styled.style);
    if (styled.ramp) legend.ramp = styled.ramp;
    legend.swatches.push(...styled.swatches);
  }
  legend.swatches.push({ colour: null, label: 'outside the AOI' }, { colour: [0, 255, 255], label: 'AOI outline' });
  if (input.aoi.zones.length > 0) legend.swatches.push({ colour: [255, 0, 255], label: 'zone' });
  return { picture, legend };
}

/** The caption: title (AOI, layers, periods), provenance, attribution. */
function captionOf(input: FigureInput, request: FigureRequest) {
  const { summary } = input;
  const { baseline, monitoring } = summary.periods;
  const scenes = [...baseline.scenes, ...monitoring.scenes];
  const attribution = sceneAttribution(scenes);
  const title = `${input.aoi.name}: ${request.layers.map((layer) => layer.title).join(' over ')}. Baseline ${baseline.window}, monitoring ${monitoring.window}`;
  const provenance =
    `Run ${input.runId}, item ${summary.item}, inputs ${summary.inputs}, changewatch ${VERSION}. ` +
    `EPSG:${summary.grid.epsg}, ${summary.grid.resolution} m grid; ${scenes.length} scenes.`;
  return { title, attribution, paragraphs: [title, provenance, attribution] };
}

/** The figure, drawn and encoded. */
export async function renderFigure(input: FigureInput, request: FigureRequest): Promise<FigureFile> {
  const { summary } = input;
  const epsg = summary.grid.epsg;
  const bbox = checkedBox(request.bbox, input.item.bbox);
  const width = pixelsOfMm(request.widthMm);
  const grid = checkedGrid(bbox, projectedEnvelope(bbox, epsg), mapWidthFor(width, FIGURE_UNIT));
  const { picture, legend } = await drawMap(input, request, grid);
  const caption = captionOf(input, request);
  const chip = composeChip({
    map: picture,
    scale: 1,
    epsg,
    transform: grid.transform,
    outline: ringsOnGrid(input.aoi.geometry, epsg, grid),
    zones: input.aoi.zones.map((zone) => ({ label: zone.name, rings: ringsOnGrid(zone.geometry, epsg, grid) })),
    caption: caption.paragraphs,
    legend,
    unit: FIGURE_UNIT,
  });
  const { width: w, height: h } = chip.picture;
  const record: FigureRecord = {
    width: w,
    height: h,
    widthMm: Number(((w / FIGURE_DPI) * MM_PER_INCH).toFixed(2)),
    heightMm: Number(((h / FIGURE_DPI) * MM_PER_INCH).toFixed(2)),
    dpi: FIGURE_DPI,
    epsg,
    transform: [...chip.transform],
    map: chip.map,
    metresPerPixel: chip.geo.metresPerPixel,
    scaleBar: { ...chip.scaleBar, metres: chip.geo.scaleBar.metres, label: chip.geo.scaleBar.label },
    layers: request.layers.map((layer) => layer.asset),
    bbox,
    title: caption.title,
    attribution: caption.attribution,
  };
  const description = caption.paragraphs.join(' | ');
  if (request.format === 'pdf') {
    const info = { title: caption.title, subject: description, producer: `changewatch ${VERSION}` };
    return { record, bytes: pdfOfPicture(chip.picture, FIGURE_DPI, info) };
  }
  const png = encodePng(chip.picture, {
    dpi: FIGURE_DPI,
    text: [
      ['Title', caption.title],
      ['Description', description],
      ['Copyright', caption.attribution],
      ['Software', `changewatch ${VERSION}`],
      ['Source', `${record.layers.join(', ')} of STAC item ${summary.item} (inputs ${summary.inputs})`],
    ],
  });
  return { record, bytes: png, aux: auxXml(epsg, record.transform) };
}
