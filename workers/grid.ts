/**
 * Pixel-grid arithmetic: GDAL geotransforms, windows, overview choice. Pure.
 */

/** A pixel window, end-exclusive: columns x0..x1-1, rows y0..y1-1. */
export interface PixelWindow {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** GDAL geotransform: [originX, pixelWidth, rowRotation, originY, columnRotation, pixelHeight (negative)]. */
export type GeoTransform = readonly [number, number, number, number, number, number];

/** Bounds in CRS units: [minX, minY, maxX, maxY]. */
export type Bounds = readonly [number, number, number, number];

/**
 * The smallest pixel window covering `bounds`, clipped to a `width × height` image; undefined when they do not
 * overlap. Rotated geotransforms are refused (no satellite product changewatch reads uses them).
 */
export function windowForBounds(
  bounds: Bounds,
  transform: GeoTransform,
  width: number,
  height: number,
): PixelWindow | undefined {
  const [originX, pixelWidth, rotationX, originY, rotationY, pixelHeight] = transform;
  if (rotationX !== 0 || rotationY !== 0)
    throw new RangeError('windowForBounds: rotated geotransforms are not supported');
  const columns = [(bounds[0] - originX) / pixelWidth, (bounds[2] - originX) / pixelWidth];
  const rows = [(bounds[1] - originY) / pixelHeight, (bounds[3] - originY) / pixelHeight];
  // A tiny epsilon keeps bounds that sit exactly on a pixel edge from pulling in the neighbouring pixel.
  const epsilon = 1e-9;
  const x0 = Math.max(0, Math.floor(Math.min(...columns) + epsilon));
  const x1 = Math.min(width, Math.ceil(Math.max(...columns) - epsilon));
  const y0 = Math.max(0, Math.floor(Math.min(...rows) + epsilon));
  const y1 = Math.min(height, Math.ceil(Math.max(...rows) - epsilon));
  return x1 > x0 && y1 > y0 ? { x0, y0, x1, y1 } : undefined;
}

/** Bounds (CRS units) of a pixel window. */
export function boundsOfWindow(window: PixelWindow, transform: GeoTransform): Bounds {
  const [originX, pixelWidth, , originY, , pixelHeight] = transform;
  const xs = [originX + window.x0 * pixelWidth, originX + window.x1 * pixelWidth];
  const ys = [originY + window.y0 * pixelHeight, originY + window.y1 * pixelHeight];
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/**
 * The level to read for a wanted resolution: the coarsest whose pixels are no larger than `resolution`
 * (as GDAL chooses overviews), so nothing is read coarser than asked. Levels are ordered finest first.
 */
export function chooseLevel(
  levels: ReadonlyArray<{ resolution: readonly [number, number] }>,
  resolution: number,
): number {
  let chosen = 0;
  levels.forEach((level, index) => {
    // 1 % slack: overview sizes are rounded, so a 2× overview of 10 m pixels may be 20.0004 m.
    if (Math.max(level.resolution[0], level.resolution[1]) <= resolution * 1.01) chosen = index;
  });
  return chosen;
}

/** A window at level 0 expressed at a level whose pixels are `factor` times larger (rounded outwards). */
export function scaleWindow(
  window: PixelWindow,
  factorX: number,
  factorY: number,
  width: number,
  height: number,
): PixelWindow {
  return {
    x0: Math.max(0, Math.floor(window.x0 / factorX)),
    y0: Math.max(0, Math.floor(window.y0 / factorY)),
    x1: Math.min(width, Math.ceil(window.x1 / factorX)),
    y1: Math.min(height, Math.ceil(window.y1 / factorY)),
  };
}
