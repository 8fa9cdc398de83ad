import { z } from 'zod';
import type { AccuracyEstimate, Estimated } from '../workers/accuracy/estimate.js';
import { escapeHtml } from './html.js';

/**
 * What an accuracy assessment writes: the sampling design (`design.json` of a sample folder), the labels' format,
 * and the `accuracy` asset an item gets once the labels are in — the estimate, tied to the item's inputs.
 */

/** The reference label for a unit the interpreter could not label; reported, then left out of the estimate. */
export const CANT_TELL = 'cant-tell';

export const LABEL_COLUMNS = ['id', 'reference', 'interpreter', 'labelled_at', 'notes', 'design_sha256'] as const;

const StratumSchema = z.object({
  name: z.string(),
  codes: z.array(z.int()),
  change: z.boolean(),
  pixels: z.int().min(0),
  areaHa: z.number().min(0),
  allocated: z.int().min(0),
});

export const SampleUnitSchema = z.object({
  id: z.string(),
  stratum: z.int().min(0),
  column: z.int().min(0),
  row: z.int().min(0),
  lon: z.number(),
  lat: z.number(),
});
export type SampleUnit = z.infer<typeof SampleUnitSchema>;

export const SampleDesignSchema = z.object({
  type: z.literal('changewatch-accuracy-sample'),
  aoi: z.string(),
  item: z.string(),
  inputs: z.string(),
  product: z.string(),
  /** The class raster the sample was drawn from: its store key and sha256. */
  raster: z.object({ key: z.string(), sha256: z.string() }),
  grid: z.object({ epsg: z.int(), transform: z.array(z.number()), width: z.int(), height: z.int() }),
  /** Reference classes an interpreter may choose (the product's classes but not-seen and outside). */
  classes: z.array(z.string()),
  /** Hectares the map gives each of those classes (true pixel areas). */
  mappedHa: z.array(z.number()),
  seed: z.int(),
  n: z.int(),
  minPerStratum: z.int(),
  bufferMetres: z.number().min(0),
  strata: z.array(StratumSchema),
  notAssessed: z.object({ pixels: z.int(), areaHa: z.number() }),
  expected: z.object({
    changeAreaSeHa: z.number(),
    conjecture: z.object({ usersAccuracy: z.number(), omission: z.number() }),
  }),
  /** sha256 of `map-classes.csv`, which holds each unit's map class away from the interpreter. */
  mapClassesSha256: z.string(),
  units: z.array(SampleUnitSchema),
  software: z.string(),
  created: z.string(),
});
export type SampleDesign = z.infer<typeof SampleDesignSchema>;

const EstimatedSchema = z.object({ value: z.number(), se: z.number(), ci95: z.number() });

/** The `accuracy-<product>` asset of an item. */
export const AccuracyAssetSchema = z.object({
  type: z.literal('changewatch-accuracy'),
  aoi: z.string(),
  item: z.string(),
  /** The inputs digest of the item the sample was drawn from: a recomputed item no longer matches it. */
  inputs: z.string(),
  product: z.string(),
  estimator: z.enum(['stratified', 'stehman-2014']),
  design: z.object({
    sha256: z.string(),
    seed: z.int(),
    n: z.int(),
    minPerStratum: z.int(),
    bufferMetres: z.number(),
    strata: z.array(StratumSchema),
    notAssessed: z.object({ pixels: z.int(), areaHa: z.number() }),
  }),
  labels: z.object({ sha256: z.string(), used: z.int(), cantTell: z.int(), by: z.string(), on: z.string() }),
  classes: z.array(z.string()),
  counts: z.array(z.array(z.int())),
  proportions: z.array(z.array(z.number())),
  perClass: z.array(
    z.object({
      class: z.string(),
      mappedHa: z.number().nullable(),
      areaHa: EstimatedSchema,
      usersAccuracy: EstimatedSchema.nullable(),
      producersAccuracy: EstimatedSchema.nullable(),
    }),
  ),
  overallAccuracy: EstimatedSchema,
  totalAreaHa: z.number(),
  software: z.string(),
});
export type AccuracyAsset = z.infer<typeof AccuracyAssetSchema>;

const finite = (value: Estimated): Estimated | null => (Number.isFinite(value.value) ? value : null);

/** The asset's figures from an estimate. */
export function accuracyFigures(estimate: AccuracyEstimate, mappedHa: readonly number[]) {
  return {
    estimator: estimate.estimator,
    classes: estimate.classes,
    counts: estimate.counts,
    proportions: estimate.proportions,
    perClass: estimate.classes.map((name, k) => ({
      class: name,
      mappedHa: mappedHa[k] ?? null,
      areaHa: estimate.areaHa[k]!,
      usersAccuracy: finite(estimate.usersAccuracy[k]!),
      producersAccuracy: finite(estimate.producersAccuracy[k]!),
    })),
    overallAccuracy: estimate.overallAccuracy,
    totalAreaHa: estimate.totalAreaHa,
  };
}

type Figures = ReturnType<typeof accuracyFigures>;

const pad = (text: string, width: number) => text.padStart(width);
const ha = (value: number) => Math.round(value).toLocaleString('en-US');
const accuracy = (value: Estimated | null) => (value ? `${value.value.toFixed(2)} ± ${value.ci95.toFixed(2)}` : '-');

/** The error matrix and the per-class table as the CLI prints them (± is the half-width of the 95 % CI). */
export function accuracyTable(figures: Figures, notes: readonly string[] = []): string {
  const width = Math.max(12, ...figures.classes.map((name) => name.length)) + 2;
  const header = pad('map \\ ref', width) + figures.classes.map((name) => pad(name, width)).join('') + pad('total', 8);
  const rows = figures.counts.map(
    (row, i) =>
      pad(figures.classes[i]!, width) +
      row.map((count) => pad(String(count), width)).join('') +
      pad(String(row.reduce((a, b) => a + b, 0)), 8),
  );
  const proportionRows = figures.proportions.map(
    (row, i) => pad(figures.classes[i]!, width) + row.map((p) => pad(p.toFixed(4), width)).join(''),
  );
  const perClass = figures.perClass.map(
    (entry) =>
      `${entry.class.padEnd(width)}${pad(entry.mappedHa === null ? '-' : ha(entry.mappedHa), 12)}` +
      `${pad(`${ha(entry.areaHa.value)} ± ${ha(entry.areaHa.ci95)}`, 25)}` +
      `${pad(accuracy(entry.usersAccuracy), 16)}${pad(accuracy(entry.producersAccuracy), 16)}`,
  );
  return [
    `Error matrix, sample counts (rows map, columns reference; ${figures.estimator} estimator):`,
    header,
    ...rows,
    '',
    'Error matrix, estimated proportions of area:',
    header.slice(0, -8),
    ...proportionRows,
    '',
    `${'class'.padEnd(width)}${pad('mapped ha', 12)}${pad('estimated ha (95 % CI)', 25)}` +
      `${pad("user's", 16)}${pad("producer's", 16)}`,
    ...perClass,
    '',
    `Overall accuracy ${accuracy(figures.overallAccuracy)} (95 % CI); total area ${ha(figures.totalAreaHa)} ha.`,
    ...notes,
  ].join('\n');
}

/** "426 ha mapped; 380 ± 95 ha estimated (95 % CI, 250 reference points, overall accuracy 0.95 ± 0.02)". */
export function accuracySentence(asset: AccuracyAsset, className: string): string | undefined {
  const entry = asset.perClass.find((candidate) => candidate.class === className);
  if (!entry) return undefined;
  const mapped = entry.mappedHa === null ? '' : `${ha(entry.mappedHa)} ha mapped; `;
  return (
    `${mapped}${ha(entry.areaHa.value)} ± ${ha(entry.areaHa.ci95)} ha estimated (95 % CI, ` +
    `${asset.labels.used} reference points, overall accuracy ${accuracy(asset.overallAccuracy)})`
  );
}

/**
 * The report page's accuracy section: per assessed product, the mapped and the error-adjusted figures side by side,
 * and a warning when the assessment was made on other inputs than the page's (the item was recomputed since).
 */
export function accuracySection(assessments: readonly AccuracyAsset[], inputs: string): string {
  if (assessments.length === 0) return '';
  const blocks = assessments.map((asset) => {
    const rows = asset.perClass
      .map(
        (entry) =>
          `<tr><td>${escapeHtml(entry.class)}</td><td class="n">${entry.mappedHa === null ? '-' : ha(entry.mappedHa)}</td>` +
          `<td class="n">${ha(entry.areaHa.value)} ± ${ha(entry.areaHa.ci95)}</td><td class="n">${accuracy(entry.usersAccuracy)}</td>` +
          `<td class="n">${accuracy(entry.producersAccuracy)}</td></tr>`,
      )
      .join('');
    const stale =
      asset.inputs === inputs
        ? ''
        : `<p class="note">This assessment refers to earlier inputs (${escapeHtml(asset.inputs)}); this item now has inputs ${escapeHtml(inputs)}: its figures are not of this map. Draw and label a new sample.</p>`;
    const change = asset.design.strata.filter((stratum) => stratum.change).map((stratum) => stratum.name);
    const sentences = change
      .map((name) => accuracySentence(asset, name))
      .filter((sentence): sentence is string => sentence !== undefined)
      .map((sentence, i) => `<p><b>${escapeHtml(change[i]!)}</b>: ${escapeHtml(sentence)}.</p>`)
      .join('');
    return (
      `<h3>${escapeHtml(asset.product)}</h3>${stale}${sentences}` +
      `<p>${asset.labels.used} reference points (${asset.labels.cantTell} "can't tell" left out), labelled by ${escapeHtml(asset.labels.by)} on ${escapeHtml(asset.labels.on)}; ${asset.estimator === 'stratified' ? 'stratified estimator (Olofsson et al. 2014)' : 'Stehman (2014) estimator'}; overall accuracy ${accuracy(asset.overallAccuracy)}. ${asset.design.notAssessed.areaHa > 0 ? `${ha(asset.design.notAssessed.areaHa)} ha not seen clear are not assessed.` : ''}</p>` +
      `<table><tr><th>class</th><th class="n">mapped ha</th><th class="n">estimated ha (95 % CI)</th><th class="n">user's accuracy</th><th class="n">producer's accuracy</th></tr>${rows}</table>`
    );
  });
  return `<h2 id="accuracy">Accuracy assessment</h2>\n${blocks.join('\n')}`;
}

/**
 * What a site's dossier says of its product's assessment: per change class, the mapped and estimated AOI figures,
 * and the user's accuracy (the chance that a pixel mapped in the class is in it on the ground), and whether the
 * assessment was made on other inputs than the dossier's item.
 */
export function dossierAccuracyLines(asset: AccuracyAsset, inputs: string): string[] {
  const change = asset.design.strata.filter((stratum) => stratum.change).map((stratum) => stratum.name);
  const lines = change.flatMap((name) => {
    const entry = asset.perClass.find((candidate) => candidate.class === name);
    const sentence = accuracySentence(asset, name);
    if (!entry || !sentence) return [];
    return [
      `${name} over the AOI: ${sentence}; user's accuracy ${accuracy(entry.usersAccuracy)}, the chance that a pixel mapped ${name} is ${name} on the ground.`,
    ];
  });
  const by = `Assessment of ${asset.labels.on} by ${asset.labels.by} (design ${asset.design.sha256.slice(0, 12)}, ${asset.estimator} estimator).`;
  const stale =
    asset.inputs === inputs ? [] : [`It was made on earlier inputs (${asset.inputs}), not on this item's (${inputs}).`];
  return [...lines, by, ...stale];
}
