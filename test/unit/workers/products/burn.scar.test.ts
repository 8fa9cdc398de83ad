import { describe, expect, it } from 'vitest';
import {
  BURN_SCAR_CLASSES as B,
  BurnScarParamsSchema,
  classifyBurnScar,
  DEFAULT_BURN_SCAR,
} from '../../../../workers/products/burn.scar.js';

describe('classifyBurnScar', () => {
  it('grades dNBR = NBR before − NBR after into Key & Benson levels, boundaries included in the level above', () => {
    const dnbr = [-0.3, -0.2, 0, 0.1, 0.27, 0.44, 0.66, 0.9];
    const nbrBefore = Float64Array.from(dnbr);
    const nbrAfter = new Float64Array(8);
    const classes = classifyBurnScar({ nbrBefore, nbrAfter, inside: new Uint8Array(8).fill(1) }, DEFAULT_BURN_SCAR);
    expect([...classes]).toEqual([
      B.regrowthHigh,
      B.regrowthLow,
      B.unburned,
      B.low,
      B.moderateLow,
      B.moderateHigh,
      B.high,
      B.high,
    ]);
  });

  it('says not-seen where either period has no NBR, outside where the AOI is not, and does not mutate its input', () => {
    const nbrBefore = Float32Array.from([NaN, 0.5, 0.5]);
    const nbrAfter = Float32Array.from([0.1, NaN, 0.1]);
    const inside = Uint8Array.from([1, 1, 0]);
    const classes = classifyBurnScar({ nbrBefore, nbrAfter, inside }, DEFAULT_BURN_SCAR);
    expect([...classes]).toEqual([B.notSeen, B.notSeen, B.outside]);
    expect([...nbrAfter]).toEqual([Math.fround(0.1), NaN, Math.fround(0.1)]);
  });

  it('refuses thresholds out of order, naming the rule', () => {
    const result = BurnScarParamsSchema.safeParse({ moderateHigh: 0.7 });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toMatch(/must increase/);
  });
});
