import { computeOn, type ComputePool } from '../analysis/pool.js';
import type { AreaGeometry } from '../../aoi/geometry.js';
import { polygonsOf } from '../../aoi/geometry.js';
import type { Summary } from '../../reports/summary.js';
import { siteWindow, type SiteWindow } from '../../workers/chip.geo.js';
import {
  sceneColouring,
  type Chip,
  type ChipLayer,
  type ChipLegend,
  type ChipPng,
  type NamedLegend,
  type SceneColouring,
} from '../../workers/chip.js';
import type { Grid } from '../../aoi/rasterize.js';
import type { BandName } from '../../workers/bands.js';
import { clearMask, type CloudCleanup } from '../../workers/change.block.js';
import { datesForBlock, type PeriodReads } from '../analysis/block.read.js';
import type { RasterOpener } from '../scenes/raster.opener.js';
import type { Observation } from '../scenes/scene.select.js';
import type { TileDecoder } from '../scenes/scene.read.js';
import { productOf } from '../../workers/products/index.js';
import { NOT_SEEN_COLOUR, type Rgb } from '../../workers/render.js';
import type { PublishedRasters } from '../scenes/store.raster.js';
import { VERSION } from '../version.js';
import { allSettled } from '../settle.js';

/**
 * The chips of a site's dossier, cut from the item's published rasters around the site (workers/chip.geo.ts says
 * which window): NDVI of the baseline and of the monitoring composite, and the product's classes, each with the
 * site's outline, a caption, ticks, scale bar, north arrow and legend (workers/chip.ts), as PNG (workers/png.ts,
 * encoded in the worker thread that composes it). Each PNG carries its caption in `tEXt` chunks (PNG 1.2 §4.2.3:
 * Title, Description, Software, Source), which GDAL reports as metadata, and has a `.aux.xml` sidecar (GDAL PAM)
 * with its CRS and geotransform, so `gdalinfo` and a GIS place it on the map.
 */

export interface ChipRecord {
  file: string;
  /** What the chip shows, for the page and the evidence. */
  layer: 'ndvi-baseline' | 'ndvi-monitoring' | 'classes' | 'scene-before' | 'scene-after';
  title: string;
  /** The caption as drawn, line by line. */
  caption: string[];
  /** The asset the pixels come from. */
  asset: string;
  /** The period's window and the scenes behind its composite (classes: both periods'). */
  window: string;
  scenes: string[];
  width: number;
  height: number;
  /** Raster level read (0 full resolution), the window in its pixels, chip pixels per raster pixel. */
  level: number;
  rasterWindow: SiteWindow['window'];
  scale: number;
  epsg: number;
  /** GDAL geotransform of the whole PNG. */
  transform: number[];
  /** Where the map lies in the PNG, pixels. */
  map: Chip['map'];
  scaleBar: Chip['geo']['scaleBar'];
  /** True north, degrees clockwise from the PNG's up. */
  northDegrees: number;
}

export interface ChipFile {
  record: ChipRecord;
  png: Uint8Array;
  /** The `<file>.aux.xml` sidecar. */
  aux: string;
}

export interface ChipInput {
  siteId: string;
  product: string;
  geometry: AreaGeometry;
  summary: Summary;
  /** Store key of each asset of the item. */
  assetKeys: Record<string, string>;
  rasters: PublishedRasters;
  /**
   * The individual scenes nearest the first detection, re-read for their own chips. The plans may come later (they
   * follow from the site's time series): the chips of the published rasters do not wait for them.
   */
  scenes?: {
    plans: readonly SceneChipPlan[] | Promise<readonly SceneChipPlan[]>;
    opener: RasterOpener;
    cloud: CloudCleanup;
    /** Decodes the scenes' tiles (the run's worker pool); default: on this thread. */
    decode?: TileDecoder;
  };
  /** The pool to compose the chips in (the run's, started when first asked for); default: this thread. */
  pool?: () => ComputePool;
}

/** One scene chip: the observation, its side of the first detection, and how much of the site it saw clear. */
export interface SceneChipPlan {
  role: 'before' | 'after';
  observation: Observation;
  firstSeen: string;
  clearShare: number;
}

const rgbOf = (hex: string): Rgb => [
  parseInt(hex.slice(0, 2), 16),
  parseInt(hex.slice(2, 4), 16),
  parseInt(hex.slice(4, 6), 16),
];

/** GDAL PAM sidecar: the CRS and the geotransform of the PNG. */
export function auxXml(epsg: number, transform: readonly number[]): string {
  return (
    `<PAMDataset>\n  <SRS>EPSG:${epsg}</SRS>\n` +
    `  <GeoTransform>${transform.map((value) => value.toFixed(6)).join(', ')}</GeoTransform>\n</PAMDataset>\n`
  );
}

const NDVI_LEGEND: NamedLegend = {
  ramp: 'ndvi',
  swatches: [
    { colour: NOT_SEEN_COLOUR, label: 'not seen clear' },
    { colour: null, label: 'outside the AOI' },
  ],
};

function classLegend(product: string): NamedLegend {
  const swatches: ChipLegend['swatches'] = productOf(product)
    .classes.filter((entry) => !entry.nodata)
    .map((entry) => ({ colour: rgbOf(entry.colour), label: entry.name }));
  return { swatches: [...swatches, { colour: null, label: 'outside the AOI' }] };
}

/** The scenes behind a composite, one paragraph each: date and id (cloud cover is in the evidence). */
const sceneLines = (period: Summary['periods']['baseline']): string[] => [
  `Scenes behind the composite (${period.scenes.length}):`,
  ...period.scenes.map((scene) => `- ${scene.datetime.slice(0, 10)} ${scene.id}`),
];

/** What each chip shows and says: layer, asset, caption paragraphs. */
function chipPlans(input: ChipInput) {
  const { summary, siteId, product } = input;
  const { baseline, monitoring } = summary.periods;
  const site = `Site ${siteId} (cyan outline). Item ${summary.item}, inputs ${summary.inputs}, changewatch ${VERSION}.`;
  const parameters = Object.entries(summary.products[product]?.parameters ?? {})
    .map(([name, value]) => `${name} ${JSON.stringify(value)}`)
    .join(', ');
  return [
    {
      layer: 'ndvi-baseline' as const,
      asset: 'ndvi-baseline',
      window: baseline.window,
      scenes: baseline.scenes.map((scene) => scene.id),
      caption: [
        `NDVI, baseline window ${baseline.window}: median of the clear observations`,
        site,
        ...sceneLines(baseline),
      ],
    },
    {
      layer: 'ndvi-monitoring' as const,
      asset: 'ndvi-monitoring',
      window: monitoring.window,
      scenes: monitoring.scenes.map((scene) => scene.id),
      caption: [
        `NDVI, monitoring window ${monitoring.window}: median of the clear observations`,
        site,
        ...sceneLines(monitoring),
      ],
    },
    {
      layer: 'classes' as const,
      asset: product,
      window: `${baseline.window} vs ${monitoring.window}`,
      scenes: [...baseline.scenes, ...monitoring.scenes].map((scene) => scene.id),
      caption: [
        `${productOf(product).title}: baseline ${baseline.window} vs monitoring ${monitoring.window}`,
        site,
        `Classes of the ${product} raster; parameters: ${parameters}.`,
      ],
    },
  ];
}

type ReadBand = (asset: string, fill: number) => Promise<ArrayLike<number>>;

/** The site's window, and a reader of one band of an asset over it. */
async function placeSite(input: ChipInput): Promise<{ place: SiteWindow; read: ReadBand }> {
  const keyOf = (asset: string) => {
    const key = input.assetKeys[asset];
    if (!key) throw new RangeError(`siteChips: item ${input.summary.item} has no asset ${asset}`);
    return key;
  };
  const classes = await input.rasters(keyOf(input.product));
  const base = classes.info.levels[0]!.resolution[0];
  const factors = classes.info.levels.map((level) => level.resolution[0] / base);
  const place = siteWindow(polygonsOf(input.geometry).flat(), input.summary.grid, factors);
  const read: ReadBand = async (asset, fill) => {
    const reader = await input.rasters(keyOf(asset));
    const { bands } = await reader.readWindow(place.window, { bands: [0], level: place.level, fill });
    return bands[0]!;
  };
  return { place, read };
}

/** What a chip shows and says, and where its pixels come from. */
interface ChipPlan {
  layer: ChipRecord['layer'];
  asset: string;
  window: string;
  scenes: string[];
  caption: string[];
  file: string;
  /** The `Source` of its PNG's text. */
  source: string;
}

/** One chip to compose: its plan, its layer's values and its legend. */
interface ChipJob {
  plan: ChipPlan;
  layer: ChipLayer;
  legend: NamedLegend;
}

function chipRecord(input: ChipInput, place: SiteWindow, plan: ChipPlan, chip: Omit<ChipPng, 'png'>): ChipRecord {
  return {
    file: plan.file,
    layer: plan.layer,
    title: plan.caption[0]!,
    caption: chip.lines,
    asset: plan.asset,
    window: plan.window,
    scenes: plan.scenes,
    width: chip.width,
    height: chip.height,
    level: place.level,
    rasterWindow: place.window,
    scale: place.scale,
    epsg: input.summary.grid.epsg,
    transform: [...chip.transform],
    map: chip.map,
    scaleBar: chip.geo.scaleBar,
    northDegrees: Number(((chip.geo.northRadians * 180) / Math.PI).toFixed(4)),
  };
}

/**
 * The site's chips composed in one task of the run's pool (the outline, ticks and scale bar drawn once for all),
 * while this thread reads for the other dossiers being built: each PNG (caption in its tEXt chunks), its sidecar
 * and record. The layers' values are transferred: the caller no longer uses them.
 */
async function composedChips(input: ChipInput, place: SiteWindow, jobs: readonly ChipJob[]): Promise<ChipFile[]> {
  const { x0, y0, x1, y1 } = place.window;
  const frame = {
    map: { width: x1 - x0, height: y1 - y0 },
    scale: place.scale,
    epsg: input.summary.grid.epsg,
    transform: place.transform,
    outline: place.rings,
  };
  const chips = jobs.map(({ plan, layer, legend }) => ({
    layer,
    caption: plan.caption,
    legend,
    text: [
      ['Title', plan.caption[0]!],
      ['Description', plan.caption.join(' | ')],
      ['Software', `changewatch ${VERSION}`],
      ['Source', plan.source],
    ] as const,
  }));
  const composed = await computeOn(input.pool?.(), { type: 'compose-chips', frame, chips });
  return composed.map(({ png, ...chip }, k) => {
    const record = chipRecord(input, place, jobs[k]!.plan, chip);
    return { record, png, aux: auxXml(record.epsg, record.transform) };
  });
}

const COLOURING_NOTES: Record<SceneColouring, string> = {
  'true colour': 'True colour: red, green and blue reflectance, 0 to 0.25 stretched with a display gamma of 1.8.',
  'false colour':
    'False colour: near infrared, red and green shown as red, green and blue (vegetation is red); the scene carries no blue band, so no true colour.',
  NDVI: 'NDVI: the scene carries no green or blue band, so neither true nor false colour.',
};

/** The scene of one observation nearest the first detection, re-read around the site for a chip of its own. */
async function sceneJob(input: ChipInput, place: SiteWindow, plan: SceneChipPlan): Promise<ChipJob | undefined> {
  const { observation } = plan;
  const scenes = observation.scenes;
  const colouring = sceneColouring({
    green: scenes.every((scene) => scene.bands.green),
    blue: scenes.every((scene) => scene.bands.blue),
  });
  const bands: BandName[] = ['red', 'nir', ...(colouring === 'NDVI' ? [] : (['green'] as const))];
  if (colouring === 'true colour') bands.push('blue');
  const { x0, y0, x1, y1 } = place.window;
  const grid: Grid = { epsg: input.summary.grid.epsg, width: x1 - x0, height: y1 - y0, transform: place.transform };
  const { opener, cloud, decode } = input.scenes!;
  const reads: PeriodReads = { used: new Set(), dated: new Set(), skipped: new Map() };
  const [block] = await datesForBlock([observation], grid, opener, cloud, bands, reads, decode ? { decode } : {});
  if (!block) return undefined;
  const clear = clearMask(block, grid.width, grid.height, cloud.openPx, cloud.dilatePx);
  const { red, nir, green, blue } = block.bands;
  const layer: ChipLayer = {
    kind: 'scene',
    width: grid.width,
    height: grid.height,
    bands: { red: red!, nir: nir!, ...(green && { green }), ...(blue && { blue }) },
    clear,
    colouring,
  };
  const ids = scenes.map((scene) => scene.id).filter((id) => reads.used.has(id));
  const side = plan.role === 'before' ? 'the last observation before' : 'the first observation on or after';
  const what = colouring.charAt(0).toUpperCase() + colouring.slice(1);
  const caption = [
    `${what}, scene of ${observation.date}: ${side} the first detection (${plan.firstSeen})`,
    `Site ${input.siteId} (cyan outline). ${Math.round(plan.clearShare * 100)} % of the site seen clear; greyed: not seen clear (cloud, shadow). changewatch ${VERSION}.`,
    COLOURING_NOTES[colouring],
    `Scene${ids.length > 1 ? 's' : ''}: ${ids.join(', ')}`,
  ];
  const legend: NamedLegend =
    colouring === 'NDVI'
      ? { ...NDVI_LEGEND, swatches: [{ colour: NOT_SEEN_COLOUR, label: 'greyed: not seen clear' }] }
      : { swatches: [{ colour: NOT_SEEN_COLOUR, label: 'greyed: not seen clear' }] };
  const role = plan.role === 'before' ? ('scene-before' as const) : ('scene-after' as const);
  const source = `STAC item${ids.length > 1 ? 's' : ''} ${ids.join(', ')}, read again around the site`;
  const asset = `scene ${ids.join(' ')}`;
  const file = `chip-${role}.png`;
  return { plan: { layer: role, asset, window: observation.date, scenes: ids, caption, file, source }, layer, legend };
}

/** The chips of the item's published rasters: NDVI of both periods and the product's classes, in that order. */
async function rasterJobs(input: ChipInput, place: SiteWindow, read: ReadBand): Promise<ChipJob[]> {
  const { x0, y0, x1, y1 } = place.window;
  const [width, height] = [x1 - x0, y1 - y0];
  const product = productOf(input.product);
  const nodata = product.classes.find((entry) => entry.nodata)?.value ?? 255;
  const codes = await read(input.product, nodata);
  const outside = new Uint8Array(codes.length);
  for (let i = 0; i < codes.length; i++) outside[i] = codes[i] === nodata ? 1 : 0;
  const colours = product.classes.map((entry) => [entry.value, rgbOf(entry.colour)] as const);
  // The classes chip's task takes the codes (transferred; nothing reads them after it), each NDVI chip's a copy of
  // `outside` (one array cannot go to two tasks).
  const job = async (plan: ReturnType<typeof chipPlans>[number]): Promise<ChipJob> => {
    const layer: ChipLayer =
      plan.layer === 'classes'
        ? { kind: 'classes', width, height, codes, colours, nodata }
        : { kind: 'ndvi', width, height, values: await read(plan.asset, NaN), outside: outside.slice() };
    const legend = plan.layer === 'classes' ? classLegend(input.product) : NDVI_LEGEND;
    const file = `chip-${plan.layer === 'classes' ? input.product : plan.layer}.png`;
    const source = `${plan.asset} of STAC item ${input.summary.item} (inputs ${input.summary.inputs})`;
    return { plan: { ...plan, file, source }, layer, legend };
  };
  return allSettled(...chipPlans(input).map(job));
}

/**
 * A site's chips: the published rasters' ({@link rasterJobs}), then the scenes' in the plans' order. All are read
 * at once, then composed together.
 */
export async function siteChips(input: ChipInput): Promise<ChipFile[]> {
  const placed = placeSite(input);
  const fromRasters = async () => {
    const { place, read } = await placed;
    return rasterJobs(input, place, read);
  };
  // The plans are awaited at once, beside the site's window, so a series that failed is never left unheard.
  const fromScenes = async () => {
    const [plans, { place }] = await allSettled(Promise.resolve(input.scenes?.plans ?? []), placed);
    const jobs = await allSettled(...plans.map((plan) => sceneJob(input, place, plan)));
    return jobs.filter((job) => job !== undefined);
  };
  const jobs = (await allSettled(fromRasters(), fromScenes())).flat();
  return composedChips(input, (await placed).place, jobs);
}
