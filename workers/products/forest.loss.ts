import { z } from 'zod';
import { normalizedDifference } from '../indices.js';
import {
  CONFIDENCE,
  NOT_SEEN_CLASS,
  OUTSIDE_CLASS,
  REVEGETATION,
  atLeastMmu,
  defineProduct,
  type ProductPixels,
} from './product.js';

/**
 * Forest loss between a baseline and a monitoring period, from NDVI.
 *
 * Rule: a pixel is forest when its baseline median NDVI is at least `forestNdvi`; it is lost when its monitoring
 * median NDVI has dropped by at least `ndviDrop`. Confidence counts the clear monitoring observations that show
 * the drop: one is `low`, two or more `high`, as GLAD and DIST-ALERT confirm alerts on a repeat observation
 * (Hansen et al. 2016; Pickens et al. 2023). Patches smaller than the minimum mapping unit (8-connected) are
 * returned to stable forest. Ground not seen clear in either period is NOT_SEEN, never "no change".
 */

/** forest-loss class codes (uint8). */
export const FOREST_LOSS_CLASSES = {
  notSeen: 0,
  nonForest: 1,
  stableForest: 2,
  loss: 3,
  /** Outside the AOI polygon: nodata. */
  outside: 255,
} as const;

export const ForestLossParamsSchema = z.strictObject({
  /** Baseline NDVI at or above which a pixel is forest. Default 0.6 (dense tropical canopy is > 0.7). */
  forestNdvi: z.number().min(-1).max(1).default(0.6),
  /** NDVI decrease that counts as loss. Default 0.2. */
  ndviDrop: z.number().positive().max(2).default(0.2),
  /** Minimum mapping unit, hectares, on 8-connected patches. Default 0.2 ha (20 pixels at 10 m). */
  minimumMappingUnitHa: z.number().min(0).default(0.2),
});
export type ForestLossParameters = z.infer<typeof ForestLossParamsSchema>;

export const DEFAULT_FOREST_LOSS: ForestLossParameters = ForestLossParamsSchema.parse({});

export interface ForestLossPixelInput {
  /** Baseline median NDVI (NaN where not seen). */
  baselineNdvi: Float32Array;
  /** Monitoring median NDVI (NaN where not seen). */
  monitoringNdvi: Float32Array;
  /** Per pixel: how many clear monitoring observations show NDVI at or below baseline − drop ({@link dropEvidence}). */
  showing: ArrayLike<number>;
  /** 1 inside the AOI, 0 outside. */
  inside: ArrayLike<number>;
}

/**
 * The classes and confidence of each pixel before the minimum mapping unit: a pure per-pixel rule, so blocks are
 * classified on their own; the minimum mapping unit needs whole patches (workers/patches.ts across blocks).
 */
export function classifyForestLoss(
  input: ForestLossPixelInput,
  parameters: Pick<ForestLossParameters, 'forestNdvi' | 'ndviDrop'>,
): { classes: Uint8Array; confidence: Uint8Array } {
  const pixels = input.inside.length;
  for (const [name, array] of [
    ['baselineNdvi', input.baselineNdvi],
    ['monitoringNdvi', input.monitoringNdvi],
    ['showing', input.showing],
  ] as const) {
    if (array.length !== pixels)
      throw new RangeError(`classifyForestLoss: ${name} has ${array.length} pixels, expected ${pixels}`);
  }
  const classes = new Uint8Array(pixels);
  const confidence = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    if (!input.inside[i]) {
      classes[i] = FOREST_LOSS_CLASSES.outside;
      confidence[i] = CONFIDENCE.outside;
      continue;
    }
    const before = input.baselineNdvi[i]!;
    const after = input.monitoringNdvi[i]!;
    if (Number.isNaN(before) || Number.isNaN(after)) {
      classes[i] = FOREST_LOSS_CLASSES.notSeen;
      continue;
    }
    if (before < parameters.forestNdvi) {
      classes[i] = FOREST_LOSS_CLASSES.nonForest;
      continue;
    }
    if (after > before - parameters.ndviDrop) {
      classes[i] = FOREST_LOSS_CLASSES.stableForest;
      continue;
    }
    classes[i] = FOREST_LOSS_CLASSES.loss;
    confidence[i] = input.showing[i]! >= 2 ? CONFIDENCE.high : CONFIDENCE.low;
  }
  return { classes, confidence };
}

/** The evidence behind a loss pixel: how many clear monitoring observations show the drop, and the first of them. */
export interface DropEvidence {
  /** Clear monitoring observations whose NDVI is at or below the baseline median NDVI minus the drop (max 255). */
  showing: Uint8Array;
  /** Day number (days since 1970-01-01 UTC) of the first of them; -1 when none does. */
  firstDay: Int32Array;
}

/**
 * For each pixel, the clear monitoring observations whose NDVI is at or below the baseline median NDVI minus
 * `ndviDrop`, counted, and the day of the earliest: a loss polygon's "first seen" date.
 */
export function dropEvidence(
  baselineNdvi: Float32Array,
  monitoringDates: ReadonlyArray<{ ndvi: ArrayLike<number>; clear: ArrayLike<number>; day: number }>,
  ndviDrop: number,
): DropEvidence {
  const showing = new Uint8Array(baselineNdvi.length);
  const firstDay = new Int32Array(baselineNdvi.length).fill(-1);
  for (let i = 0; i < baselineNdvi.length; i++) {
    const before = baselineNdvi[i]!;
    if (Number.isNaN(before)) continue;
    const limit = before - ndviDrop;
    let count = 0;
    let first = -1;
    for (const date of monitoringDates) {
      if (date.clear[i] !== 1 || !(date.ndvi[i]! <= limit)) continue;
      count++;
      if (first === -1 || date.day < first) first = date.day;
    }
    showing[i] = Math.min(255, count);
    firstDay[i] = first;
  }
  return { showing, firstDay };
}

/**
 * Revegetation of cleared ground: a pixel whose monitoring median NDVI is back at or above the forest threshold
 * reads as forest again by the same rule that called it forest in the baseline (the forest-loss classes above).
 */
export function forestRegrowth(monitoringNdvi: Float32Array, forestNdvi: number): Uint8Array {
  const codes = new Uint8Array(monitoringNdvi.length);
  for (let i = 0; i < codes.length; i++) {
    const value = monitoringNdvi[i]!;
    codes[i] = Number.isNaN(value)
      ? REVEGETATION.notSeen
      : value >= forestNdvi
        ? REVEGETATION.recovered
        : REVEGETATION.notRecovered;
  }
  return codes;
}

// Display codes of the preview overlay: loss split by confidence, so the overlay shows both.
const DISPLAY_LOW = 100;
const DISPLAY_HIGH = 101;

function lossDisplay(pixels: ProductPixels): Uint8Array {
  const display = Uint8Array.from(pixels.classes);
  for (let i = 0; i < display.length; i++) {
    if (display[i] === FOREST_LOSS_CLASSES.loss)
      display[i] = pixels.confidence![i] === CONFIDENCE.high ? DISPLAY_HIGH : DISPLAY_LOW;
  }
  return display;
}

export const forestLoss = defineProduct({
  type: 'forest-loss',
  configKey: 'forestLoss',
  title: 'Forest loss classes',
  needs: { bands: ['red', 'nir'], indices: [] },
  ndviStandsIn: true,
  params: ForestLossParamsSchema,
  classes: [
    { value: FOREST_LOSS_CLASSES.notSeen, ...NOT_SEEN_CLASS },
    {
      value: FOREST_LOSS_CLASSES.nonForest,
      name: 'non-forest',
      description: 'Baseline median NDVI below the forest threshold',
      colour: 'f7f4d0',
    },
    {
      value: FOREST_LOSS_CLASSES.stableForest,
      name: 'stable-forest',
      description: 'Forest in the baseline whose monitoring median NDVI did not drop by the loss threshold',
      colour: '238443',
    },
    {
      value: FOREST_LOSS_CLASSES.loss,
      name: 'forest-loss',
      description: 'Forest in the baseline whose monitoring median NDVI dropped by at least the loss threshold',
      colour: 'e31a1c',
    },
    { value: FOREST_LOSS_CLASSES.outside, ...OUTSIDE_CLASS },
  ],
  confidence: {
    title: 'Confidence of forest loss (clear observations showing it)',
    changeClass: FOREST_LOSS_CLASSES.loss,
  },
  classify(block, params) {
    const dates = block.monitoringDates().map((date) => ({
      ndvi: date.bands.ndvi ?? normalizedDifference(date.bands.nir, date.bands.red),
      clear: date.clear,
      day: date.day,
    }));
    const evidence = dropEvidence(block.baseline.ndvi, dates, params.ndviDrop);
    const { classes, confidence } = classifyForestLoss(
      {
        baselineNdvi: block.baseline.ndvi,
        monitoringNdvi: block.monitoring.ndvi,
        showing: evidence.showing,
        inside: block.inside,
      },
      params,
    );
    return { classes, confidence, firstDay: evidence.firstDay, layers: { showing: evidence.showing } };
  },
  patches: [
    {
      name: 'forest-loss',
      codes: [FOREST_LOSS_CLASSES.loss],
      replacement: FOREST_LOSS_CLASSES.stableForest,
      keep: atLeastMmu,
    },
  ],
  caveats({ params, hectares, dates }) {
    const caveats: string[] = [];
    if (hectares(FOREST_LOSS_CLASSES.loss) > 0 && dates.monitoring.length < 2) {
      caveats.push(
        'A single monitoring observation date: no loss can be confirmed by a second observation (all low confidence).',
      );
    }
    caveats.push(
      `Method limits: forest is baseline median NDVI ≥ ${params.forestNdvi}; loss is a drop of ≥ ${params.ndviDrop} in the monitoring median; patches under ${params.minimumMappingUnitHa} ha are dropped. Selective logging under an intact canopy, and clearing that regrows within the monitoring window, are not detected.`,
    );
    return caveats;
  },
  revegetating: {
    describe: (params) => `monitoring median NDVI back at or above the forest threshold (${params.forestNdvi})`,
    classify: (monitoring, params) => forestRegrowth(monitoring.ndvi, params.forestNdvi),
  },
  preview: {
    noun: 'forest loss',
    palette: [
      { code: DISPLAY_HIGH, colour: 'e31a1c', label: 'forest loss, high confidence (≥ 2 clear observations)' },
      { code: DISPLAY_LOW, colour: 'fd8d3c', label: 'forest loss, low confidence (1 clear observation)' },
      { code: FOREST_LOSS_CLASSES.notSeen, colour: 'bdbdbd', label: 'not seen clear' },
    ],
    display: lossDisplay,
    // Forest in the baseline is what stayed forest and what was lost (non-forest was never forest).
    extent: { classes: ['stable-forest', 'forest-loss'], name: 'the baseline forest' },
  },
  always: true,
  inEveryDigest: true,
});
