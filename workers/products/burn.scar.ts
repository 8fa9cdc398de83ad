import { z } from 'zod';
import { NOT_SEEN_CLASS, OUTSIDE_CLASS, atLeastMmu, defineProduct } from './product.js';

/**
 * Burn scars: the differenced Normalized Burn Ratio between the baseline and monitoring composites,
 * dNBR = NBR_baseline − NBR_monitoring with NBR = (NIR − SWIR2)/(NIR + SWIR2), graded into the severity levels of
 * Key & Benson's FIREMON Landscape Assessment (Key, C.H. & Benson, N.C. 2006, "Landscape Assessment (LA)", USDA
 * Forest Service RMRS-GTR-164-CD, Table LA-6, dNBR × 1000): enhanced regrowth high −500 to −251, low −250 to −101,
 * unburned −100 to +99, low severity +100 to +269, moderate-low +270 to +439, moderate-high +440 to +659, high
 * +660 to +1300. 8-connected patches of burned pixels (low to high) under the minimum mapping unit return to
 * unburned. The thresholds were calibrated on North American forests with field Composite Burn Index plots:
 * elsewhere they grade relative severity until calibrated locally.
 */
export const BURN_SCAR_CLASSES = {
  notSeen: 0,
  unburned: 1,
  low: 2,
  moderateLow: 3,
  moderateHigh: 4,
  high: 5,
  regrowthLow: 6,
  regrowthHigh: 7,
  outside: 255,
} as const;

const Dnbr = z.number().min(-2).max(2);

export const BurnScarParamsSchema = z
  .strictObject({
    /** dNBR below which regrowth is high. Default −0.251 (Key & Benson 2006: −500 to −251). */
    regrowthHigh: Dnbr.default(-0.251),
    /** dNBR below which the ground regrew (enhanced regrowth, low). Default −0.101. */
    regrowthLow: Dnbr.default(-0.101),
    /** dNBR at or above which a pixel burned at low severity. Default 0.1. */
    low: Dnbr.default(0.1),
    /** dNBR at or above which severity is moderate-low. Default 0.27. */
    moderateLow: Dnbr.default(0.27),
    /** dNBR at or above which severity is moderate-high. Default 0.44. */
    moderateHigh: Dnbr.default(0.44),
    /** dNBR at or above which severity is high. Default 0.66. */
    high: Dnbr.default(0.66),
    /** Minimum mapping unit of burn patches, hectares. Default 0.5 (50 pixels at 10 m, 6 at 30 m). */
    minimumMappingUnitHa: z.number().min(0).default(0.5),
  })
  .refine(
    (p) => p.regrowthHigh < p.regrowthLow && p.regrowthLow < p.low && p.low < p.moderateLow,
    'the dNBR thresholds must increase: regrowthHigh < regrowthLow < low < moderateLow < moderateHigh < high',
  )
  .refine(
    (p) => p.moderateLow < p.moderateHigh && p.moderateHigh < p.high,
    'the dNBR thresholds must increase: regrowthHigh < regrowthLow < low < moderateLow < moderateHigh < high',
  );
export type BurnScarParameters = z.infer<typeof BurnScarParamsSchema>;

export const DEFAULT_BURN_SCAR: BurnScarParameters = BurnScarParamsSchema.parse({});

/** The severity class of one dNBR value (not NaN). */
function severity(dnbr: number, p: BurnScarParameters): number {
  if (dnbr >= p.low) {
    if (dnbr >= p.high) return BURN_SCAR_CLASSES.high;
    if (dnbr >= p.moderateHigh) return BURN_SCAR_CLASSES.moderateHigh;
    return dnbr >= p.moderateLow ? BURN_SCAR_CLASSES.moderateLow : BURN_SCAR_CLASSES.low;
  }
  if (dnbr < p.regrowthHigh) return BURN_SCAR_CLASSES.regrowthHigh;
  return dnbr < p.regrowthLow ? BURN_SCAR_CLASSES.regrowthLow : BURN_SCAR_CLASSES.unburned;
}

/** The burn classes of each pixel before the minimum mapping unit, from the two periods' NBR composites. */
export function classifyBurnScar(
  input: { nbrBefore: ArrayLike<number>; nbrAfter: ArrayLike<number>; inside: ArrayLike<number> },
  params: BurnScarParameters,
): Uint8Array {
  const pixels = input.inside.length;
  if (input.nbrBefore.length !== pixels || input.nbrAfter.length !== pixels)
    throw new RangeError(`classifyBurnScar: NBR has ${input.nbrBefore.length} pixels, expected ${pixels}`);
  const classes = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    if (!input.inside[i]) classes[i] = BURN_SCAR_CLASSES.outside;
    else {
      const dnbr = input.nbrBefore[i]! - input.nbrAfter[i]!;
      classes[i] = Number.isNaN(dnbr) ? BURN_SCAR_CLASSES.notSeen : severity(dnbr, params);
    }
  }
  return classes;
}

const burned = (name: string, value: number, range: string, colour: string) => ({
  value,
  name,
  description: `Burned, ${name.replace('-', ' ')}: dNBR ${range} (Key & Benson 2006)`,
  colour,
});

export const burnScar = defineProduct({
  type: 'burn-scar',
  configKey: 'burnScar',
  title: 'Burn scar severity (dNBR between the baseline and monitoring NBR composites, Key & Benson 2006 levels)',
  needs: { bands: ['nir', 'swir22'], indices: ['nbr'] },
  params: BurnScarParamsSchema,
  classes: [
    { value: BURN_SCAR_CLASSES.notSeen, ...NOT_SEEN_CLASS },
    {
      value: BURN_SCAR_CLASSES.unburned,
      name: 'unburned',
      description: 'dNBR between the regrowth and low-severity thresholds: unburned, or change within the noise',
      colour: 'f7f4d0',
    },
    burned('low-severity', BURN_SCAR_CLASSES.low, 'from the low to the moderate-low threshold', 'fee08b'),
    burned(
      'moderate-low',
      BURN_SCAR_CLASSES.moderateLow,
      'from the moderate-low to the moderate-high threshold',
      'fdae61',
    ),
    burned('moderate-high', BURN_SCAR_CLASSES.moderateHigh, 'from the moderate-high to the high threshold', 'f46d43'),
    burned('high-severity', BURN_SCAR_CLASSES.high, 'at or above the high threshold', 'a50026'),
    {
      value: BURN_SCAR_CLASSES.regrowthLow,
      name: 'regrowth-low',
      description: 'dNBR between the two regrowth thresholds: enhanced regrowth, low (greener than the baseline)',
      colour: 'a6d96a',
    },
    {
      value: BURN_SCAR_CLASSES.regrowthHigh,
      name: 'regrowth-high',
      description: 'dNBR below the high-regrowth threshold: enhanced regrowth, high',
      colour: '1a9850',
    },
    { value: BURN_SCAR_CLASSES.outside, ...OUTSIDE_CLASS },
  ],
  classify(block, params) {
    const inputs = {
      nbrBefore: block.baseline.indices.nbr!,
      nbrAfter: block.monitoring.indices.nbr!,
      inside: block.inside,
    };
    return { classes: classifyBurnScar(inputs, params) };
  },
  patches: [
    {
      name: 'burn-scar',
      codes: [
        BURN_SCAR_CLASSES.low,
        BURN_SCAR_CLASSES.moderateLow,
        BURN_SCAR_CLASSES.moderateHigh,
        BURN_SCAR_CLASSES.high,
      ],
      replacement: BURN_SCAR_CLASSES.unburned,
      keep: atLeastMmu,
    },
  ],
  caveats: ({ params }) => [
    `Burn scars: severity is graded on dNBR of the period composites with Key & Benson's thresholds (low ≥ ${params.low}, moderate-low ≥ ${params.moderateLow}, moderate-high ≥ ${params.moderateHigh}, high ≥ ${params.high}), calibrated on North American forests: read them as relative severity unless calibrated with field plots here. Clearing, harvest and seasonal drying also lower NBR; patches under ${params.minimumMappingUnitHa} ha are dropped.`,
  ],
});
