import { SEASONAL_MISMATCH } from '../../reports/summary.js';
import type { TimeInterval } from '../../aoi/interval.js';
import { productOf } from '../../workers/products/index.js';
import type { AnalysisRun } from '../analysis/analysis.js';
import type { Periods } from './output.file.js';

/**
 * Caveats written from the data: what a reader must know before citing a period's figures. The run's (coverage,
 * season, cloud masks), then each product's own, then the analyses asked for and not computed.
 */

function dayRange(window: TimeInterval): [number, number] {
  const dayOfYear = (ms: number) => {
    const date = new Date(ms);
    return Math.floor((ms - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000);
  };
  return [dayOfYear(Date.parse(window.start)), dayOfYear(Date.parse(window.end) - 1)];
}

/** Share of the shorter window's days of the year that the other window also covers (windows under a year). */
export function seasonalOverlap(a: TimeInterval, b: TimeInterval): number {
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

/** The optical scenes of a period's: radar scenes have no cloud, no clear coverage and no cloud mask. */
const opticalScenes = (periods: Periods) =>
  [...periods.baseline.search.scenes, ...periods.monitoring.search.scenes].filter((scene) => !scene.sar);

function runCaveats(run: AnalysisRun, periods: Periods): string[] {
  const caveats: string[] = [];
  const scenes = opticalScenes(periods);
  // A radar-only AOI has no optical composites to be clear or seasonal: its product says what radar observed.
  for (const name of scenes.length > 0 ? (['baseline', 'monitoring'] as const) : []) {
    const fraction = run.clearFraction[name];
    if (fraction < 0.9) {
      caveats.push(
        `Only ${(fraction * 100).toFixed(1)} % of the AOI was seen clear in the ${name} period: the figures describe the part seen; "not-seen" hectares are not "no change".`,
      );
    }
  }
  const overlap = seasonalOverlap(periods.baseline.window, periods.monitoring.window);
  if (overlap < 0.5 && scenes.length > 0) {
    caveats.push(
      `The baseline (${periods.baseline.window.text}) and monitoring (${periods.monitoring.window.text}) windows ${SEASONAL_MISMATCH} (${Math.round(overlap * 100)} % overlap): seasonal NDVI change, such as the onset of the dry season, can look like forest loss. Compare windows in the same season.`,
    );
  }
  const unmasked = scenes.filter((scene) => !scene.mask).length;
  if (unmasked > 0) {
    caveats.push(
      `${unmasked} of ${scenes.length} scenes carry no cloud-mask layer: only pixels their producer set to nodata were treated as cloud, and no cloud-edge dilation was applied to them.`,
    );
  }
  return caveats;
}

const ha = (tally: { hectares: number }) => `${tally.hectares.toFixed(2)} ha`;

/**
 * Where two sensors' products agree (RADD + GLAD's "both sensors saw it"), in one sentence; said not to be two
 * sensors' agreement when one product fused the other's observations.
 */
function agreementSentence(type: string, agreement: NonNullable<AnalysisRun['products'][string]['agreement']>) {
  const { both, onlyThis, onlyThisUnseenByOther, onlyOther } = agreement;
  const counts = `${ha(both)} of change is in both ${type} and ${agreement.with}; ${ha(onlyThisUnseenByOther)} is in ${type} only where ${agreement.with} saw no clear view (cloud), ${ha(onlyThis)} in ${type} only where it saw the ground and found none, and ${ha(onlyOther)} in ${agreement.with} only.`;
  return agreement.independent
    ? `Both sensors: ${counts}`
    : `Not two independent sensors (${type} fused the optical observations ${agreement.with} uses, so their agreement is not corroboration): ${counts}`;
}

/**
 * The dates a product's own observations were read on: optical dates for an optical product; radar passes for a
 * radar one, with the optical dates when it fuses them. A period's `dates` mixes every sensor the run read, and one
 * sensor's dates must not hide that another product had a single date.
 */
export function productDates(
  product: AnalysisRun['products'][string],
  run: AnalysisRun,
  periods: Periods,
  period: 'baseline' | 'monitoring',
): string[] {
  const definition = productOf(product.type);
  const radarProduct = definition.sensor === 'radar';
  const fuses = definition.series?.fusesOptical?.(product.params as never) ?? false;
  const used = new Set(run[period].scenes);
  const dates = periods[period].search.observations
    .filter((observation) => {
      const radar = observation.scenes.some((scene) => scene.sar);
      return radarProduct ? radar || fuses : !radar;
    })
    .filter((observation) => observation.scenes.some((scene) => used.has(scene.id)))
    .map((observation) => observation.date);
  return [...new Set(dates)].sort();
}

export function periodCaveats(run: AnalysisRun, periods: Periods): string[] {
  const caveats = runCaveats(run, periods);
  for (const product of Object.values(run.products)) {
    if (product.agreement) caveats.push(agreementSentence(product.type, product.agreement));
    for (const name of product.observed ? (['baseline', 'monitoring'] as const) : []) {
      const fraction = product.observed![name];
      if (fraction < 0.9) {
        caveats.push(
          `${product.type}: only ${(fraction * 100).toFixed(1)} % of the AOI was observed by its sensor in the ${name} period: "not-seen" hectares are not "no change".`,
        );
      }
    }
    caveats.push(
      ...productOf(product.type).caveats({
        params: product.params,
        hectares: (code) => product.stats.aoi.classes[code]?.hectares ?? 0,
        dates: {
          baseline: productDates(product, run, periods, 'baseline'),
          monitoring: productDates(product, run, periods, 'monitoring'),
        },
      }),
    );
  }
  for (const { id, reason } of run.skipped) {
    caveats.push(`Scene ${id} was not used: ${reason}. The figures come from the other scenes.`);
  }
  for (const [analysis, reason] of Object.entries(run.notComputed)) {
    caveats.push(`The AOI asks for ${analysis}: ${reason}.`);
  }
  return caveats;
}
