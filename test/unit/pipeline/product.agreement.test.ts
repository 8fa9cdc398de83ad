import { describe, expect, it } from 'vitest';
import { ProductAgreement } from '../../../pipeline/analysis/product.agreement.js';
import { FOREST_LOSS_CLASSES as O } from '../../../workers/products/forest.loss.js';
import { RADAR_FOREST_LOSS_CLASSES as R } from '../../../workers/products/radar.forest.loss.js';

/**
 * Where radar and optical forest loss agree, on hand-made final classes of one 4 × 2 block whose columns cover 1, 2,
 * 3 and 4 ha: every cell of the comparison, a pixel outside the AOI, and pixels where neither saw change.
 */
describe('ProductAgreement', () => {
  it('counts pixels and hectares in both, in radar only (optical blind or not), in optical only', () => {
    const products = [
      { type: 'forest-loss', params: {} },
      { type: 'radar-forest-loss', params: { fuseOptical: false } },
    ];
    const [agreement] = ProductAgreement.of(products);
    expect(agreement!.type).toBe('radar-forest-loss');
    const radar = Uint8Array.of(
      R.lossHigh,
      R.lossLow,
      R.lossHigh,
      R.forest,
      R.lossHigh,
      R.notSeen,
      R.forest,
      R.lossHigh,
    );
    const optical = Uint8Array.of(
      O.loss,
      O.notSeen,
      O.stableForest,
      O.loss,
      O.nonForest,
      O.loss,
      O.stableForest,
      O.loss,
    );
    const inside = Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 0);
    const classes = { 'radar-forest-loss': { classes: radar }, 'forest-loss': { classes: optical } };
    agreement!.add({ x0: 0, y0: 0, x1: 4, y1: 2 }, inside, classes, Float64Array.of(1, 2, 3, 4));
    expect(agreement!.tally).toEqual({
      with: 'forest-loss',
      both: { pixels: 1, hectares: 1 },
      onlyThisUnseenByOther: { pixels: 1, hectares: 2 },
      onlyThis: { pixels: 2, hectares: 4 },
      onlyOther: { pixels: 2, hectares: 6 },
      independent: true,
    });
  });

  it('is not independent when the radar product fused the optical observations, and absent without forest-loss', () => {
    const fused = ProductAgreement.of([
      { type: 'forest-loss', params: {} },
      { type: 'radar-forest-loss', params: { fuseOptical: true } },
    ]);
    expect(fused[0]!.tally.independent).toBe(false);
    expect(ProductAgreement.of([{ type: 'radar-forest-loss', params: { fuseOptical: false } }])).toEqual([]);
  });
});
