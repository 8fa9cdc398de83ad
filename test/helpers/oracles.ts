import { findRoot, unite } from '../../workers/components.js';
import {
  classifyForestLoss,
  DEFAULT_FOREST_LOSS,
  FOREST_LOSS_CLASSES,
  type ForestLossParameters,
} from '../../workers/products/forest.loss.js';
import {
  classifyMining,
  DEFAULT_MINING,
  keepMiningPatch,
  MINING_CLASSES,
  type MiningParameters,
} from '../../workers/products/mining.expansion.js';
import { CONFIDENCE } from '../../workers/products/product.js';
import {
  classifySettlement,
  DEFAULT_SETTLEMENT,
  settlementChange as settlementProduct,
  type SettlementParameters,
} from '../../workers/products/settlement.change.js';

/**
 * Oracles: the products computed on a raster held whole in memory, with a two-pass 8-connected labelling. A real run
 * never holds an AOI whole (patches are joined across blocks from runs, workers/patches.ts); tests compare the
 * streamed run with these, pixel for pixel. Tests only.
 */

export interface Components {
  /** Label per pixel, 0 for background, 1..count for components. */
  labels: Int32Array;
  count: number;
}

export function label8(mask: ArrayLike<number>, width: number, height: number): Components {
  if (mask.length !== width * height) throw new RangeError(`label8: ${mask.length} pixels for ${width}×${height}`);
  const labels = new Int32Array(mask.length);
  const parent: number[] = [0];
  const find = (x: number) => findRoot(parent, x);
  const union = (a: number, b: number) => unite(parent, a, b);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      let current = 0;
      // Already-visited 8-neighbours: W, NW, N, NE.
      const neighbours = [
        x > 0 ? labels[i - 1]! : 0,
        x > 0 && y > 0 ? labels[i - width - 1]! : 0,
        y > 0 ? labels[i - width]! : 0,
        x < width - 1 && y > 0 ? labels[i - width + 1]! : 0,
      ];
      for (const neighbour of neighbours) {
        if (neighbour === 0) continue;
        current = current === 0 ? find(neighbour) : union(current, neighbour);
      }
      if (current === 0) {
        current = parent.length;
        parent.push(current);
      }
      labels[i] = current;
    }
  }
  const compact = new Int32Array(parent.length);
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 0) continue;
    const root = find(labels[i]!);
    if (compact[root] === 0) compact[root] = ++count;
    labels[i] = compact[root]!;
  }
  return { labels, count };
}

/**
 * Minimum mapping unit: 8-connected patches of the given class codes smaller than `mmuHa` (true pixel areas) are
 * set to `replacement`, in place. Returns how many patches were kept and dropped.
 */
export function applyMinimumMappingUnit(
  classes: Uint8Array,
  codes: readonly number[],
  replacement: number,
  mmuHa: number,
  width: number,
  height: number,
  pixelAreaHa: ArrayLike<number>,
): { kept: number; belowMmu: number } {
  const mask = new Uint8Array(classes.length);
  for (let i = 0; i < classes.length; i++) mask[i] = codes.includes(classes[i]!) ? 1 : 0;
  const { labels, count } = label8(mask, width, height);
  const area = new Float64Array(count + 1);
  for (let i = 0; i < labels.length; i++) if (labels[i]) area[labels[i]!] += pixelAreaHa[i % width]!;
  let belowMmu = 0;
  for (let patch = 1; patch <= count; patch++) if (area[patch]! < mmuHa) belowMmu++;
  for (let i = 0; i < labels.length; i++) if (labels[i] && area[labels[i]!]! < mmuHa) classes[i] = replacement;
  return { kept: count - belowMmu, belowMmu };
}

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

export interface TwoPeriodIndices {
  width: number;
  height: number;
  inside: ArrayLike<number>;
  pixelAreaHa: ArrayLike<number>;
}

/** Settlement change of a raster held whole in memory: {@link classifySettlement}, then the minimum mapping unit. */
export function settlementChange(
  input: TwoPeriodIndices & {
    ndviBefore: Float32Array;
    ndviAfter: Float32Array;
    ndbiBefore: Float32Array;
    ndbiAfter: Float32Array;
  },
  parameters: SettlementParameters = DEFAULT_SETTLEMENT,
): { classes: Uint8Array; patches: { kept: number; belowMmu: number } } {
  const classes = classifySettlement(input, parameters);
  const patches = { kept: 0, belowMmu: 0 };
  for (const set of settlementProduct.patches) {
    const result = applyMinimumMappingUnit(
      classes,
      set.codes,
      set.replacement,
      parameters.minimumMappingUnitHa,
      input.width,
      input.height,
      input.pixelAreaHa,
    );
    patches.kept += result.kept;
    patches.belowMmu += result.belowMmu;
  }
  return { classes, patches };
}

/** Mining expansion of a raster held whole in memory: {@link classifyMining}, then the patch rule. */
export function miningExpansion(
  input: TwoPeriodIndices & {
    ndviBefore: Float32Array;
    ndviAfter: Float32Array;
    ndbiBefore: Float32Array;
    ndbiAfter: Float32Array;
    mndwiBefore: Float32Array;
    mndwiAfter: Float32Array;
  },
  parameters: MiningParameters = DEFAULT_MINING,
): { classes: Uint8Array; patches: { kept: number; belowMmu: number } } {
  const pixels = input.width * input.height;
  const classes = classifyMining(input, parameters);
  const mask = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++)
    mask[i] = classes[i] === MINING_CLASSES.newBare || classes[i] === MINING_CLASSES.newWater ? 1 : 0;
  const { labels, count } = label8(mask, input.width, input.height);
  const hasBare = new Uint8Array(count + 1);
  const hasWater = new Uint8Array(count + 1);
  const area = new Float64Array(count + 1);
  for (let i = 0; i < pixels; i++) {
    const patch = labels[i]!;
    if (!patch) continue;
    area[patch] += input.pixelAreaHa[i % input.width]!;
    if (classes[i] === MINING_CLASSES.newBare) hasBare[patch] = 1;
    else hasWater[patch] = 1;
  }
  const keep = (patch: number) =>
    keepMiningPatch(
      { hasBare: hasBare[patch] === 1, hasWater: hasWater[patch] === 1, hectares: area[patch]! },
      parameters.minimumMappingUnitHa,
    );
  let kept = 0;
  for (let patch = 1; patch <= count; patch++) if (keep(patch)) kept++;
  for (let i = 0; i < pixels; i++) {
    const patch = labels[i]!;
    if (patch && !keep(patch)) classes[i] = MINING_CLASSES.noChange;
  }
  return { classes, patches: { kept, belowMmu: count - kept } };
}
