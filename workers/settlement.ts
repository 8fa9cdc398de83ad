import { applyMinimumMappingUnit, label8 } from './components.js';

/**
 * Settlement change from the baseline and monitoring composites. Pure.
 *
 * Rule: a pixel looks built-up/bare when NDBI > `ndbiBuilt` and NDVI < `ndviMax` (roofs, roads and cleared
 * ground reflect more in SWIR than in NIR and carry little vegetation; Zha et al. 2003). It is *lost* when it
 * looked built-up in the baseline and its NDBI dropped by at least `ndbiDrop` (metal roofs removed, rubble
 * overgrown), and *gained* when it did not look built-up and now does with an NDVI drop of at least `ndviDrop`
 * (new clearing or construction). 8-connected patches under the minimum mapping unit are dropped.
 *
 * Known limits at 10-20 m: one house is 1-3 pixels of the 20 m SWIR band, so single demolitions are below the
 * MMU; demolition that leaves bare soil stays "built-up/bare" by this rule (NDBI of soil and roofs overlap);
 * seasonal drying raises NDBI on fields. Report figures with these caveats.
 */
export const SETTLEMENT_CLASSES = {
  notSeen: 0,
  stableOther: 1,
  stableBuilt: 2,
  builtLost: 3,
  builtGained: 4,
  outside: 255,
} as const;

export interface SettlementParameters {
  ndbiBuilt: number;
  ndviMax: number;
  ndbiDrop: number;
  ndviDrop: number;
  minimumMappingUnitHa: number;
}

export const DEFAULT_SETTLEMENT: SettlementParameters = {
  ndbiBuilt: 0,
  ndviMax: 0.3,
  ndbiDrop: 0.1,
  ndviDrop: 0.2,
  minimumMappingUnitHa: 0.1,
};

export interface TwoPeriodIndices {
  width: number;
  height: number;
  inside: ArrayLike<number>;
  pixelAreaHa: ArrayLike<number>;
}

export interface SettlementIndices {
  ndviBefore: ArrayLike<number>;
  ndviAfter: ArrayLike<number>;
  ndbiBefore: ArrayLike<number>;
  ndbiAfter: ArrayLike<number>;
  /** 1 inside the AOI. */
  inside: ArrayLike<number>;
}

/** The settlement classes of each pixel before the minimum mapping unit (blocks classify on their own). */
export function classifySettlement(
  input: SettlementIndices,
  parameters: Pick<SettlementParameters, 'ndbiBuilt' | 'ndviMax' | 'ndbiDrop' | 'ndviDrop'>,
): Uint8Array {
  const pixels = input.inside.length;
  const classes = new Uint8Array(pixels);
  const built = (ndbi: number, ndvi: number) => ndbi > parameters.ndbiBuilt && ndvi < parameters.ndviMax;
  for (let i = 0; i < pixels; i++) {
    if (!input.inside[i]) {
      classes[i] = SETTLEMENT_CLASSES.outside;
      continue;
    }
    const [vb, va, bb, ba] = [input.ndviBefore[i]!, input.ndviAfter[i]!, input.ndbiBefore[i]!, input.ndbiAfter[i]!];
    if (Number.isNaN(vb) || Number.isNaN(va) || Number.isNaN(bb) || Number.isNaN(ba)) {
      classes[i] = SETTLEMENT_CLASSES.notSeen;
      continue;
    }
    const before = built(bb, vb);
    if (before && bb - ba >= parameters.ndbiDrop) classes[i] = SETTLEMENT_CLASSES.builtLost;
    else if (!before && built(ba, va) && vb - va >= parameters.ndviDrop) classes[i] = SETTLEMENT_CLASSES.builtGained;
    else classes[i] = before ? SETTLEMENT_CLASSES.stableBuilt : SETTLEMENT_CLASSES.stableOther;
  }
  return classes;
}

/**
 * Patches of settlement change and what a patch under the minimum mapping unit becomes: lost built-up returns to
 * stable built-up, gained to stable other.
 */
export const SETTLEMENT_PATCH_SETS = [
  { name: 'built-lost', codes: [SETTLEMENT_CLASSES.builtLost], replacement: SETTLEMENT_CLASSES.stableBuilt },
  { name: 'built-gained', codes: [SETTLEMENT_CLASSES.builtGained], replacement: SETTLEMENT_CLASSES.stableOther },
] as const;

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
  for (const set of SETTLEMENT_PATCH_SETS) {
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

/**
 * Mining expansion: new bare soil next to new standing water, the signature of pits, ponds and dredged banks of
 * semi-industrial gold mining. Bare: NDVI < `bareNdviMax` and NDBI > `bareNdbiMin`; water: MNDWI > `waterMndwi`
 * (Xu 2006). New = present in monitoring, absent in baseline. Only 8-connected patches of new bare soil and new
 * water that hold both, and reach the MMU (default 0.5 ha), are kept. Pure.
 */
export const MINING_CLASSES = { notSeen: 0, noChange: 1, newBare: 2, newWater: 3, outside: 255 } as const;

export interface MiningParameters {
  bareNdviMax: number;
  bareNdbiMin: number;
  waterMndwi: number;
  minimumMappingUnitHa: number;
}

export const DEFAULT_MINING: MiningParameters = {
  bareNdviMax: 0.2,
  bareNdbiMin: -0.1,
  waterMndwi: 0,
  minimumMappingUnitHa: 0.5,
};

export interface MiningIndices extends SettlementIndices {
  mndwiBefore: ArrayLike<number>;
  mndwiAfter: ArrayLike<number>;
}

/** The mining classes of each pixel before the patch rule (blocks classify on their own). */
export function classifyMining(
  input: MiningIndices,
  parameters: Pick<MiningParameters, 'bareNdviMax' | 'bareNdbiMin' | 'waterMndwi'>,
): Uint8Array {
  const pixels = input.inside.length;
  const classes = new Uint8Array(pixels);
  const bare = (ndvi: number, ndbi: number) => ndvi < parameters.bareNdviMax && ndbi > parameters.bareNdbiMin;
  for (let i = 0; i < pixels; i++) {
    if (!input.inside[i]) {
      classes[i] = MINING_CLASSES.outside;
      continue;
    }
    const [vb, va, bb, ba, wb, wa] = [
      input.ndviBefore[i]!,
      input.ndviAfter[i]!,
      input.ndbiBefore[i]!,
      input.ndbiAfter[i]!,
      input.mndwiBefore[i]!,
      input.mndwiAfter[i]!,
    ];
    if ([vb, va, bb, ba, wb, wa].some(Number.isNaN)) {
      classes[i] = MINING_CLASSES.notSeen;
      continue;
    }
    const waterBefore = wb > parameters.waterMndwi;
    const waterAfter = wa > parameters.waterMndwi;
    if (waterAfter && !waterBefore) classes[i] = MINING_CLASSES.newWater;
    else if (!waterAfter && bare(va, ba) && !bare(vb, bb) && !waterBefore) classes[i] = MINING_CLASSES.newBare;
    else classes[i] = MINING_CLASSES.noChange;
  }
  return classes;
}

/** A mining patch holds new bare soil and new water, and reaches the minimum mapping unit. */
export function keepMiningPatch(patch: { hasBare: boolean; hasWater: boolean; hectares: number }, mmuHa: number) {
  return patch.hasBare && patch.hasWater && patch.hectares >= mmuHa;
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
