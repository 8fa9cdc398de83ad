import { applyMinimumMappingUnit } from './components.js';

/**
 * Forest loss between a baseline and a monitoring period, from NDVI. Pure.
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

/** Confidence codes (uint8). */
export const CONFIDENCE = { none: 0, low: 1, high: 2, outside: 255 } as const;

export interface ForestLossParameters {
  /** Baseline NDVI at or above which a pixel is forest. Default 0.6 (dense tropical canopy is > 0.7). */
  forestNdvi: number;
  /** NDVI decrease that counts as loss. Default 0.2. */
  ndviDrop: number;
  /** Minimum mapping unit, hectares, on 8-connected patches. Default 0.2 ha (20 pixels at 10 m). */
  minimumMappingUnitHa: number;
}

export const DEFAULT_FOREST_LOSS: ForestLossParameters = { forestNdvi: 0.6, ndviDrop: 0.2, minimumMappingUnitHa: 0.2 };

export interface ForestLossInput {
  width: number;
  height: number;
  /** Baseline median NDVI (NaN where not seen). */
  baselineNdvi: Float32Array;
  /** Monitoring median NDVI (NaN where not seen). */
  monitoringNdvi: Float32Array;
  /** Per pixel: how many clear monitoring observations show NDVI at or below baseline − drop ({@link dropEvidence}). */
  showing: ArrayLike<number>;
  /** 1 inside the AOI, 0 outside. */
  inside: ArrayLike<number>;
  /** Area of one pixel of each column, hectares (true area on the ellipsoid). */
  pixelAreaHa: ArrayLike<number>;
}

export interface ForestLoss {
  classes: Uint8Array;
  confidence: Uint8Array;
  /** Loss patches found, and those dropped below the minimum mapping unit. */
  patches: { kept: number; belowMmu: number };
}

/**
 * The classes and confidence of each pixel before the minimum mapping unit: a pure per-pixel rule, so blocks can
 * be classified on their own; the minimum mapping unit needs whole patches ({@link forestLoss} in memory,
 * workers/patches.ts across blocks).
 */
export function classifyForestLoss(
  input: Omit<ForestLossInput, 'width' | 'height' | 'pixelAreaHa'>,
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

/** Forest loss of a raster held whole in memory: {@link classifyForestLoss}, then the minimum mapping unit. */
export function forestLoss(input: ForestLossInput, parameters: ForestLossParameters = DEFAULT_FOREST_LOSS): ForestLoss {
  const { width, height } = input;
  if (input.inside.length !== width * height)
    throw new RangeError(`forestLoss: inside has ${input.inside.length} pixels, expected ${width * height}`);
  if (input.pixelAreaHa.length !== width)
    throw new RangeError(`forestLoss: pixelAreaHa needs one value per column (${width})`);
  const { classes, confidence } = classifyForestLoss(input, parameters);
  const patches = applyMinimumMappingUnit(
    classes,
    [FOREST_LOSS_CLASSES.loss],
    FOREST_LOSS_CLASSES.stableForest,
    parameters.minimumMappingUnitHa,
    width,
    height,
    input.pixelAreaHa,
  );
  for (let i = 0; i < classes.length; i++)
    if (classes[i] !== FOREST_LOSS_CLASSES.loss && confidence[i] !== CONFIDENCE.outside)
      confidence[i] = CONFIDENCE.none;
  return { classes, confidence, patches };
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
