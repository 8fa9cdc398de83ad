import type { DisplayComposite } from '../../workers/display.js';
import { ALWAYS } from '../../aoi/zone.versions.js';
import type { Aoi } from '../../aoi/aoi.schema.js';
import { productOf } from '../../workers/products/index.js';
import { CONFIDENCE, type AnyProduct, type ClassInfo } from '../../workers/products/product.js';
import { lastClearFigures, type LastClearTally, type ZonalStats } from '../../workers/zonal.js';
import {
  SUMMARY_SCHEMA_VERSION,
  roundHa,
  type LastClearSummary,
  type PeriodSummary,
  type ProductSummary,
  type Summary,
  type Tally,
} from '../../reports/summary.js';
import type { AnalysisRun, ProductRun } from '../analysis/analysis.js';
import { VERSION } from '../version.js';
import { periodCaveats } from './caveats.js';
import type { OutputFile, PeriodInput, Periods } from './output.file.js';
import { nodataOf } from './legend.js';

/**
 * The summary a report author cites (`summary.json`): hectares and pixels per class of every product, for the AOI
 * and each zone, from the final classes the rasters hold; the scenes, windows, grid and parameters behind them; the
 * checksum of every other asset; the caveats.
 */

const round6 = (value: number) => Number(value.toFixed(6));

function tallies(stats: Record<number, Tally>, classes: readonly ClassInfo[]): Record<string, Tally> {
  const outside = nodataOf(classes);
  const out: Record<string, Tally> = {};
  for (const entry of classes) {
    if (entry.value === outside) continue;
    const tally = stats[entry.value];
    out[entry.name] = { pixels: tally?.pixels ?? 0, hectares: roundHa(tally?.hectares ?? 0) };
  }
  return out;
}

/** The change pixels of a graded product by confidence; `{}` for a product without confidence. */
function confidenceTallies(product: AnyProduct, stats: ZonalStats): Record<string, Tally> {
  if (!product.confidence) return {};
  const change = stats.byConfidence[product.confidence.changeClass] ?? {};
  const tally = (code: number) => ({
    pixels: change[code]?.pixels ?? 0,
    hectares: roundHa(change[code]?.hectares ?? 0),
  });
  return { low: tally(CONFIDENCE.low), high: tally(CONFIDENCE.high) };
}

const tallyOf = (tally: { pixels: number; hectares: number }) => ({
  pixels: tally.pixels,
  hectares: roundHa(tally.hectares),
});

function agreementSummary(agreement: NonNullable<ProductRun['agreement']>): ProductSummary['agreement'] {
  return {
    with: agreement.with,
    both: tallyOf(agreement.both),
    onlyThis: tallyOf(agreement.onlyThis),
    onlyThisUnseenByOther: tallyOf(agreement.onlyThisUnseenByOther),
    onlyOther: tallyOf(agreement.onlyOther),
    independent: agreement.independent,
  };
}

function productSummary(aoi: Aoi, run: AnalysisRun, figures: ProductRun): ProductSummary {
  const product = productOf(figures.type);
  return {
    classes: tallies(figures.stats.aoi.classes, product.classes),
    confidence: confidenceTallies(product, figures.stats.aoi),
    patches: { kept: figures.patches.kept, belowMinimumMappingUnit: figures.patches.belowMmu },
    parameters: { ...figures.params },
    ...(figures.agreement ? { agreement: agreementSummary(figures.agreement) } : {}),
    ...(figures.observed
      ? { observed: { baseline: round6(figures.observed.baseline), monitoring: round6(figures.observed.monitoring) } }
      : {}),
    zones: Object.fromEntries(
      aoi.zones.map((zone) => {
        const stats = figures.stats.zones[zone.id]!;
        const clear = run.zoneClearFraction[zone.id]!;
        return [
          zone.id,
          {
            name: zone.name,
            version: { ...(zone.version ?? ALWAYS) },
            hectares: roundHa(stats.hectares),
            classes: tallies(stats.classes, product.classes),
            confidence: confidenceTallies(product, stats),
            clearFraction: { baseline: round6(clear.baseline), monitoring: round6(clear.monitoring) },
          },
        ];
      }),
    ),
  };
}

function periodSummary(
  input: PeriodInput,
  dates: string[],
  clearFraction: number,
  skipped: ReadonlyArray<{ id: string; reason: string }>,
): PeriodSummary {
  const mine = skipped.filter((skip) => input.search.scenes.some((scene) => scene.id === skip.id));
  const used = input.search.scenes.filter((scene) => !mine.some((skip) => skip.id === scene.id));
  return {
    window: input.window.text,
    start: input.window.start,
    end: input.window.end,
    observationDates: dates,
    clearFraction: round6(clearFraction),
    scenes: used.map((scene) => ({
      id: scene.id,
      datetime: scene.datetime,
      cloudCover: scene.cloudCover ?? null,
      collection: scene.collection,
      platform: scene.platform ?? null,
      href: scene.href ?? null,
    })),
    ...(mine.length > 0 ? { skipped: mine.map((skip) => ({ ...skip })) } : {}),
  };
}

const DAY_MS = 86_400_000;
const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

function lastClearSummary(tally: LastClearTally, endDay: number): LastClearSummary {
  const figures = lastClearFigures(tally, endDay);
  return {
    pixels: tally.pixels,
    mostSeenOn: figures.mostSeenDay === null ? null : isoDay(figures.mostSeenDay),
    seenWithin: {
      days30: round6(figures.seenWithin[30]),
      days60: round6(figures.seenWithin[60]),
      days90: round6(figures.seenWithin[90]),
    },
  };
}

/** When most of the AOI and of each zone was last seen clear, from the tallies the `last-clear` raster was written with. */
function lastClearOf(aoi: Aoi, run: AnalysisRun, periods: Periods): Summary['lastClear'] {
  const endDay = Math.floor(Date.parse(periods.monitoring.window.end) / DAY_MS);
  return {
    asset: 'last-clear',
    windowEnd: isoDay(endDay),
    aoi: lastClearSummary(run.lastClear.aoi, endDay),
    zones: Object.fromEntries(
      aoi.zones.map((zone) => [
        zone.id,
        {
          name: zone.name,
          version: { ...(zone.version ?? ALWAYS) },
          ...lastClearSummary(run.lastClear.zones[zone.id]!, endDay),
        },
      ]),
    ),
  };
}

/** What the composite assets show: which bands as red, green and blue, and the reflectance at full brightness. */
function compositeParameters({ kind, bands, top }: DisplayComposite) {
  return { kind, bands: [...bands], top: [...top] };
}

function parametersOf(run: AnalysisRun, periods: Periods): Record<string, unknown> {
  const products = Object.values(run.products).map((figures) => [
    productOf(figures.type).configKey,
    { ...figures.params },
  ]);
  return {
    resolution: run.parameters.resolution,
    blockSize: run.parameters.blockSize,
    cloud: { ...run.parameters.cloud },
    ...Object.fromEntries(products),
    ...(run.parameters.display && { composite: compositeParameters(run.parameters.display) }),
    maxCloudCover: {
      baseline: periods.baseline.search.maxCloudCover,
      monitoring: periods.monitoring.search.maxCloudCover,
    },
  };
}

export function buildSummary(input: {
  aoi: Aoi;
  run: AnalysisRun;
  periods: Periods;
  itemId: string;
  digest: string;
  files: readonly OutputFile[];
}): Summary {
  const { aoi, run, periods } = input;
  const { grid } = run;
  const aoiStats = Object.values(run.products)[0]?.stats.aoi;
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    software: { name: 'changewatch', version: VERSION },
    item: input.itemId,
    inputs: input.digest,
    aoi: {
      id: aoi.id,
      name: aoi.name,
      kind: aoi.kind,
      hectares: roundHa(aoi.areaHa),
      gridHectares: roundHa(aoiStats?.hectares ?? 0),
      source: aoi.source ?? null,
    },
    grid: {
      epsg: grid.epsg,
      width: grid.width,
      height: grid.height,
      transform: [...grid.transform],
      resolution: run.parameters.resolution,
      pixelArea:
        'geodesic area on WGS84 (GeographicLib) of each pixel column, so UTM scale distortion is accounted for',
    },
    periods: {
      baseline: periodSummary(periods.baseline, run.baseline.dates, run.clearFraction.baseline, run.skipped),
      monitoring: periodSummary(periods.monitoring, run.monitoring.dates, run.clearFraction.monitoring, run.skipped),
    },
    analyses: { requested: [...aoi.analyses], notComputed: { ...run.notComputed } },
    products: Object.fromEntries(
      Object.values(run.products).map((figures) => [figures.type, productSummary(aoi, run, figures)]),
    ),
    parameters: parametersOf(run, periods),
    assets: Object.fromEntries(
      input.files.map((file) => [
        file.asset,
        { href: `./${file.file}`, type: file.type, bytes: file.size, sha256: file.sha256 },
      ]),
    ),
    caveats: periodCaveats(run, periods),
    lastClear: lastClearOf(aoi, run, periods),
  };
}
