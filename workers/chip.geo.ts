import geographiclib from 'geographiclib-geodesic';
import { fromCrs, toCrs } from '../aoi/aoi.project.js';
import { GLYPH_HEIGHT, GLYPH_WIDTH } from './font.js';

/**
 * Where a chip's map sits on the Earth, for what is drawn around it: lon/lat ticks where meridians and parallels
 * cross its bottom and left edges, a scale bar in ground metres, and the direction of true north. Pure.
 */

/** A north-up transform of the map, in the grid's CRS per chip pixel: [originX, pixelWidth, 0, originY, 0, -pixelHeight]. */
export type MapTransform = readonly [number, number, number, number, number, number];

export interface Tick {
  /** Chip pixels from the map's left (longitude) or top (latitude) edge. */
  at: number;
  value: number;
  label: string;
}

export interface ChipGeo {
  lonTicks: Tick[];
  latTicks: Tick[];
  scaleBar: { metres: number; pixels: number; label: string };
  /** True north, radians clockwise from the map's up (grid north); UTM's convergence. */
  northRadians: number;
  /** Ground metres per chip pixel at the map centre (geodesic on WGS84), for the scale bar. */
  metresPerPixel: number;
}

/** Tick steps, degrees: 1-2-5 from 0.0001° (about 11 m) to 10°. */
const STEPS = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];
/** Scale bar lengths, metres. */
const BAR_METRES = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];

const decimalsOf = (step: number) => Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));

/** The widest label of a step (three integer digits), pixels. */
export const labelWidth = (step: number, axis: 'lon' | 'lat'): number =>
  degreeLabel(-179.5, step, axis).length * GLYPH_WIDTH;

export function degreeLabel(value: number, step: number, axis: 'lon' | 'lat'): string {
  const hemisphere = axis === 'lon' ? (value < 0 ? 'W' : 'E') : value < 0 ? 'S' : 'N';
  const rounded = Math.abs(value).toFixed(decimalsOf(step));
  return Number(rounded) === 0 ? `0°` : `${rounded}°${hemisphere}`;
}

/**
 * Ticks along one edge: `sample(t)` is the degree value at `t` chip pixels along it (monotonic), `length` the edge's
 * length. The step is the finest that keeps ticks `space(step)` pixels apart, so their labels never touch.
 */
function edgeTicks(
  sample: (t: number) => number,
  length: number,
  axis: 'lon' | 'lat',
  space: (step: number) => number,
): Tick[] {
  // The value at every pixel along the edge, interpolated between at most 65 projected samples (a meridian or
  // parallel bends by far less than a pixel over a sixty-fourth of a chip).
  const samples = Math.min(length, 64);
  const known = Array.from({ length: samples + 1 }, (_, k) => sample((k * length) / samples));
  const values = Array.from({ length: length + 1 }, (_, t) => {
    const at = (t * samples) / length;
    const k = Math.min(samples - 1, Math.floor(at));
    return known[k]! + (known[k + 1]! - known[k]!) * (at - k);
  });
  const span = Math.abs(values[length]! - values[0]!);
  if (span === 0) return [];
  const step = STEPS.find((candidate) => (candidate / span) * length >= space(candidate)) ?? STEPS.at(-1)!;
  const [low, high] = [Math.min(values[0]!, values[length]!), Math.max(values[0]!, values[length]!)];
  const ticks: Tick[] = [];
  for (let k = Math.ceil(low / step - 1e-9); k * step <= high + 1e-12; k++) {
    const value = Number((k * step).toFixed(10));
    for (let t = 0; t < length; t++) {
      const [a, b] = [values[t]!, values[t + 1]!];
      if ((value - a) * (value - b) > 0 || a === b) continue;
      ticks.push({ at: t + (value - a) / (b - a), value, label: degreeLabel(value, step, axis) });
      break;
    }
  }
  return ticks;
}

function scaleBar(metresPerPixel: number, mapWidth: number): ChipGeo['scaleBar'] {
  const fits = BAR_METRES.filter((metres) => metres / metresPerPixel <= 0.4 * mapWidth);
  const metres = fits.at(-1) ?? BAR_METRES[0]!;
  const label = metres >= 1000 ? `${metres / 1000} km` : `${metres} m`;
  return { metres, pixels: Math.round(metres / metresPerPixel), label };
}

/**
 * Ticks, scale and north for a map of `width`×`height` chip pixels placed by `transform` in `epsg`; `unit` is the
 * size of the labels' letters (ChipSpec `unit`), which sets how far apart ticks must be.
 */
export function chipGeo(epsg: number, transform: MapTransform, width: number, height: number, unit = 1): ChipGeo {
  const [originX, pixelWidth, , originY, , pixelHeight] = transform;
  // aoi/aoi.project.ts makes each proj4 converter once: these are cheap to ask for per chip.
  const [forward, toLonLat] = [toCrs(epsg), fromCrs(epsg)];
  const at = (column: number, row: number) =>
    toLonLat([originX + column * pixelWidth, originY + row * pixelHeight]) as [number, number];
  // Longitude labels stand side by side under the map; latitude labels one above the other beside it.
  const lonTicks = edgeTicks(
    (t) => at(t, height)[0],
    width,
    'lon',
    (step) => (labelWidth(step, 'lon') + 12) * unit,
  );
  const latTicks = edgeTicks(
    (t) => at(0, t)[1],
    height,
    'lat',
    () => GLYPH_HEIGHT * 3 * unit,
  );
  // Ground distance across the middle of the map (UTM's scale factor is 0.9996-1.001: grid metres are not ground metres).
  const [west, east] = [at(0, height / 2), at(width, height / 2)];
  const metresPerPixel = geographiclib.Geodesic.WGS84.Inverse(west[1], west[0], east[1], east[0]).s12! / width;
  const centre = at(width / 2, height / 2);
  const [cx, cy] = [originX + (width / 2) * pixelWidth, originY + (height / 2) * pixelHeight];
  const [nx, ny] = forward([centre[0], centre[1] + 0.001]) as [number, number];
  const northRadians = Math.atan2(nx - cx, ny - cy);
  return { lonTicks, latTicks, scaleBar: scaleBar(metresPerPixel, width), northRadians, metresPerPixel };
}

/** A chip shows at least this many raster pixels a side (640 m at 10 m), so a small site keeps its surroundings. */
export const CHIP_MIN_PIXELS = 64;
/** At most this many pixels a side are drawn: a larger window is read from the overview that brings it under. */
export const CHIP_MAX_PIXELS = 512;
/** Small windows are enlarged by a whole factor towards this many chip pixels a side (at most 8×). */
export const CHIP_TARGET_PIXELS = 256;

export interface SiteWindow {
  /** The raster level read (0: full resolution; then the overviews) and its pixel size over level 0's. */
  level: number;
  factor: number;
  /** The window in the level's pixels, end-exclusive (it may reach past the raster: that part has no data). */
  window: { x0: number; y0: number; x1: number; y1: number };
  /** Georeference of the window's pixel grid. */
  transform: MapTransform;
  /** The site's rings in window pixels. */
  rings: Array<Array<[number, number]>>;
  /** Chip pixels per window pixel. */
  scale: number;
}

/**
 * The square window around a site: its bounding box on the grid plus a margin of half its size (at least 16
 * pixels) on each side, at least {@link CHIP_MIN_PIXELS} a side, centred on the site; read at the first level
 * (`factors`: each level's pixel size over level 0's) where it fits {@link CHIP_MAX_PIXELS}.
 */
export function siteWindow(
  rings: ReadonlyArray<ReadonlyArray<readonly [number, number]>>,
  grid: { epsg: number; transform: readonly number[] },
  factors: readonly number[],
): SiteWindow {
  const [originX, pixelWidth, , originY, , pixelHeight] = grid.transform as MapTransform;
  const forward = toCrs(grid.epsg);
  const projected = rings.map((ring) =>
    ring.map(([lon, lat]) => {
      const [x, y] = forward([lon, lat]) as [number, number];
      return [(x - originX) / pixelWidth, (y - originY) / pixelHeight] as [number, number];
    }),
  );
  let [left, top, right, bottom] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const ring of projected) {
    for (const [x, y] of ring)
      [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x), Math.max(bottom, y)];
  }
  // The box on whole pixels: outline vertices are pixel corners, give or take the lon/lat round trip.
  [left, top] = [Math.floor(left + 1e-6), Math.floor(top + 1e-6)];
  [right, bottom] = [Math.ceil(right - 1e-6), Math.ceil(bottom - 1e-6)];
  const size = Math.max(right - left, bottom - top);
  const side = Math.max(CHIP_MIN_PIXELS, size + 2 * Math.max(16, Math.ceil(size / 2)));
  const fits = factors.findIndex((factor) => side / factor <= CHIP_MAX_PIXELS);
  const level = fits >= 0 ? fits : Math.max(0, factors.length - 1);
  const factor = factors[level] ?? 1;
  const cells = Math.ceil(side / factor);
  const x0 = Math.floor((left - Math.floor((side - (right - left)) / 2)) / factor);
  const y0 = Math.floor((top - Math.floor((side - (bottom - top)) / 2)) / factor);
  const window = { x0, y0, x1: x0 + cells, y1: y0 + cells };
  const transform: MapTransform = [
    originX + x0 * factor * pixelWidth,
    pixelWidth * factor,
    0,
    originY + y0 * factor * pixelHeight,
    0,
    pixelHeight * factor,
  ];
  const inWindow = projected.map((ring) =>
    ring.map(([x, y]) => [x / factor - x0, y / factor - y0] as [number, number]),
  );
  const scale = Math.min(8, Math.max(1, Math.floor(CHIP_TARGET_PIXELS / cells)));
  return { level, factor, window, transform, rings: inWindow, scale };
}
