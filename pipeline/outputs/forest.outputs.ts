import type { Aoi } from '../../aoi/aoi.schema.js';
import type { TimeInterval } from '../../aoi/interval.js';
import { join } from 'node:path';
import type { Grid, PixelWindow } from '../../aoi/rasterize.js';
import { CONFIDENCE, FOREST_LOSS_CLASSES } from '../../workers/change.js';
import type { ChangeBlockResult } from '../../workers/change.block.js';
import {
  addClassBlock,
  addNdviBlock,
  classReduction,
  classesOver,
  ndviPicture,
  ndviReduction,
  type ClassReduction,
  type NdviReduction,
  type Rgb,
} from '../../workers/render.js';
import type { AnalysisRun, AnalysisSink, BlockClasses, ProductName } from '../analysis/analysis.js';
import { CogWriter, type CogOptions } from '../io/cog.writer.js';
import type { SceneSearch } from '../scenes/scenes.find.js';
import { VERSION } from '../version.js';
import {
  CONFIDENCE_LEGEND,
  FOREST_LOSS_LEGEND,
  MINING_LEGEND,
  PRODUCT_LEGENDS,
  SETTLEMENT_LEGEND,
  rgbOf,
  type ClassInfo,
} from './legend.js';
import { sha256Hex } from './layout.js';
import { patchPolygons } from './polygons.js';
import { PREVIEW_MAX_SIDE, encodePng, pngWithLegend, thumbnailPng } from './previews.js';
import type { Picture } from '../../workers/render.js';
import {
  SUMMARY_SCHEMA_VERSION,
  roundHa,
  type PeriodSummary,
  type ProductSummary,
  type Summary,
  type Tally,
} from '../../reports/summary.js';

/**
 * Everything one forest-loss run publishes, as bytes: Cloud-Optimized GeoTIFFs of the composites' NDVI, the
 * clear-observation counts, the classes and the confidence; the change patches as GeoJSON; PNG previews; and the
 * summary with the checksums of all of them. Pixels outside the AOI polygon are nodata in every raster, so
 * counting a class in a raster gives the summary's figure. Rasters and previews are built block by block as the
 * run streams ({@link RasterOutputSink}); the rasters are files in a work folder, never whole in memory.
 */

export const COG_TYPE = 'image/tiff; application=geotiff; profile=cloud-optimized';

export interface OutputFile {
  /** The STAC asset key (`forest-loss`, `summary`…). */
  asset: string;
  file: string;
  /** The bytes, or a file in the work folder (rasters). */
  body: Uint8Array | { path: string };
  size: number;
  /** SHA-256, hex. */
  sha256: string;
  type: string;
  title: string;
  roles: string[];
  /** Further STAC asset fields: bands, classification:classes. */
  stac: Record<string, unknown>;
}

export interface PeriodInput {
  window: TimeInterval;
  search: SceneSearch;
}

export interface ForestOutputsInput {
  aoi: Aoi;
  run: AnalysisRun;
  /** The sink that received the run's blocks. */
  rasters: RasterOutputSink;
  periods: { baseline: PeriodInput; monitoring: PeriodInput };
  itemId: string;
  digest: string;
}

const CLEAR_COUNT_NODATA = 65_535;

function classesMetadata(legend: readonly ClassInfo[]): string {
  return legend.map((entry) => `${entry.value}=${entry.name}`).join(',');
}

function classificationOf(legend: readonly ClassInfo[]) {
  return legend.map((entry) => ({
    value: entry.value,
    name: entry.name,
    description: entry.description,
    color_hint: entry.colour.toUpperCase(),
    ...(entry.nodata ? { nodata: true } : {}),
  }));
}

function dayRange(window: TimeInterval): [number, number] {
  const dayOfYear = (ms: number) => {
    const date = new Date(ms);
    return Math.floor((ms - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000);
  };
  return [dayOfYear(Date.parse(window.start)), dayOfYear(Date.parse(window.end) - 1)];
}

/** Share of the shorter window's days of the year that the other window also covers (windows under a year). */
function seasonalOverlap(a: TimeInterval, b: TimeInterval): number {
  const days = (range: [number, number]) => {
    const set = new Set<number>();
    for (let d = range[0]; d !== range[1]; d = (d + 1) % 366) set.add(d);
    set.add(range[1]);
    return set;
  };
  const [da, db] = [days(dayRange(a)), days(dayRange(b))];
  let shared = 0;
  for (const d of da) if (db.has(d)) shared++;
  return shared / Math.min(da.size, db.size);
}

/** Caveats written from the data: what a reader must know before citing these figures. */
export function forestLossCaveats(input: ForestOutputsInput): string[] {
  const { run, periods } = input;
  const caveats: string[] = [];
  for (const name of ['baseline', 'monitoring'] as const) {
    const fraction = run.stats.clearFraction[name];
    if (fraction < 0.9) {
      caveats.push(
        `Only ${(fraction * 100).toFixed(1)} % of the AOI was seen clear in the ${name} period: the figures describe the part seen; "not-seen" hectares are not "no change".`,
      );
    }
  }
  const overlap = seasonalOverlap(periods.baseline.window, periods.monitoring.window);
  if (overlap < 0.5) {
    caveats.push(
      `The baseline (${periods.baseline.window.text}) and monitoring (${periods.monitoring.window.text}) windows cover different times of the year (${Math.round(overlap * 100)} % overlap): seasonal NDVI change, such as the onset of the dry season, can look like forest loss. Compare windows in the same season.`,
    );
  }
  const scenes = [...periods.baseline.search.scenes, ...periods.monitoring.search.scenes];
  const unmasked = scenes.filter((scene) => !scene.mask).length;
  if (unmasked > 0) {
    caveats.push(
      `${unmasked} of ${scenes.length} scenes carry no cloud-mask layer: only pixels their producer set to nodata were treated as cloud, and no cloud-edge dilation was applied to them.`,
    );
  }
  const lossHa = run.stats.aoi.classes[FOREST_LOSS_CLASSES.loss]?.hectares ?? 0;
  if (lossHa > 0 && run.monitoring.dates.length < 2) {
    caveats.push(
      'A single monitoring observation date: no loss can be confirmed by a second observation (all low confidence).',
    );
  }
  for (const [analysis, reason] of Object.entries(input.run.notComputed)) {
    caveats.push(`The AOI asks for ${analysis}: ${reason}.`);
  }
  caveats.push(
    `Method limits: forest is baseline median NDVI ≥ ${run.parameters.forestLoss.forestNdvi}; loss is a drop of ≥ ${run.parameters.forestLoss.ndviDrop} in the monitoring median; patches under ${run.parameters.forestLoss.minimumMappingUnitHa} ha are dropped. Selective logging under an intact canopy, and clearing that regrows within the monitoring window, are not detected.`,
  );
  return caveats;
}

function tallies(stats: Record<number, Tally>, legend: readonly ClassInfo[], skip: number): Record<string, Tally> {
  const out: Record<string, Tally> = {};
  for (const entry of legend) {
    if (entry.value === skip) continue;
    const tally = stats[entry.value];
    out[entry.name] = { pixels: tally?.pixels ?? 0, hectares: roundHa(tally?.hectares ?? 0) };
  }
  return out;
}

function confidenceTallies(byConfidence: Record<number, Record<number, Tally>>): Record<string, Tally> {
  const loss = byConfidence[FOREST_LOSS_CLASSES.loss] ?? {};
  return {
    low: { pixels: loss[CONFIDENCE.low]?.pixels ?? 0, hectares: roundHa(loss[CONFIDENCE.low]?.hectares ?? 0) },
    high: { pixels: loss[CONFIDENCE.high]?.pixels ?? 0, hectares: roundHa(loss[CONFIDENCE.high]?.hectares ?? 0) },
  };
}

function periodSummary(input: PeriodInput, dates: string[], clearFraction: number): PeriodSummary {
  return {
    window: input.window.text,
    start: input.window.start,
    end: input.window.end,
    observationDates: dates,
    clearFraction: Number(clearFraction.toFixed(6)),
    scenes: input.search.scenes.map((scene) => ({
      id: scene.id,
      datetime: scene.datetime,
      cloudCover: scene.cloudCover ?? null,
      collection: scene.collection,
      platform: scene.platform ?? null,
      href: scene.href ?? null,
    })),
  };
}

/** Bytes held in memory as an output file. */
function inMemory(bytes: Uint8Array): Pick<OutputFile, 'body' | 'size' | 'sha256'> {
  return { body: bytes, size: bytes.length, sha256: sha256Hex(bytes) };
}

// Display codes of the change overlay: loss split by confidence, so the overlay shows both.
const DISPLAY_LOW = 100;
const DISPLAY_HIGH = 101;
const LOW_COLOUR = CONFIDENCE_LEGEND.find((entry) => entry.name === 'low')!.colour;
const HIGH_COLOUR = FOREST_LOSS_LEGEND.find((entry) => entry.name === 'forest-loss')!.colour;
const NOT_SEEN_COLOUR = FOREST_LOSS_LEGEND.find((entry) => entry.name === 'not-seen')!.colour;

interface RasterSpec {
  asset: string;
  title: string;
  roles: string[];
  stac: Record<string, unknown>;
  options: Omit<CogOptions, 'width' | 'height' | 'epsg' | 'transform'>;
}

/**
 * A run's rasters and previews, written as its blocks arrive: the composites' NDVI and clear counts in pass 1, the
 * class rasters of every product computed (and forest loss's confidence) in pass 2; previews accumulate reduced
 * cells. `finish` closes the COGs.
 */
export class RasterOutputSink implements AnalysisSink {
  private writers = new Map<string, { writer: CogWriter; spec: RasterSpec }>();
  private ndvi?: { baseline: NdviReduction; monitoring: NdviReduction };
  private display?: ClassReduction;

  constructor(
    private readonly workDir: string,
    private readonly periods: { baseline: PeriodInput; monitoring: PeriodInput },
    private readonly parameters: {
      resolution: number;
      forestLoss: unknown;
      settlementChange?: unknown;
      miningExpansion?: unknown;
    },
  ) {}

  open(grid: Grid, products: readonly ProductName[] = ['forest-loss']): void {
    const resolution = this.parameters.resolution;
    const specs: RasterSpec[] = [];
    for (const period of ['baseline', 'monitoring'] as const) {
      const window = this.periods[period].window.text;
      specs.push(
        {
          asset: `ndvi-${period}`,
          title: `NDVI of the ${period} median composite (NaN: not seen clear)`,
          roles: ['data'],
          stac: {
            bands: [
              {
                name: 'ndvi',
                data_type: 'float32',
                nodata: 'nan',
                unit: 'NDVI',
                'raster:spatial_resolution': resolution,
              },
            ],
          },
          options: {
            dataType: 'float32',
            nodata: NaN,
            bandNames: [`NDVI ${period}`],
            metadata: { UNITS: 'NDVI (unitless, -1 to 1)', PERIOD: window },
            resampling: 'average',
          },
        },
        {
          asset: `clear-count-${period}`,
          title: `Clear observations per pixel in the ${period} period`,
          roles: ['data', 'quality'],
          stac: {
            bands: [
              {
                name: 'clear-count',
                data_type: 'uint16',
                nodata: CLEAR_COUNT_NODATA,
                unit: 'observations',
                'raster:spatial_resolution': resolution,
              },
            ],
          },
          options: {
            dataType: 'uint16',
            nodata: CLEAR_COUNT_NODATA,
            bandNames: [`clear observations ${period}`],
            metadata: { UNITS: 'observations', PERIOD: window },
            resampling: 'nearest',
          },
        },
      );
    }
    const classes = (
      asset: string,
      legend: readonly ClassInfo[],
      title: string,
      roles: string[],
      parameters: unknown,
    ): RasterSpec => {
      const nodata = legend.find((entry) => entry.nodata)!.value;
      return {
        asset,
        title,
        roles,
        stac: {
          bands: [{ name: asset, data_type: 'uint8', nodata, 'raster:spatial_resolution': resolution }],
          'classification:classes': classificationOf(legend),
        },
        options: {
          dataType: 'uint8',
          nodata,
          bandNames: [asset],
          metadata: { CLASSES: classesMetadata(legend), PARAMETERS: JSON.stringify(parameters) },
          resampling: 'nearest',
        },
      };
    };
    specs.push(
      classes('forest-loss', FOREST_LOSS_LEGEND, 'Forest loss classes', ['data'], this.parameters.forestLoss),
      classes(
        'forest-loss-confidence',
        CONFIDENCE_LEGEND,
        'Confidence of forest loss (clear observations showing it)',
        ['data', 'quality'],
        this.parameters.forestLoss,
      ),
    );
    if (products.includes('settlement-change')) {
      specs.push(
        classes(
          'settlement-change',
          SETTLEMENT_LEGEND,
          'Settlement change classes (built-up/bare lost and gained, from NDBI and NDVI)',
          ['data'],
          this.parameters.settlementChange,
        ),
      );
    }
    if (products.includes('mining-expansion')) {
      specs.push(
        classes(
          'mining-expansion',
          MINING_LEGEND,
          'Mining expansion classes (new bare soil next to new water, from NDVI, NDBI and MNDWI)',
          ['data'],
          this.parameters.miningExpansion,
        ),
      );
    }
    const place = { width: grid.width, height: grid.height, epsg: grid.epsg, transform: grid.transform };
    for (const spec of specs) {
      const writer = new CogWriter(join(this.workDir, `${spec.asset}.tif`), { ...place, ...spec.options });
      this.writers.set(spec.asset, { writer, spec });
    }
    this.ndvi = {
      baseline: ndviReduction(grid.width, grid.height, PREVIEW_MAX_SIDE),
      monitoring: ndviReduction(grid.width, grid.height, PREVIEW_MAX_SIDE),
    };
    this.display = classReduction(grid.width, grid.height, PREVIEW_MAX_SIDE, [
      DISPLAY_HIGH,
      DISPLAY_LOW,
      FOREST_LOSS_CLASSES.notSeen,
    ]);
  }

  private write(asset: string, window: PixelWindow, band: ArrayLike<number>): void {
    this.writers
      .get(asset)!
      .writer.writeBlock(window.x0, window.y0, window.x1 - window.x0, window.y1 - window.y0, [band]);
  }

  composites(window: PixelWindow, inside: Uint8Array, result: ChangeBlockResult | null): void {
    const pixels = inside.length;
    const block = { x0: window.x0, y0: window.y0, width: window.x1 - window.x0, height: window.y1 - window.y0 };
    for (const period of ['baseline', 'monitoring'] as const) {
      const ndvi = new Float32Array(pixels).fill(NaN);
      const count = new Uint16Array(pixels).fill(CLEAR_COUNT_NODATA);
      if (result) {
        for (let i = 0; i < pixels; i++) {
          if (!inside[i]) continue;
          ndvi[i] = result[period].ndvi[i]!;
          count[i] = result[period].count[i]!;
        }
        addNdviBlock(this.ndvi![period], block, ndvi, inside);
      }
      this.write(`ndvi-${period}`, window, ndvi);
      this.write(`clear-count-${period}`, window, count);
    }
  }

  classified(window: PixelWindow, _inside: Uint8Array, block: BlockClasses): void {
    const { classes, confidence } = block['forest-loss'];
    this.write('forest-loss', window, classes);
    this.write('forest-loss-confidence', window, confidence);
    for (const product of ['settlement-change', 'mining-expansion'] as const) {
      const other = block[product];
      if (other) this.write(product, window, other.classes);
    }
    const display = Uint8Array.from(classes);
    for (let i = 0; i < display.length; i++) {
      if (display[i] === FOREST_LOSS_CLASSES.loss)
        display[i] = confidence[i] === CONFIDENCE.high ? DISPLAY_HIGH : DISPLAY_LOW;
    }
    addClassBlock(
      this.display!,
      { x0: window.x0, y0: window.y0, width: window.x1 - window.x0, height: window.y1 - window.y0 },
      display,
    );
  }

  /** Closes the COGs (in asset order) and draws the previews. */
  finish(): { rasters: OutputFile[]; pictures: { before: Picture; after: Picture; overlay: Picture } } {
    const rasters: OutputFile[] = [];
    for (const { writer, spec } of this.writers.values()) {
      const written = writer.finish();
      rasters.push({
        asset: spec.asset,
        file: `${spec.asset}.tif`,
        body: { path: written.path },
        size: written.size,
        sha256: written.sha256,
        type: COG_TYPE,
        title: spec.title,
        roles: spec.roles,
        stac: spec.stac,
      });
    }
    this.writers.clear();
    const before = ndviPicture(this.ndvi!.baseline);
    const after = ndviPicture(this.ndvi!.monitoring);
    const overlay = classesOver(
      after,
      this.display!,
      new Map<number, Rgb>([
        [DISPLAY_HIGH, rgbOf(HIGH_COLOUR)],
        [DISPLAY_LOW, rgbOf(LOW_COLOUR)],
        [FOREST_LOSS_CLASSES.notSeen, rgbOf(NOT_SEEN_COLOUR)],
      ]),
    );
    return { rasters, pictures: { before, after, overlay } };
  }

  /** Removes unfinished rasters (a failed or cancelled run). */
  abort(): void {
    for (const { writer } of this.writers.values()) writer.abort();
    this.writers.clear();
  }
}

/** Summaries of the products besides forest loss (no confidence: their classes are the finding). */
function otherProducts(input: ForestOutputsInput): Record<string, ProductSummary> {
  const { aoi, run } = input;
  const out: Record<string, ProductSummary> = {};
  for (const name of ['settlement-change', 'mining-expansion'] as const) {
    const product = run.products[name];
    if (!product) continue;
    const legend = PRODUCT_LEGENDS[name];
    const outside = legend.find((entry) => entry.nodata)!.value;
    out[name] = {
      classes: tallies(product.stats.aoi.classes, legend, outside),
      confidence: {},
      patches: { kept: product.patches.kept, belowMinimumMappingUnit: product.patches.belowMmu },
      parameters: { ...product.parameters },
      zones: Object.fromEntries(
        aoi.zones.map((zone) => {
          const stats = product.stats.zones[zone.id]!;
          const clear = run.stats.zones[zone.id]!.clearFraction;
          return [
            zone.id,
            {
              name: zone.name,
              hectares: roundHa(stats.hectares),
              classes: tallies(stats.classes, legend, outside),
              confidence: {},
              clearFraction: {
                baseline: Number(clear.baseline.toFixed(6)),
                monitoring: Number(clear.monitoring.toFixed(6)),
              },
            },
          ];
        }),
      ),
    };
  }
  return out;
}

export async function forestLossOutputs(input: ForestOutputsInput): Promise<{ files: OutputFile[]; summary: Summary }> {
  const { aoi, run } = input;
  const { grid } = run;
  const resolution = run.parameters.resolution;
  const { rasters, pictures } = input.rasters.finish();
  const files: OutputFile[] = [...rasters];

  const polygons = patchPolygons({ grid, sets: run.keptPatches });
  files.push({
    asset: 'polygons',
    file: 'polygons.geojson',
    ...inMemory(new TextEncoder().encode(`${JSON.stringify(polygons)}\n`)),
    type: 'application/geo+json',
    title: `Change patches (${polygons.features.length}: ${run.keptPatches
      .filter((set) => set.patches.length > 0)
      .map((set) => `${set.patches.length} ${set.className}`)
      .join(', ')}), lon/lat`,
    roles: ['data'],
    stac: {},
  });

  const { before, after, overlay } = pictures;
  const pictureScale = Math.ceil(Math.max(grid.width, grid.height) / before.width) * resolution;
  const png = (asset: string, bytes: Uint8Array, title: string, roles: string[]): OutputFile => ({
    asset,
    file: `${asset}.png`,
    ...inMemory(bytes),
    type: 'image/png',
    title,
    roles,
    stac: {},
  });
  files.push(
    png(
      'preview-baseline',
      await encodePng(before),
      `Baseline NDVI (${input.periods.baseline.window.text}), ${pictureScale} m/px`,
      ['overview'],
    ),
    png(
      'preview-monitoring',
      await encodePng(after),
      `Monitoring NDVI (${input.periods.monitoring.window.text}), ${pictureScale} m/px`,
      ['overview'],
    ),
    png(
      'preview-change',
      await encodePng(overlay),
      `Forest loss over the monitoring NDVI, same extent as the NDVI previews, ${pictureScale} m/px`,
      ['overview'],
    ),
    png(
      'preview',
      await pngWithLegend(
        overlay,
        `${aoi.name}: forest loss ${input.periods.monitoring.window.text} vs ${input.periods.baseline.window.text}`,
        [
          { colour: HIGH_COLOUR, label: 'forest loss, high confidence (≥ 2 clear observations)' },
          { colour: LOW_COLOUR, label: 'forest loss, low confidence (1 clear observation)' },
          { colour: NOT_SEEN_COLOUR, label: 'not seen clear' },
          { colour: '238443', label: `monitoring NDVI, ${pictureScale} m per preview pixel` },
        ],
      ),
      'Forest loss over the monitoring NDVI, with legend',
      ['overview', 'visual'],
    ),
    png('thumbnail', await thumbnailPng(overlay), 'Forest loss thumbnail', ['thumbnail']),
  );

  const product: ProductSummary = {
    classes: tallies(run.stats.aoi.classes, FOREST_LOSS_LEGEND, FOREST_LOSS_CLASSES.outside),
    confidence: confidenceTallies(run.stats.aoi.byConfidence),
    patches: { kept: run.patches.kept, belowMinimumMappingUnit: run.patches.belowMmu },
    parameters: { ...run.parameters.forestLoss },
    zones: Object.fromEntries(
      aoi.zones.map((zone) => {
        const stats = run.stats.zones[zone.id]!;
        return [
          zone.id,
          {
            name: zone.name,
            hectares: roundHa(stats.hectares),
            classes: tallies(stats.classes, FOREST_LOSS_LEGEND, FOREST_LOSS_CLASSES.outside),
            confidence: confidenceTallies(stats.byConfidence),
            clearFraction: {
              baseline: Number(stats.clearFraction.baseline.toFixed(6)),
              monitoring: Number(stats.clearFraction.monitoring.toFixed(6)),
            },
          },
        ];
      }),
    ),
  };
  const summary: Summary = {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    software: { name: 'changewatch', version: VERSION },
    item: input.itemId,
    inputs: input.digest,
    aoi: {
      id: aoi.id,
      name: aoi.name,
      kind: aoi.kind,
      hectares: roundHa(aoi.areaHa),
      gridHectares: roundHa(run.stats.aoi.hectares),
      source: aoi.source ?? null,
    },
    grid: {
      epsg: grid.epsg,
      width: grid.width,
      height: grid.height,
      transform: [...grid.transform],
      resolution,
      pixelArea:
        'geodesic area on WGS84 (GeographicLib) of each pixel column, so UTM scale distortion is accounted for',
    },
    periods: {
      baseline: periodSummary(input.periods.baseline, run.baseline.dates, run.stats.clearFraction.baseline),
      monitoring: periodSummary(input.periods.monitoring, run.monitoring.dates, run.stats.clearFraction.monitoring),
    },
    analyses: { requested: [...aoi.analyses], notComputed: { ...run.notComputed } },
    products: { 'forest-loss': product, ...otherProducts(input) },
    parameters: {
      resolution,
      blockSize: run.parameters.blockSize,
      cloud: { ...run.parameters.cloud },
      forestLoss: { ...run.parameters.forestLoss },
      maxCloudCover: {
        baseline: input.periods.baseline.search.maxCloudCover,
        monitoring: input.periods.monitoring.search.maxCloudCover,
      },
    },
    assets: Object.fromEntries(
      files.map((file) => [
        file.asset,
        { href: `./${file.file}`, type: file.type, bytes: file.size, sha256: file.sha256 },
      ]),
    ),
    caveats: forestLossCaveats(input),
  };
  files.push({
    asset: 'summary',
    file: 'summary.json',
    ...inMemory(new TextEncoder().encode(`${JSON.stringify(summary, null, 2)}\n`)),
    type: 'application/json',
    title: 'Summary: hectares per class and zone, clear coverage, scenes, parameters, checksums',
    roles: ['metadata'],
    stac: {},
  });
  return { files, summary };
}
