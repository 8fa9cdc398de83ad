import { describe, expect, it } from 'vitest';
import {
  RADAR_FOREST_LOSS_CLASSES as C,
  RadarForestLossParamsSchema,
  classifyRadarForestLoss,
} from '../../../../workers/products/radar.forest.loss.js';
import type { SeriesObservation } from '../../../../workers/products/product.js';

/**
 * The classes of radar-forest-loss from hand-made VV passes (dB, level 0 so the values are the normalised ones; the
 * default distributions: forest N(−1, 0.75), non-forest N(−4, 1)) of five pixels.
 */
const pass = (day: number, monitoring: boolean, values: number[]): SeriesObservation => ({
  day,
  monitoring,
  track: 'ascending/12',
  bands: { vv: Float32Array.from(values) },
  levels: { vv: 0 },
});

describe('radar-forest-loss classes', () => {
  it('forest, non-forest, loss, no-baseline; and, as bayts has no forest mask, ground non-forest throughout flagged', () => {
    // Pixels: forest throughout; non-forest before, forest-like after (no flag); forest that drops to non-forest in
    // monitoring; no baseline pass, forest-like after; non-forest throughout.
    const series = [
      pass(100, false, [-1, -4, -1, NaN, -4]),
      pass(112, false, [-1.2, -4.2, -0.8, NaN, -4.1]),
      pass(124, true, [-0.9, -1, -4, -1, -4]),
      pass(136, true, [-1.1, -1.1, -4.2, -1.1, -3.9]),
      pass(148, true, [-1, -0.9, -4.1, -0.9, -4.2]),
    ];
    const params = RadarForestLossParamsSchema.parse({ fuseOptical: false });
    const { classes, firstDay } = classifyRadarForestLoss(series, Uint8Array.of(1, 1, 1, 1, 1), params);
    expect([...classes]).toEqual([C.forest, C.nonForest, C.lossHigh, C.noBaseline, C.lossHigh]);
    expect([...firstDay!]).toEqual([-1, -1, 124, -1, 124]);
  });
});
