import type { Picture, Rgb } from './render.js';

/**
 * Drawing on RGBA pictures for the dossier chips: rectangles, thick segments, filled polygons and a nearest-neighbour
 * blit. Pixel (x, y) covers [x, x + 1) × [y, y + 1); shapes cover the pixels whose centre they contain, so the same
 * shape always paints the same pixels. Pure.
 */

export function blankPicture(width: number, height: number, colour: Rgb): Picture {
  const rgba = new Uint8Array(width * height * 4);
  if (colour[0] === colour[1] && colour[1] === colour[2] && colour[0] === 255)
    return { width, height, rgba: rgba.fill(255) };
  if (rgba.length === 0) return { width, height, rgba };
  rgba.set([colour[0], colour[1], colour[2], 255]);
  // Doubling copies: the first pixel, then two, four… until the picture is filled.
  for (let filled = 4; filled < rgba.length; filled *= 2)
    rgba.copyWithin(filled, 0, Math.min(filled, rgba.length - filled));
  return { width, height, rgba };
}

export function setPixel(picture: Picture, x: number, y: number, colour: Rgb): void {
  if (x < 0 || y < 0 || x >= picture.width || y >= picture.height) return;
  const o = (y * picture.width + x) * 4;
  picture.rgba[o] = colour[0];
  picture.rgba[o + 1] = colour[1];
  picture.rgba[o + 2] = colour[2];
  picture.rgba[o + 3] = 255;
}

export function fillRect(picture: Picture, x: number, y: number, width: number, height: number, colour: Rgb): void {
  for (let row = Math.max(0, y); row < Math.min(picture.height, y + height); row++) {
    for (let column = Math.max(0, x); column < Math.min(picture.width, x + width); column++) {
      setPixel(picture, column, row, colour);
    }
  }
}

/** A one-pixel frame just inside the rectangle. */
export function strokeRect(picture: Picture, x: number, y: number, width: number, height: number, colour: Rgb): void {
  fillRect(picture, x, y, width, 1, colour);
  fillRect(picture, x, y + height - 1, width, 1, colour);
  fillRect(picture, x, y, 1, height, colour);
  fillRect(picture, x + width - 1, y, 1, height, colour);
}

/**
 * A segment `radius` thick on each side, with round ends: the pixels whose centre lies within `radius` of it. A
 * segment along a pixel edge with radius 1 paints the pixel on each side. Pixels for which `skip` holds are left.
 */
export function strokeSegment(
  picture: Picture,
  [ax, ay]: readonly [number, number],
  [bx, by]: readonly [number, number],
  radius: number,
  colour: Rgb,
  skip?: (x: number, y: number) => boolean,
): void {
  const [dx, dy] = [bx - ax, by - ay];
  const length2 = dx * dx + dy * dy;
  const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - radius));
  const x1 = Math.min(picture.width - 1, Math.ceil(Math.max(ax, bx) + radius));
  const y0 = Math.max(0, Math.floor(Math.min(ay, by) - radius));
  const y1 = Math.min(picture.height - 1, Math.ceil(Math.max(ay, by) + radius));
  // Strictly inside: a centre exactly `radius` away is left out, so a radius-1 edge paints two pixels, not three.
  const limit = radius * radius - 1e-9;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const [px, py] = [x + 0.5 - ax, y + 0.5 - ay];
      const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, (px * dx + py * dy) / length2));
      const [ex, ey] = [px - t * dx, py - t * dy];
      if (ex * ex + ey * ey < limit && !skip?.(x, y)) setPixel(picture, x, y, colour);
    }
  }
}

/** Calls `paint` for every pixel of a `width`×`height` raster whose centre a polygon covers (even-odd over its rings). */
export function scanPolygon(
  rings: ReadonlyArray<ReadonlyArray<readonly [number, number]>>,
  width: number,
  height: number,
  paint: (x: number, y: number) => void,
): void {
  let [top, bottom] = [Infinity, -Infinity];
  for (const ring of rings) for (const [, y] of ring) [top, bottom] = [Math.min(top, y), Math.max(bottom, y)];
  for (let y = Math.max(0, Math.floor(top)); y <= Math.min(height - 1, Math.ceil(bottom)); y++) {
    const cy = y + 0.5;
    const crossings: number[] = [];
    for (const ring of rings) {
      for (let i = 0; i < ring.length; i++) {
        const [ax, ay] = ring[i]!;
        const [bx, by] = ring[(i + 1) % ring.length]!;
        if (ay <= cy === by <= cy) continue;
        crossings.push(ax + ((cy - ay) / (by - ay)) * (bx - ax));
      }
    }
    crossings.sort((a, b) => a - b);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      const [from, to] = [
        Math.max(0, Math.ceil(crossings[k]! - 0.5)),
        Math.min(width, Math.ceil(crossings[k + 1]! - 0.5)),
      ];
      for (let x = from; x < to; x++) paint(x, y);
    }
  }
}

/** Fills a polygon (even-odd over its rings) by pixel centre. */
export function fillPolygon(
  picture: Picture,
  rings: ReadonlyArray<ReadonlyArray<readonly [number, number]>>,
  colour: Rgb,
) {
  scanPolygon(rings, picture.width, picture.height, (x, y) => setPixel(picture, x, y, colour));
}

/**
 * Copies `source` into `target` at (x, y), each source pixel becoming a `scale`×`scale` block (nearest neighbour:
 * every block is one pixel of the raster, nothing is interpolated). Transparent source pixels take `hatch`: light
 * diagonal lines, the usual mark for "no data here". The target must hold the whole enlarged source.
 */
export function blitScaled(
  target: Picture,
  source: Picture,
  x: number,
  y: number,
  scale: number,
  hatch: { background: Rgb; line: Rgb },
): void {
  const [width, height] = [source.width * scale, source.height * scale];
  if (x < 0 || y < 0 || x + width > target.width || y + height > target.height) {
    throw new RangeError(`blitScaled: ${width}×${height} at ${x},${y} does not fit ${target.width}×${target.height}`);
  }
  const { rgba } = target;
  const rowBytes = width * 4;
  let transparent = false;
  for (let row = 0; row < source.height; row++) {
    // One target row from the source row, then copied to the block's other rows.
    const first = ((y + row * scale) * target.width + x) * 4;
    for (let column = 0; column < source.width; column++) {
      const o = (row * source.width + column) * 4;
      const opaque = source.rgba[o + 3] !== 0;
      transparent ||= !opaque;
      for (let k = 0; k < scale; k++) {
        const t = first + (column * scale + k) * 4;
        rgba[t] = opaque ? source.rgba[o]! : hatch.background[0];
        rgba[t + 1] = opaque ? source.rgba[o + 1]! : hatch.background[1];
        rgba[t + 2] = opaque ? source.rgba[o + 2]! : hatch.background[2];
        rgba[t + 3] = 255;
      }
    }
    for (let k = 1; k < scale; k++) rgba.copyWithin(first + k * target.width * 4, first, first + rowBytes);
  }
  if (!transparent) return;
  for (let row = 0; row < height; row++) {
    for (let column = 0; column < width; column++) {
      const [tx, ty] = [x + column, y + row];
      const o = (Math.floor(row / scale) * source.width + Math.floor(column / scale)) * 4;
      if (source.rgba[o + 3] === 0 && (tx + ty) % 6 === 0) setPixel(target, tx, ty, hatch.line);
    }
  }
}
