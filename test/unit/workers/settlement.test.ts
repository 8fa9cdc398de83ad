import { describe, expect, it } from 'vitest';
import { MINING_CLASSES as M } from '../../../workers/products/mining.expansion.js';
import { SETTLEMENT_CLASSES as S } from '../../../workers/products/settlement.change.js';
import { miningExpansion, settlementChange } from '../../helpers/oracles.js';

const f = (values: number[]) => Float32Array.from(values);

describe('settlementChange', () => {
  it('finds built-up lost and gained, stable classes and unseen pixels', () => {
    const result = settlementChange(
      {
        width: 5,
        height: 1,
        inside: Uint8Array.from([1, 1, 1, 1, 0]),
        pixelAreaHa: new Float64Array(5).fill(0.01),
        // lost (roof gone, regrowth), gained (cleared and built), stable built, not seen, outside
        ndviBefore: f([0.2, 0.7, 0.1, NaN, 0.1]),
        ndviAfter: f([0.5, 0.2, 0.1, 0.1, 0.1]),
        ndbiBefore: f([0.2, -0.3, 0.2, 0.1, 0.1]),
        ndbiAfter: f([-0.1, 0.1, 0.15, 0.1, 0.1]),
      },
      { ndbiBuilt: 0, ndviMax: 0.3, ndbiDrop: 0.1, ndviDrop: 0.2, minimumMappingUnitHa: 0 },
    );
    expect([...result.classes]).toEqual([S.builtLost, S.builtGained, S.stableBuilt, S.notSeen, S.outside]);
  });
});

describe('miningExpansion', () => {
  const base = {
    width: 4,
    height: 1,
    inside: Uint8Array.from([1, 1, 1, 1]),
    pixelAreaHa: new Float64Array(4).fill(0.2),
  };
  it('keeps new bare soil next to new water, as one patch reaching the MMU', () => {
    const result = miningExpansion({
      ...base,
      ndviBefore: f([0.8, 0.8, 0.8, 0.8]),
      ndviAfter: f([0.1, -0.2, 0.8, 0.1]),
      ndbiBefore: f([-0.3, -0.3, -0.3, -0.3]),
      ndbiAfter: f([0.1, -0.5, -0.3, 0.1]),
      mndwiBefore: f([-0.5, -0.5, -0.5, -0.5]),
      mndwiAfter: f([-0.3, 0.4, -0.5, -0.3]),
    });
    // Pixels 0 (bare) and 1 (water) touch: 0.4 ha < 0.5 ha MMU → dropped; pixel 3 (bare alone) dropped too.
    expect([...result.classes]).toEqual([M.noChange, M.noChange, M.noChange, M.noChange]);
    const bigger = miningExpansion(
      {
        ...base,
        ndviBefore: f([0.8, 0.8, 0.8, 0.8]),
        ndviAfter: f([0.1, -0.2, 0.8, 0.1]),
        ndbiBefore: f([-0.3, -0.3, -0.3, -0.3]),
        ndbiAfter: f([0.1, -0.5, -0.3, 0.1]),
        mndwiBefore: f([-0.5, -0.5, -0.5, -0.5]),
        mndwiAfter: f([-0.3, 0.4, -0.5, -0.3]),
      },
      { bareNdviMax: 0.2, bareNdbiMin: -0.1, waterMndwi: 0, minimumMappingUnitHa: 0.3 },
    );
    expect([...bigger.classes]).toEqual([M.newBare, M.newWater, M.noChange, M.noChange]);
    expect(bigger.patches).toEqual({ kept: 1, belowMmu: 1 });
  });
});
