import type Map from 'ol/Map.js';
import { getPointResolution } from 'ol/proj.js';
import type { MapLayer, MapModel } from '../map.model.js';

/**
 * "Download figure": the current view of the map as a print PNG, 180 mm wide at 300 dpi (`pHYs`), with under it
 * the title, a scale bar in ground metres, a north arrow, a legend with values for the layers shown, the scenes'
 * credit and where the figure comes from. The map is rendered again at the print size for it (same extent), then
 * put back. The PNG's `tEXt` records the scale bar and the ground resolution, so a figure can be checked.
 */
export const FIGURE_DPI = 300;
export const FIGURE_WIDTH_MM = 180;
const FOOTER_PX = 520;
const FONT = 'px "DejaVu Sans", sans-serif';

const renderComplete = (map: Map) => new Promise<void>((done) => map.once('rendercomplete', () => done()));

/** The map's layers drawn on one canvas, as OpenLayers lays out its layer canvases (its export example). */
function mapCanvas(map: Map, width: number, height: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  [canvas.width, canvas.height] = [width, height];
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, width, height);
  const layers = map.getViewport()!.querySelectorAll<HTMLCanvasElement>('.ol-layer canvas, canvas.ol-layer');
  for (const layer of Array.from(layers)) {
    if (layer.width === 0) continue;
    const opacity = (layer.parentNode as HTMLElement).style.opacity || layer.style.opacity;
    context.globalAlpha = opacity === '' ? 1 : Number(opacity);
    const matrix = /^matrix\(([^(]*)\)$/.exec(layer.style.transform)?.[1]?.split(',').map(Number);
    if (matrix) context.setTransform(matrix[0]!, matrix[1]!, matrix[2]!, matrix[3]!, matrix[4]!, matrix[5]!);
    else context.setTransform(1, 0, 0, 1, 0, 0);
    context.drawImage(layer, 0, 0);
  }
  context.setTransform(1, 0, 0, 1, 0, 0);
  context.globalAlpha = 1;
  return canvas;
}

/** A round length (1, 2 or 5 × 10^n metres) near a fifth of the width, and its length in pixels. */
export function scaleBar(metresPerPixel: number, widthPx: number): { metres: number; pixels: number } {
  const target = (widthPx / 5) * metresPerPixel;
  const power = 10 ** Math.floor(Math.log10(target));
  const metres = [5, 2, 1].map((step) => step * power).find((candidate) => candidate <= target) ?? power;
  return { metres, pixels: metres / metresPerPixel };
}

/** Text at most `width` pixels wide: the font shrinks from `size` until it fits. */
function fitText(context: CanvasRenderingContext2D, text: string, x: number, y: number, width: number, size: number) {
  let px = size;
  do context.font = `${px}${FONT}`;
  while (context.measureText(text).width > width && --px > 12);
  context.fillText(text, x, y);
}

/** A layer's legend on one line: its title and unit, then a swatch and label per value. */
function drawLegend(context: CanvasRenderingContext2D, layer: MapLayer, y: number, width: number): void {
  fitText(context, `${layer.title} (${layer.legend.unit})`, 40, y, width - 80, 28);
  const step = Math.floor((width - 80) / Math.max(layer.legend.rows.length, 1));
  context.font = `26${FONT}`;
  layer.legend.rows.forEach((row, k) => {
    const x = 40 + k * step;
    context.fillStyle = row.colour;
    context.fillRect(x, y + 14, 30, 30);
    context.strokeRect(x, y + 14, 30, 30);
    context.fillStyle = '#1d1d1d';
    context.fillText(row.label, x + 40, y + 38);
  });
}

function drawFooter(context: CanvasRenderingContext2D, input: FooterInput): void {
  const { model, layers, width, y, bar, north } = input;
  context.fillStyle = '#1d1d1d';
  context.strokeStyle = '#555';
  fitText(context, model.figure.title, 40, y + 56, width - 80, 40);
  layers.forEach((layer, k) => drawLegend(context, layer, y + 110 + k * 90, width));
  const barY = y + 110 + layers.length * 90 + 10;
  context.fillRect(40, barY, bar.pixels, 14);
  context.font = `28${FONT}`;
  context.fillText(`${bar.metres >= 1000 ? `${bar.metres / 1000} km` : `${bar.metres} m`}`, 40, barY + 48);
  context.save();
  context.translate(width - 90, barY);
  context.rotate(north);
  context.beginPath();
  [
    [0, -50],
    [22, 20],
    [0, 5],
    [-22, 20],
  ].forEach(([px, py], k) => (k ? context.lineTo(px!, py!) : context.moveTo(px!, py!)));
  context.fill();
  context.fillText('N', -10, 60);
  context.restore();
  fitText(context, model.figure.credit, 40, barY + 100, width - 80, 26);
  fitText(context, model.figure.source, 40, barY + 140, width - 80, 26);
}

interface FooterInput {
  model: MapModel;
  /** The layers drawn: the swiped one and the one under it. */
  layers: MapLayer[];
  width: number;
  y: number;
  bar: { metres: number; pixels: number };
  north: number;
}

/** CRC-32 (PNG 1.2 §3.4) of a chunk's type and data. */
function crc32(bytes: Uint8Array): number {
  let crc = -1;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ -1) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** The PNG with `pHYs` (pixels per metre for `dpi`) and `tEXt` chunks after its IHDR (8 + 25 bytes). */
export function withPrintChunks(png: Uint8Array, dpi: number, text: Record<string, string>): Uint8Array<ArrayBuffer> {
  const phys = new Uint8Array(9);
  const perMetre = Math.round(dpi / 0.0254);
  new DataView(phys.buffer).setUint32(0, perMetre);
  new DataView(phys.buffer).setUint32(4, perMetre);
  phys[8] = 1;
  const texts = Object.entries(text).map(([key, value]) => chunk('tEXt', new TextEncoder().encode(`${key}\0${value}`)));
  const parts = [png.subarray(0, 33), chunk('pHYs', phys), ...texts, png.subarray(33)];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export async function downloadFigure(map: Map, model: MapModel, layers: MapLayer[], north: number): Promise<void> {
  const view = map.getView();
  const [size, resolution, centre] = [map.getSize()!, view.getResolution()!, view.getCenter()!];
  const width = Math.round((FIGURE_WIDTH_MM / 25.4) * FIGURE_DPI);
  const height = Math.round((width * size[1]!) / size[0]!);
  const printResolution = (resolution * size[0]!) / width;
  map.setSize([width, height]);
  view.setResolution(printResolution);
  await renderComplete(map);
  const canvas = document.createElement('canvas');
  [canvas.width, canvas.height] = [width, height + FOOTER_PX];
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(mapCanvas(map, width, height), 0, 0);
  map.setSize(size);
  view.setResolution(resolution);
  const metresPerPixel = getPointResolution(view.getProjection(), printResolution, centre, 'm');
  const bar = scaleBar(metresPerPixel, width);
  drawFooter(context, { model, layers, width, y: height, bar, north });
  const blob = await new Promise<Blob>((done) => canvas.toBlob((b) => done(b!), 'image/png'));
  const png = withPrintChunks(new Uint8Array(await blob.arrayBuffer()), FIGURE_DPI, {
    Title: model.figure.title,
    Copyright: model.figure.credit,
    Source: model.figure.source,
    ScaleBar: `${bar.metres} m = ${bar.pixels.toFixed(3)} px`,
    GroundResolution: `${metresPerPixel} m per pixel at ${centre.map((v) => v.toFixed(1)).join(' ')} (EPSG:${model.epsg}), grid ${printResolution}`,
  });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([png], { type: 'image/png' }));
  link.download = `${model.figure.title.replace(/[^A-Za-z0-9-]+/g, '-')}.png`;
  link.click();
}
