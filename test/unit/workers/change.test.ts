import { describe, expect, it } from 'vitest';
import { FOREST_LOSS_CLASSES as C, dropEvidence } from '../../../workers/products/forest.loss.js';
import { CONFIDENCE } from '../../../workers/products/product.js';
import { forestLoss, label8 } from '../../helpers/oracles.js';
import { addClearArea, addZonalStats, emptyZonalStats, fractionSeen } from '../../../workers/zonal.js';

describe('label8', () => {
  it('joins diagonal neighbours and separates distant patches', () => {
    // 1..1 / .1.1 / .... / 1..1: {0,5} diagonal, {3,7}, {12}, {15}.
    const mask = Uint8Array.from([1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1]);
    const { labels, count } = label8(mask, 4, 4);
    expect(count).toBe(4);
    expect(labels[0]).toBe(labels[5]);
    expect(labels[3]).toBe(labels[7]);
    expect(labels[12]).not.toBe(labels[15]);
  });
  it('merges a U shape met from two sides', () => {
    const { count } = label8(Uint8Array.from([1, 0, 1, 1, 0, 1, 1, 1, 1]), 3, 3);
    expect(count).toBe(1);
  });
});

describe('forestLoss', () => {
  const area = new Float64Array(4).fill(0.01);
  const base = {
    width: 4,
    height: 1,
    inside: Uint8Array.from([1, 1, 1, 1]),
    pixelAreaHa: area,
  };
  const showing = (baseline: Float32Array, ndvis: number[][], clear: number[][]) =>
    dropEvidence(
      baseline,
      ndvis.map((ndvi, d) => ({ ndvi: Float32Array.from(ndvi), clear: Uint8Array.from(clear[d]!), day: 100 + d })),
      0.2,
    ).showing;

  it('classifies not seen, non-forest, stable and loss, with low/high confidence', () => {
    const result = forestLoss(
      {
        ...base,
        baselineNdvi: Float32Array.from([NaN, 0.4, 0.8, 0.8]),
        monitoringNdvi: Float32Array.from([0.5, 0.3, 0.75, 0.3]),
        showing: showing(
          Float32Array.from([NaN, 0.4, 0.8, 0.8]),
          [
            [0.5, 0.3, 0.7, 0.3],
            [0.5, 0.3, 0.8, 0.9],
          ],
          [
            [1, 1, 1, 1],
            [1, 1, 1, 1],
          ],
        ),
      },
      { forestNdvi: 0.6, ndviDrop: 0.2, minimumMappingUnitHa: 0 },
    );
    expect([...result.classes]).toEqual([C.notSeen, C.nonForest, C.stableForest, C.loss]);
    expect([...result.confidence]).toEqual([0, 0, 0, CONFIDENCE.low]);
    const high = forestLoss(
      {
        ...base,
        baselineNdvi: Float32Array.from([0.8, 0.8, 0.8, 0.8]),
        monitoringNdvi: Float32Array.from([0.3, 0.3, 0.3, 0.3]),
        showing: showing(
          Float32Array.from([0.8, 0.8, 0.8, 0.8]),
          [
            [0.3, 0.3, 0.3, 0.3],
            [0.2, 0.7, 0.3, 0.3],
          ],
          [
            [1, 1, 1, 1],
            [1, 1, 0, 1],
          ],
        ),
      },
      { forestNdvi: 0.6, ndviDrop: 0.2, minimumMappingUnitHa: 0 },
    );
    expect([...high.confidence]).toEqual([CONFIDENCE.high, CONFIDENCE.low, CONFIDENCE.low, CONFIDENCE.high]);
  });

  it('drops patches below the minimum mapping unit back to stable forest and marks outside pixels', () => {
    // Row: loss, stable, loss, loss; MMU 0.015 ha: the single pixel (0.01 ha) goes, the pair (0.02 ha) stays.
    const result = forestLoss(
      {
        ...base,
        width: 5,
        inside: Uint8Array.from([1, 1, 1, 1, 0]),
        pixelAreaHa: new Float64Array(5).fill(0.01),
        baselineNdvi: Float32Array.from([0.8, 0.8, 0.8, 0.8, 0.8]),
        monitoringNdvi: Float32Array.from([0.3, 0.8, 0.3, 0.3, 0.3]),
        showing: new Uint8Array(5),
      },
      { forestNdvi: 0.6, ndviDrop: 0.2, minimumMappingUnitHa: 0.015 },
    );
    expect([...result.classes]).toEqual([C.stableForest, C.stableForest, C.loss, C.loss, C.outside]);
    expect(result.patches).toEqual({ kept: 1, belowMmu: 1 });
  });
});

describe('zonal statistics and clear area', () => {
  it("counts pixels and hectares per class and confidence, with each column's area", () => {
    const stats = addZonalStats(emptyZonalStats(), {
      width: 2,
      classes: Uint8Array.from([3, 2, 3, 0]),
      confidence: Uint8Array.from([2, 0, 1, 0]),
      zone: Uint8Array.from([1, 1, 1, 0]),
      pixelAreaHa: Float64Array.from([0.01, 0.02]),
    });
    expect(stats.pixels).toBe(3);
    expect(stats.hectares).toBeCloseTo(0.04, 12);
    expect(stats.classes[3]).toEqual({ pixels: 2, hectares: 0.02 });
    expect(stats.classes[2]).toEqual({ pixels: 1, hectares: 0.02 });
    expect(stats.byConfidence[3]).toEqual({ 2: { pixels: 1, hectares: 0.01 }, 1: { pixels: 1, hectares: 0.01 } });
    expect(stats.classes[0]).toBeUndefined();
  });
  it('gives the clear fraction of a zone by area', () => {
    expect(
      fractionSeen(
        addClearArea(
          { seenHa: 0, totalHa: 0 },
          Uint16Array.from([0, 3, 1, 0]),
          Uint8Array.from([1, 1, 1, 0]),
          2,
          Float64Array.from([0.01, 0.02]),
        ),
      ),
    ).toBeCloseTo(0.03 / 0.04, 12);
  });
});

describe('dropEvidence', () => {
  it('counts the clear observations showing the drop and keeps the earliest day, whatever the date order', () => {
    const baseline = Float32Array.from([0.8, 0.8, NaN, 0.8]);
    const evidence = dropEvidence(
      baseline,
      [
        { day: 20, ndvi: Float32Array.from([0.5, 0.7, 0.1, 0.55]), clear: Uint8Array.from([1, 1, 1, 0]) },
        { day: 10, ndvi: Float32Array.from([0.6, 0.5, 0.1, 0.5]), clear: Uint8Array.from([1, 1, 1, 1]) },
        { day: 30, ndvi: Float32Array.from([0.3, 0.9, 0.1, 0.61]), clear: Uint8Array.from([1, 1, 1, 1]) },
      ],
      0.2,
    );
    // Pixel 0 on day 10: float32 0.6 (0.60000002) is above float32 0.8 − 0.2 (0.60000001), so it does not count.
    expect([...evidence.showing]).toEqual([2, 1, 0, 1]);
    expect([...evidence.firstDay]).toEqual([20, 10, -1, 10]);
  });
});
