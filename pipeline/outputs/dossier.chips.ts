import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import type { AreaGeometry } from '../../aoi/geometry.js';
import { polygonsOf } from '../../aoi/geometry.js';
import type { Summary } from '../../reports/summary.js';
import { siteWindow, type SiteWindow } from '../../workers/chip.geo.js';
import { classLayer, composeChip, ndviLayer, type Chip, type ChipLegend } from '../../workers/chip.js';
import { drawable } from '../../workers/font.js';
import { productOf } from '../../workers/products/index.js';
import { ndviColour, NOT_SEEN_COLOUR, type Picture, type Rgb } from '../../workers/render.js';
import type { PublishedRasters } from '../scenes/store.raster.js';
import { VERSION } from '../version.js';

/**
 * The chips of a site's dossier, cut from the item's published rasters around the site (workers/chip.geo.ts says
 * which window): NDVI of the baseline and of the monitoring composite, and the product's classes, each with the
 * site's outline, a caption, ticks, scale bar, north arrow and legend (workers/chip.ts), as PNG (sharp). Each PNG
 * carries its caption in `tEXt` chunks (PNG 1.2 §4.2.3: Title, Description, Software, Source), which GDAL reports
 * as metadata, and has a `.aux.xml` sidecar (GDAL PAM) with its CRS and geotransform, so `gdalinfo` and a GIS place
 * it on the map.
 */

export interface ChipRecord {
  file: string;
  /** What the chip shows, for the page and the evidence. */
  layer: 'ndvi-baseline' | 'ndvi-monitoring' | 'classes';
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
}

const rgbOf = (hex: string): Rgb => [
  parseInt(hex.slice(0, 2), 16),
  parseInt(hex.slice(2, 4), 16),
  parseInt(hex.slice(4, 6), 16),
];

/** One PNG chunk: length, type, data, CRC-32 over type and data (PNG 1.2 §3.2). */
function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** The PNG with `tEXt` chunks (keyword, NUL, Latin-1 text) inserted after IHDR (8-byte signature + 25-byte IHDR). */
export function withText(png: Uint8Array, text: ReadonlyArray<readonly [string, string]>): Uint8Array {
  const chunks = text.map(([keyword, value]) =>
    chunk(
      'tEXt',
      Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(drawable(value), 'latin1')]),
    ),
  );
  return new Uint8Array(Buffer.concat([png.subarray(0, 33), ...chunks, png.subarray(33)]));
}

/** GDAL PAM sidecar: the CRS and the geotransform of the PNG. */
export function auxXml(epsg: number, transform: readonly number[]): string {
  return (
    `<PAMDataset>\n  <SRS>EPSG:${epsg}</SRS>\n` +
    `  <GeoTransform>${transform.map((value) => value.toFixed(6)).join(', ')}</GeoTransform>\n</PAMDataset>\n`
  );
}

/**
 * RGB PNG (the chips are opaque). zlib level 6 without adaptive filtering: a sixth of the time of level 9 with it, for
 * files about 12 % larger; a run writes three chips per changed site. `dpi`: the print resolution its `pHYs` chunk
 * states (a figure's 300); without it, sharp's default.
 */
export async function encodeOpaquePng(picture: Picture, options: { dpi?: number } = {}): Promise<Uint8Array> {
  const raw = Buffer.from(picture.rgba.buffer, picture.rgba.byteOffset, picture.rgba.byteLength);
  let image = sharp(raw, { raw: { width: picture.width, height: picture.height, channels: 4 } }).removeAlpha();
  if (options.dpi) image = image.withMetadata({ density: options.dpi });
  return new Uint8Array(await image.png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer());
}

const NDVI_LEGEND: ChipLegend = {
  ramp: { label: 'NDVI', low: -0.1, high: 0.9, colour: ndviColour },
  swatches: [
    { colour: NOT_SEEN_COLOUR, label: 'not seen clear' },
    { colour: null, label: 'outside the AOI' },
  ],
};

function classLegend(product: string): ChipLegend {
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

/** The three chips of a site: NDVI before, NDVI after, the product's classes. */
export async function siteChips(input: ChipInput): Promise<ChipFile[]> {
  const { place, read } = await placeSite(input);
  const { x0, y0, x1, y1 } = place.window;
  const [width, height] = [x1 - x0, y1 - y0];
  const product = productOf(input.product);
  const nodata = product.classes.find((entry) => entry.nodata)?.value ?? 255;
  const codes = await read(input.product, nodata);
  const outside = Uint8Array.from({ length: codes.length }, (_, i) => (codes[i] === nodata ? 1 : 0));
  const colours = new Map(product.classes.map((entry) => [entry.value, rgbOf(entry.colour)] as const));
  const files: ChipFile[] = [];
  for (const plan of chipPlans(input)) {
    const map =
      plan.layer === 'classes'
        ? classLayer(codes, colours, nodata, width, height)
        : ndviLayer(await read(plan.asset, NaN), outside, width, height);
    const legend = plan.layer === 'classes' ? classLegend(input.product) : NDVI_LEGEND;
    const chip = composeChip({
      ...place,
      map,
      epsg: input.summary.grid.epsg,
      outline: place.rings,
      caption: plan.caption,
      legend,
    });
    const file = `chip-${plan.layer === 'classes' ? input.product : plan.layer}.png`;
    const png = withText(await encodeOpaquePng(chip.picture), [
      ['Title', plan.caption[0]!],
      ['Description', plan.caption.join(' | ')],
      ['Software', `changewatch ${VERSION}`],
      ['Source', `${plan.asset} of STAC item ${input.summary.item} (inputs ${input.summary.inputs})`],
    ]);
    const record: ChipRecord = {
      file,
      layer: plan.layer,
      title: plan.caption[0]!,
      caption: chip.lines,
      asset: plan.asset,
      window: plan.window,
      scenes: plan.scenes,
      width: chip.picture.width,
      height: chip.picture.height,
      level: place.level,
      rasterWindow: place.window,
      scale: place.scale,
      epsg: input.summary.grid.epsg,
      transform: [...chip.transform],
      map: chip.map,
      scaleBar: chip.geo.scaleBar,
      northDegrees: Number(((chip.geo.northRadians * 180) / Math.PI).toFixed(4)),
    };
    files.push({ record, png, aux: auxXml(record.epsg, record.transform) });
  }
  return files;
}
