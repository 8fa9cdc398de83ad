/**
 * Brings a raster window onto the output grid. Same CRS: an affine mapping (exact). Another CRS (a neighbouring
 * UTM zone): a caller-supplied point transformer from grid to source coordinates, evaluated exactly on a mesh
 * every `step` pixels and interpolated bilinearly in between, as GDAL's approximate transformer does; the mesh is
 * refined until the interpolation error stays under 1/8 pixel. Nearest neighbour for masks and classes, bilinear
 * for reflectance (NaN where any of the four neighbours is missing). Pure.
 */

export type Transform = readonly [number, number, number, number, number, number];

export interface SourceRaster {
  data: ArrayLike<number>;
  width: number;
  height: number;
  transform: Transform;
}

export interface TargetGrid {
  width: number;
  height: number;
  transform: Transform;
}

export type Resampling = 'nearest' | 'bilinear';

/** Maps a point in target CRS coordinates to source CRS coordinates. */
export type PointTransformer = (x: number, y: number) => [number, number];

/** Error budget of the approximate transformer, in source pixels (GDAL's default is 0.125). */
export const MAX_APPROXIMATION_ERROR_PX = 0.125;

/** A target pixel's centre (column, row) in source pixel coordinates. */
type ToSource = (column: number, row: number) => [number, number];

/** Every target pixel's centre in source pixel coordinates, as `at` places it. */
function fillCoordinates(target: TargetGrid, at: ToSource): { columns: Float64Array; rows: Float64Array } {
  const columns = new Float64Array(target.width * target.height);
  const rows = new Float64Array(target.width * target.height);
  for (let row = 0; row < target.height; row++) {
    for (let column = 0; column < target.width; column++) {
      const [c, r] = at(column, row);
      columns[row * target.width + column] = c;
      rows[row * target.width + column] = r;
    }
  }
  return { columns, rows };
}

/** `exact` evaluated on a mesh every `step` target pixels, and interpolated bilinearly in between. */
function meshTransform(target: TargetGrid, exact: ToSource, step: number): ToSource {
  const meshWidth = Math.ceil(target.width / step) + 1;
  const meshHeight = Math.ceil(target.height / step) + 1;
  const meshC = new Float64Array(meshWidth * meshHeight);
  const meshR = new Float64Array(meshWidth * meshHeight);
  for (let my = 0; my < meshHeight; my++) {
    for (let mx = 0; mx < meshWidth; mx++) {
      const [c, r] = exact(mx * step, my * step);
      meshC[my * meshWidth + mx] = c;
      meshR[my * meshWidth + mx] = r;
    }
  }
  return (column, row) => {
    const fx = column / step;
    const fy = row / step;
    const mx = Math.min(Math.floor(fx), meshWidth - 2);
    const my = Math.min(Math.floor(fy), meshHeight - 2);
    const ax = fx - mx;
    const ay = fy - my;
    const at = (mesh: Float64Array) => {
      const i = my * meshWidth + mx;
      return (
        mesh[i]! * (1 - ax) * (1 - ay) +
        mesh[i + 1]! * ax * (1 - ay) +
        mesh[i + meshWidth]! * (1 - ax) * ay +
        mesh[i + meshWidth + 1]! * ax * ay
      );
    };
    return [at(meshC), at(meshR)];
  };
}

/** Whether the mesh's interpolation stays within the error budget at the middle of each of its cells. */
function meshHolds(target: TargetGrid, exact: ToSource, approximate: ToSource, step: number): boolean {
  for (let my = 0; my * step < target.height; my++) {
    for (let mx = 0; mx * step < target.width; mx++) {
      const column = Math.min(target.width - 1, mx * step + step / 2);
      const row = Math.min(target.height - 1, my * step + step / 2);
      const [c, r] = exact(column, row);
      const [ac, ar] = approximate(column, row);
      // Negated so that a NaN (a point the transformer cannot place) fails too.
      if (!(Math.max(Math.abs(c - ac), Math.abs(r - ar)) <= MAX_APPROXIMATION_ERROR_PX)) return false;
    }
  }
  return true;
}

function sourcePixelCoordinates(
  source: SourceRaster,
  target: TargetGrid,
  transformer: PointTransformer | undefined,
): { columns: Float64Array; rows: Float64Array } {
  const [sx0, sdx, , sy0, , sdy] = source.transform;
  const [tx0, tdx, , ty0, , tdy] = target.transform;
  const exact: ToSource = (column, row) => {
    const [x, y] = [tx0 + (column + 0.5) * tdx, ty0 + (row + 0.5) * tdy];
    const [u, v] = transformer ? transformer(x, y) : [x, y];
    return [(u - sx0) / sdx, (v - sy0) / sdy];
  };
  if (!transformer) return fillCoordinates(target, exact);
  // Approximate: exact on a mesh, bilinear in between; halve the step until the mid-cell error is small enough.
  for (let step = 32; step > 1; step >>= 1) {
    const approximate = meshTransform(target, exact, step);
    if (meshHolds(target, exact, approximate, step)) return fillCoordinates(target, approximate);
  }
  return fillCoordinates(target, exact);
}

/** The whole-pixel offset of target in source when both grids share pixel size and alignment. */
export function alignedOffset(
  source: Pick<SourceRaster, 'transform'>,
  target: TargetGrid,
): [number, number] | undefined {
  const [sx0, sdx, srx, sy0, sry, sdy] = source.transform;
  const [tx0, tdx, trx, ty0, try_, tdy] = target.transform;
  if (srx || sry || trx || try_ || sdx !== tdx || sdy !== tdy) return undefined;
  const dx = (tx0 - sx0) / sdx;
  const dy = (ty0 - sy0) / sdy;
  const rx = Math.round(dx);
  const ry = Math.round(dy);
  return Math.abs(dx - rx) < 1e-9 && Math.abs(dy - ry) < 1e-9 ? [rx, ry] : undefined;
}

/**
 * Resamples `source` onto `target`. `fill` where the target pixel falls outside the source (default NaN).
 * `transformer` is needed only when the CRSs differ.
 */
export function resampleToGrid(
  source: SourceRaster,
  target: TargetGrid,
  method: Resampling,
  options: { transformer?: PointTransformer; fill?: number; out?: Float32Array } = {},
): Float32Array {
  const out = options.out ?? new Float32Array(target.width * target.height);
  const fill = options.fill ?? NaN;
  const aligned = options.transformer ? undefined : alignedOffset(source, target);
  if (aligned) {
    // Same CRS, same pixel size, whole-pixel offset: a copy of rows, whatever the method.
    const [dx, dy] = aligned;
    for (let row = 0; row < target.height; row++) {
      const sourceRow = row + dy;
      const start = row * target.width;
      if (sourceRow < 0 || sourceRow >= source.height) {
        out.fill(fill, start, start + target.width);
        continue;
      }
      for (let column = 0; column < target.width; column++) {
        const sourceColumn = column + dx;
        out[start + column] =
          sourceColumn < 0 || sourceColumn >= source.width
            ? fill
            : source.data[sourceRow * source.width + sourceColumn]!;
      }
    }
    return out;
  }
  const { columns, rows } = sourcePixelCoordinates(source, target, options.transformer);
  const { data, width, height } = source;
  for (let i = 0; i < out.length; i++) {
    // Pixel-centre convention: source pixel (c, r) spans [c, c + 1) × [r, r + 1).
    const c = columns[i]!;
    const r = rows[i]!;
    if (method === 'nearest') {
      const column = Math.floor(c);
      const row = Math.floor(r);
      out[i] = column < 0 || row < 0 || column >= width || row >= height ? fill : data[row * width + column]!;
      continue;
    }
    const x = c - 0.5;
    const y = r - 0.5;
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    if (x < -0.5 || y < -0.5 || x > width - 0.5 || y > height - 0.5) {
      out[i] = fill;
      continue;
    }
    const cx0 = Math.max(0, x0);
    const cy0 = Math.max(0, y0);
    const cx1 = Math.min(width - 1, x0 + 1);
    const cy1 = Math.min(height - 1, y0 + 1);
    const ax = x - x0;
    const ay = y - y0;
    // Terms of zero weight are skipped: NaN × 0 is NaN, and an aligned grid must copy values, not lose them.
    let value = 0;
    if ((1 - ax) * (1 - ay) !== 0) value += data[cy0 * width + cx0]! * (1 - ax) * (1 - ay);
    if (ax * (1 - ay) !== 0) value += data[cy0 * width + cx1]! * ax * (1 - ay);
    if ((1 - ax) * ay !== 0) value += data[cy1 * width + cx0]! * (1 - ax) * ay;
    if (ax * ay !== 0) value += data[cy1 * width + cx1]! * ax * ay;
    out[i] = value;
  }
  return out;
}
