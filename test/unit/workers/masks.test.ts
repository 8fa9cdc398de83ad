import { describe, expect, it } from 'vitest';
import {
  CLEAR,
  CLOUD,
  INVALID,
  NOT_OBSERVED,
  fmaskStates,
  markMissing,
  nodataAsStored,
  qaPixelStates,
  sclStates,
} from '../../../workers/masks.js';

describe('sclStates', () => {
  it('maps every SCL class (mask 0, 1, 3, 8, 9, 10; snow 11 configurable)', () => {
    const scl = Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect([...sclStates(scl)]).toEqual([
      NOT_OBSERVED,
      INVALID,
      CLEAR,
      CLOUD,
      CLEAR,
      CLEAR,
      CLEAR,
      CLEAR,
      CLOUD,
      CLOUD,
      CLOUD,
      INVALID,
      NOT_OBSERVED,
    ]);
    expect(sclStates(scl, { excludeSnow: false })[11]).toBe(CLEAR);
  });
  it('does not mutate its input', () => {
    const scl = Uint8Array.from([3, 9]);
    sclStates(scl);
    expect([...scl]).toEqual([3, 9]);
  });
});

describe('qaPixelStates', () => {
  it.each([
    [0b1, NOT_OBSERVED, 'fill'],
    [0b10, CLOUD, 'dilated cloud'],
    [0b100, CLOUD, 'cirrus'],
    [0b1000, CLOUD, 'cloud'],
    [0b10000, CLOUD, 'cloud shadow'],
    [0b100000, INVALID, 'snow'],
    [0b1000000, CLEAR, 'clear'],
    [0b10000000 | 0b1000000, CLEAR, 'clear water'],
    [21824, CLEAR, 'typical clear land value 21824 (bits 6, 8, 10, 12, 14)'],
    [22280, CLOUD, 'typical high-confidence cloud 22280'],
  ])('%i → %i (%s)', (bits, state) => {
    expect(qaPixelStates(Uint16Array.from([bits]))[0]).toBe(state);
  });
});

describe('fmaskStates', () => {
  it('maps Fmask codes', () => {
    expect([...fmaskStates(Uint8Array.from([0, 1, 2, 3, 4, 255]))]).toEqual([
      CLEAR,
      CLEAR,
      CLOUD,
      INVALID,
      CLOUD,
      NOT_OBSERVED,
    ]);
  });
});

describe('markMissing', () => {
  it('makes NaN and nodata pixels unobserved, leaving other states', () => {
    const states = Uint8Array.from([CLEAR, CLOUD, CLEAR, CLEAR]);
    markMissing(states, Float32Array.from([NaN, 0.2, -9999, 0.3]), -9999);
    expect([...states]).toEqual([NOT_OBSERVED, CLOUD, NOT_OBSERVED, CLEAR]);
  });

  it("takes a Float32 band's nodata as the Float32 it is stored as (GDAL's -3.4e+38)", () => {
    const band = Float32Array.from([-3.4e38, -7.5]);
    expect(band[0]).not.toBe(-3.4e38);
    expect(nodataAsStored(band, -3.4e38)).toBe(band[0]);
    expect(nodataAsStored(Float64Array.from([-3.4e38]), -3.4e38)).toBe(-3.4e38);
    expect(nodataAsStored(band, undefined)).toBeUndefined();
    const states = Uint8Array.from([CLEAR, CLEAR]);
    markMissing(states, band, -3.4e38);
    expect([...states]).toEqual([NOT_OBSERVED, CLEAR]);
  });
});
