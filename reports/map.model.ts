import { crsDefinition } from '../aoi/aoi.project.js';
import type { AreaGeometry } from '../aoi/geometry.js';
import { CONFIDENCE_CLASSES, type ClassInfo } from '../workers/products/product.js';
import { productOf, PRODUCT_TYPES } from '../workers/products/index.js';
import { sceneAttribution } from './attribution.js';
import type { Summary } from './summary.js';

/**
 * What the report page's interactive map shows, decided here (pure) and handed to the browser as JSON: the published
 * COGs as layers with their colours and legends, the vectors, the CRS to register. The browser script
 * (reports/map/map.client.ts) only draws it, so what a legend says is tested without a browser.
 */
export type Rgba = [number, number, number, number];

export type Colouring =
  | { kind: 'ramp'; stops: Array<[number, Rgba]> }
  /** Colour by code (classes): codes not listed are transparent. */
  | { kind: 'palette'; colours: Array<[number, Rgba]> }
  /** Three bands already display bytes (the colour composites): shown as they are, 0 transparent. */
  | { kind: 'rgb' };

export interface MapLayer {
  id: string;
  title: string;
  /** The COG, relative to the page. */
  href: string;
  /** The COG's nodata: a number, or 'nan' (JSON has no NaN). */
  nodata: number | 'nan';
  colouring: Colouring;
  legend: { unit: string; rows: Array<{ colour: string; label: string }> };
}

export interface MapModel {
  epsg: number;
  /** proj4 definition of the grid's CRS, registered in the browser (no network look-up). */
  proj4: string;
  /** Grid extent in its CRS: minX, minY, maxX, maxY. */
  extent: [number, number, number, number];
  /** Where the CRS is valid, lon/lat (a UTM zone's six degrees): what the graticule needs to know. */
  worldExtent: [number, number, number, number];
  layers: MapLayer[];
  /** The layer shown first, and the one under the swipe. */
  initial: { top: string; bottom: string };
  aoi: AreaGeometry;
  zones: Array<{ id: string; name: string; geometry: AreaGeometry }>;
  polygonsHref?: string;
  sitesHref?: string;
  dossierHref?: string;
  basemap?: { url: string; attribution: string };
  /** What the figure says under the map: title, the scenes' credit, the item and run it comes from. */
  figure: { title: string; credit: string; source: string };
}

const hex = (colour: string, alpha = 255): Rgba => [
  parseInt(colour.slice(0, 2), 16),
  parseInt(colour.slice(2, 4), 16),
  parseInt(colour.slice(4, 6), 16),
  alpha,
];
const css = ([r, g, b]: Rgba) => `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/** ColorBrewer YlGn, the previews' NDVI ramp (workers/render.ts). */
const NDVI_STOPS: Array<[number, Rgba]> = [
  [-0.1, [255, 255, 229, 255]],
  [0.2, [217, 240, 163, 255]],
  [0.45, [120, 198, 121, 255]],
  [0.7, [35, 132, 67, 255]],
  [0.9, [0, 69, 41, 255]],
];
/** ColorBrewer PuBu for counts and days. */
const SEQUENTIAL: Rgba[] = [
  [241, 238, 246, 255],
  [189, 201, 225, 255],
  [116, 169, 207, 255],
  [43, 140, 190, 255],
  [4, 90, 141, 255],
];

const rampLegend = (stops: Array<[number, Rgba]>, label: (value: number) => string) =>
  stops.map(([value, colour]) => ({ colour: css(colour), label: label(value) }));

function ndviLayer(id: string, href: string, window: string): MapLayer {
  return {
    id,
    title: `NDVI ${id.endsWith('baseline') ? 'before' : 'after'} (${window})`,
    href,
    nodata: 'nan',
    colouring: { kind: 'ramp', stops: NDVI_STOPS },
    legend: {
      unit: 'NDVI (unitless), median of the clear observations',
      rows: rampLegend(NDVI_STOPS, (v) => v.toFixed(2)),
    },
  };
}

/** The composite's description in the summary's parameters (pipeline/outputs/summary.build.ts), if it has one. */
export function compositeOf(summary: Summary): { kind: string; bands: string[]; top: number[] } | undefined {
  const composite = summary.parameters['composite'] as { kind?: unknown; bands?: unknown; top?: unknown } | undefined;
  const { kind, bands, top } = composite ?? {};
  if (typeof kind !== 'string' || !Array.isArray(bands) || !Array.isArray(top) || bands.length !== 3) return undefined;
  return { kind, bands: bands.map(String), top: top.map(Number) };
}

/** The rows of a colour composite's legend, for the map and the figure: each display colour, its band and stretch. */
export function compositeLegend(
  composite: NonNullable<ReturnType<typeof compositeOf>>,
): Array<{ colour: Rgba; label: string }> {
  const colours: Rgba[] = [
    [255, 0, 0, 255],
    [0, 255, 0, 255],
    [0, 0, 255, 255],
  ];
  return (['red', 'green', 'blue'] as const).map((channel, k) => ({
    colour: colours[k]!,
    label: `${channel}: ${composite.bands[k]} reflectance 0–${composite.top[k]}`,
  }));
}

function compositeLayer(
  period: 'baseline' | 'monitoring',
  href: string,
  window: string,
  composite: NonNullable<ReturnType<typeof compositeOf>>,
): MapLayer {
  const name = composite.kind === 'true-colour' ? 'True colour' : 'False colour';
  return {
    id: `composite-${period}`,
    title: `${name} ${period === 'baseline' ? 'before' : 'after'} (${window})`,
    href,
    nodata: 0,
    colouring: { kind: 'rgb' },
    legend: {
      unit: 'median reflectance of the clear observations, linear stretch',
      rows: compositeLegend(composite).map(({ colour, label }) => ({ colour: css(colour), label })),
    },
  };
}

function classLayer(id: string, title: string, href: string, classes: readonly ClassInfo[]): MapLayer {
  const shown = classes.filter((entry) => !entry.nodata);
  return {
    id,
    title,
    href,
    nodata: classes.find((entry) => entry.nodata)?.value ?? 255,
    colouring: { kind: 'palette', colours: shown.map((entry) => [entry.value, hex(entry.colour)]) },
    legend: {
      unit: 'class',
      rows: shown.map((entry) => ({ colour: `#${entry.colour}`, label: `${entry.value} ${entry.name}` })),
    },
  };
}

/** A sequential ramp over [low, high] with five labelled stops. */
function sequentialLayer(
  id: string,
  title: string,
  href: string,
  low: number,
  high: number,
  unit: string,
  label: (v: number) => string,
): MapLayer {
  const stops = SEQUENTIAL.map((colour, k): [number, Rgba] => [
    low + ((high - low) * k) / (SEQUENTIAL.length - 1),
    colour,
  ]);
  return {
    id,
    title,
    href,
    nodata: 65535,
    colouring: { kind: 'ramp', stops },
    legend: { unit, rows: rampLegend(stops, label) },
  };
}

const DAY_MS = 86_400_000;
const dayOf = (iso: string) => Math.floor(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / DAY_MS);
const isoOf = (day: number) => new Date(Math.round(day) * DAY_MS).toISOString().slice(0, 10);

function periodLayers(summary: Summary, hrefOf: (asset: string) => string | undefined): MapLayer[] {
  const layers: MapLayer[] = [];
  const composite = compositeOf(summary);
  for (const period of ['baseline', 'monitoring'] as const) {
    const { window, observationDates } = summary.periods[period];
    const picture = hrefOf(`composite-${period}`);
    if (picture && composite) layers.push(compositeLayer(period, picture, window, composite));
    const ndvi = hrefOf(`ndvi-${period}`);
    if (ndvi) layers.push(ndviLayer(`ndvi-${period}`, ndvi, window));
    const count = hrefOf(`clear-count-${period}`);
    if (count) {
      const most = Math.max(1, observationDates.length);
      layers.push(
        sequentialLayer(
          `clear-count-${period}`,
          `Clear observations, ${period} (${window})`,
          count,
          0,
          most,
          'clear observations per pixel',
          (v) => v.toFixed(0),
        ),
      );
    }
  }
  const lastClear = hrefOf('last-clear');
  const { start, end } = summary.periods.monitoring;
  if (lastClear)
    layers.push(
      sequentialLayer(
        'last-clear',
        'Last clear observation (monitoring window)',
        lastClear,
        dayOf(start),
        dayOf(end) - 1,
        'date of the last clear view',
        isoOf,
      ),
    );
  return layers;
}

/**
 * Every layer the item has a COG for: colour composites, NDVI, clear counts, last clear day, each product's classes
 * and confidence.
 */
export function mapLayers(summary: Summary, hrefOf: (asset: string) => string | undefined): MapLayer[] {
  const layers = periodLayers(summary, hrefOf);
  for (const type of PRODUCT_TYPES.filter((candidate) => summary.products[candidate])) {
    const product = productOf(type);
    const classes = hrefOf(type);
    if (classes) layers.push(classLayer(type, product.title, classes, product.classes));
    const confidence = hrefOf(`${type}-confidence`);
    if (product.confidence && confidence)
      layers.push(classLayer(`${type}-confidence`, product.confidence.title, confidence, CONFIDENCE_CLASSES));
  }
  return layers;
}

/** A UTM zone's area of use (EPSG): six degrees of longitude, the equator to 80° S or 84° N. */
function worldExtentOf(epsg: number): [number, number, number, number] {
  const zone = epsg % 100;
  const south = Math.floor(epsg / 100) === 327;
  const west = (zone - 1) * 6 - 180;
  return [west, south ? -80 : 0, west + 6, south ? 0 : 84];
}

export function mapModel(input: {
  summary: Summary;
  hrefOf: (asset: string) => string | undefined;
  aoi: AreaGeometry;
  zones: MapModel['zones'];
  sitesHref?: string;
  basemap?: MapModel['basemap'];
  runId?: string;
}): MapModel | undefined {
  const { grid } = input.summary;
  const proj4 = crsDefinition(grid.epsg);
  const layers = mapLayers(input.summary, input.hrefOf);
  // The map registers UTM zones only (what the run's grids are): another CRS gets the static previews.
  const utm = [326, 327].includes(Math.floor(grid.epsg / 100));
  if (!proj4 || !utm || layers.length === 0) return undefined;
  const [originX, pixelWidth, , originY, , pixelHeight] = grid.transform;
  const [x1, y1] = [originX! + grid.width * pixelWidth!, originY! + grid.height * pixelHeight!];
  const lead = layers.find((layer) => layer.id === PRODUCT_TYPES.find((type) => input.summary.products[type]));
  const polygons = input.hrefOf('polygons');
  return {
    epsg: grid.epsg,
    proj4,
    extent: [Math.min(originX!, x1), Math.min(originY!, y1), Math.max(originX!, x1), Math.max(originY!, y1)],
    worldExtent: worldExtentOf(grid.epsg),
    layers,
    initial: {
      top: lead?.id ?? layers.at(-1)!.id,
      bottom:
        (layers.find((l) => l.id === 'composite-monitoring') ?? layers.find((l) => l.id === 'ndvi-monitoring'))?.id ??
        layers[0]!.id,
    },
    aoi: input.aoi,
    zones: input.zones,
    ...(polygons ? { polygonsHref: polygons } : {}),
    ...(input.sitesHref ? { sitesHref: input.sitesHref } : {}),
    ...(input.basemap ? { basemap: input.basemap } : {}),
    figure: figureText(input.summary, input.runId),
  };
}

function figureText(summary: Summary, runId: string | undefined): MapModel['figure'] {
  const { baseline, monitoring } = summary.periods;
  const scenes = [...baseline.scenes, ...monitoring.scenes];
  return {
    title: `${summary.aoi.name}: baseline ${baseline.window}, monitoring ${monitoring.window}`,
    credit: sceneAttribution(scenes),
    source: `changewatch ${summary.software.version} · item ${summary.item} · inputs ${summary.inputs}${runId ? ` · run ${runId}` : ''}`,
  };
}
