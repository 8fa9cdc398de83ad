import { describe, expect, it } from 'vitest';
import { BAYTS_MODELS } from '../../../../workers/radar/bayts.js';
import { detectBlock } from '../../../../workers/radar/bayts.block.js';
import { DETECTION_STATE } from '../../../../workers/radar/bayts.detect.js';

describe('detectBlock', () => {
  it('runs each pixel: nothing seen, cleared (dated by its first non-forest pass), and stable forest', () => {
    // Deseasoned VV dB at times 0, 1, 2 for three pixels; monitoring from 1.
    const images = [Float32Array.of(NaN, -1, -1), Float32Array.of(NaN, -6, -1), Float32Array.of(NaN, -6, -1)];
    const before = images.map((image) => Array.from(image));
    const block = detectBlock([{ times: [0, 1, 2], images, model: BAYTS_MODELS.s1vvDeseasoned }], 3, {
      start: 1,
      chi: 0.9,
      pnfMin: 0.5,
    });
    // Pixel 1: prior PNF 0.1, then 0.9 gives 0.5 at time 1 (flagged), 0.9 at time 2 (confirmed).
    expect(Array.from(block.state)).toEqual([DETECTION_STATE.none, DETECTION_STATE.confirmed, DETECTION_STATE.none]);
    expect(Array.from(block.observations)).toEqual([0, 2, 2]);
    expect(Array.from(block.changeTime)).toEqual([NaN, 1, NaN]);
    expect(Array.from(block.confirmedTime)).toEqual([NaN, 2, NaN]);
    expect(block.probability[1]).toBeCloseTo(0.9, 6);
    expect(Array.from(block.lastPnf)).toEqual([NaN, Math.fround(0.9), Math.fround(0.1)]);
    expect(images.map((image) => Array.from(image))).toEqual(before);
  });

  it('refuses stacks whose images and times or pixel counts disagree', () => {
    const model = BAYTS_MODELS.s1vvDeseasoned;
    const params = { start: 0, chi: 0.9, pnfMin: 0.5 };
    expect(() => detectBlock([{ times: [0, 1], images: [new Float32Array(2)], model }], 2, params)).toThrow(RangeError);
    expect(() => detectBlock([{ times: [0], images: [new Float32Array(3)], model }], 2, params)).toThrow(RangeError);
  });
});
