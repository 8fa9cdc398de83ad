import { z } from 'zod';
import { NOT_SEEN_CLASS, OUTSIDE_CLASS, defineProduct } from './product.js';
import type { SettlementIndices } from './settlement.change.js';

/**
 * Mining expansion: new bare soil next to new standing water, the signature of pits, ponds and dredged banks of
 * semi-industrial gold mining. Bare: NDVI < `bareNdviMax` and NDBI > `bareNdbiMin`; water: MNDWI > `waterMndwi`
 * (Xu 2006). New = present in monitoring, absent in baseline. Only 8-connected patches of new bare soil and new
 * water that hold both, and reach the MMU (default 0.5 ha), are kept.
 */
export const MINING_CLASSES = { notSeen: 0, noChange: 1, newBare: 2, newWater: 3, outside: 255 } as const;

export const MiningParamsSchema = z.strictObject({
  /** NDVI below which ground is bare. Default 0.2. */
  bareNdviMax: z.number().min(-1).max(1).default(0.2),
  /** NDBI above which low-NDVI ground is bare (not water). Default -0.1. */
  bareNdbiMin: z.number().min(-1).max(1).default(-0.1),
  /** MNDWI above which a pixel is open water. Default 0. */
  waterMndwi: z.number().min(-1).max(1).default(0),
  /** Minimum mapping unit, hectares. Default 0.5. */
  minimumMappingUnitHa: z.number().min(0).default(0.5),
});
export type MiningParameters = z.infer<typeof MiningParamsSchema>;

export const DEFAULT_MINING: MiningParameters = MiningParamsSchema.parse({});

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

export const miningExpansion = defineProduct({
  type: 'mining-expansion',
  configKey: 'miningExpansion',
  title: 'Mining expansion classes (new bare soil next to new water, from NDVI, NDBI and MNDWI)',
  needs: { bands: ['swir16', 'green'], indices: ['ndbi', 'mndwi'] },
  params: MiningParamsSchema,
  classes: [
    { value: MINING_CLASSES.notSeen, ...NOT_SEEN_CLASS },
    {
      value: MINING_CLASSES.noChange,
      name: 'no-change',
      description: 'No new bare soil next to new water',
      colour: 'f7f4d0',
    },
    {
      value: MINING_CLASSES.newBare,
      name: 'new-bare',
      description: 'New bare soil in a patch that also holds new water (pits, cleared banks)',
      colour: 'a6611a',
    },
    {
      value: MINING_CLASSES.newWater,
      name: 'new-water',
      description: 'New standing water (MNDWI above the threshold) in a patch that also holds new bare soil (ponds)',
      colour: '2c7bb6',
    },
    { value: MINING_CLASSES.outside, ...OUTSIDE_CLASS },
  ],
  classify(block, params) {
    const classes = classifyMining(
      {
        ndviBefore: block.baseline.ndvi,
        ndviAfter: block.monitoring.ndvi,
        ndbiBefore: block.baseline.indices.ndbi!,
        ndbiAfter: block.monitoring.indices.ndbi!,
        mndwiBefore: block.baseline.indices.mndwi!,
        mndwiAfter: block.monitoring.indices.mndwi!,
        inside: block.inside,
      },
      params,
    );
    return { classes };
  },
  patches: [
    {
      name: 'mining-expansion',
      // Flags: bit 1 new bare soil, bit 2 new water (the codes' order).
      codes: [MINING_CLASSES.newBare, MINING_CLASSES.newWater],
      replacement: MINING_CLASSES.noChange,
      keep: (patch, params) =>
        keepMiningPatch(
          { hasBare: (patch.flags & 1) !== 0, hasWater: (patch.flags & 2) !== 0, hectares: patch.hectares },
          params.minimumMappingUnitHa,
        ),
    },
  ],
  caveats: () => [],
  inEveryDigest: true,
});
