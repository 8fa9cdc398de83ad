import { z } from 'zod';
import { NOT_SEEN_CLASS, OUTSIDE_CLASS, atLeastMmu, defineProduct } from './product.js';

/**
 * Settlement change from the baseline and monitoring composites.
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

export const SettlementParamsSchema = z.strictObject({
  /** NDBI above which a low-NDVI pixel looks built-up or bare. Default 0. */
  ndbiBuilt: z.number().min(-1).max(1).default(0),
  /** NDVI below which a pixel can look built-up or bare. Default 0.3. */
  ndviMax: z.number().min(-1).max(1).default(0.3),
  /** NDBI decrease counted as built-up lost. Default 0.1. */
  ndbiDrop: z.number().positive().max(2).default(0.1),
  /** NDVI decrease required for built-up gained. Default 0.2. */
  ndviDrop: z.number().positive().max(2).default(0.2),
  /** Minimum mapping unit, hectares. Default 0.1. */
  minimumMappingUnitHa: z.number().min(0).default(0.1),
});
export type SettlementParameters = z.infer<typeof SettlementParamsSchema>;

export const DEFAULT_SETTLEMENT: SettlementParameters = SettlementParamsSchema.parse({});

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

export const settlementChange = defineProduct({
  type: 'settlement-change',
  configKey: 'settlementChange',
  title: 'Settlement change classes (built-up/bare lost and gained, from NDBI and NDVI)',
  needs: { bands: ['swir16'], indices: ['ndbi'] },
  params: SettlementParamsSchema,
  classes: [
    { value: SETTLEMENT_CLASSES.notSeen, ...NOT_SEEN_CLASS },
    {
      value: SETTLEMENT_CLASSES.stableOther,
      name: 'stable-other',
      description: 'Not built-up/bare in either period',
      colour: 'f7f4d0',
    },
    {
      value: SETTLEMENT_CLASSES.stableBuilt,
      name: 'stable-built',
      description: 'Built-up/bare (NDBI above the threshold, NDVI below the maximum) in the baseline and still so',
      colour: '969696',
    },
    {
      value: SETTLEMENT_CLASSES.builtLost,
      name: 'built-lost',
      description: 'Built-up/bare in the baseline whose NDBI dropped by at least the threshold (demolition, regrowth)',
      colour: '7b3294',
    },
    {
      value: SETTLEMENT_CLASSES.builtGained,
      name: 'built-gained',
      description: 'Newly built-up/bare, with an NDVI drop of at least the threshold (construction, clearing)',
      colour: 'e66101',
    },
    { value: SETTLEMENT_CLASSES.outside, ...OUTSIDE_CLASS },
  ],
  classify(block, params) {
    const classes = classifySettlement(
      {
        ndviBefore: block.baseline.ndvi,
        ndviAfter: block.monitoring.ndvi,
        ndbiBefore: block.baseline.indices.ndbi!,
        ndbiAfter: block.monitoring.indices.ndbi!,
        inside: block.inside,
      },
      params,
    );
    return { classes };
  },
  // A patch under the minimum mapping unit returns to what it was: lost built-up to stable built-up, gained to
  // stable other.
  patches: [
    {
      name: 'built-lost',
      codes: [SETTLEMENT_CLASSES.builtLost],
      replacement: SETTLEMENT_CLASSES.stableBuilt,
      keep: atLeastMmu,
    },
    {
      name: 'built-gained',
      codes: [SETTLEMENT_CLASSES.builtGained],
      replacement: SETTLEMENT_CLASSES.stableOther,
      keep: atLeastMmu,
    },
  ],
  caveats: () => [],
  inEveryDigest: true,
});
