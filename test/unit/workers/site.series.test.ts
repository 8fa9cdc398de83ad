import { describe, expect, it } from 'vitest';
import { grownWindow, medianOf, nearestObservations, sitePoint } from '../../../workers/site.series.js';
import { sceneColouring, sceneLayer } from '../../../workers/chip.js';
import { stretch } from '../../../workers/accuracy/review.chip.js';
import { ndviColour, NOT_SEEN_COLOUR } from '../../../workers/render.js';
import { seriesChart } from '../../../reports/site.series.chart.js';

describe('medianOf', () => {
  it('is the middle value, the mean of the two middle values for an even count, NaN for none', () => {
    expect(medianOf(Float64Array.of(0.3, 0.1, 0.2))).toBe(0.2);
    expect(medianOf(Float64Array.of(0.4, 0.1, 0.3, 0.2))).toBeCloseTo(0.25, 12);
    expect(medianOf(new Float64Array(0))).toBeNaN();
  });
});

describe('sitePoint', () => {
  // 2 × 3 pixels; the site is the first four, pixel 1 is cloudy, pixel 3 has no data (NaN).
  const inside = Uint8Array.of(1, 1, 1, 1, 0, 0);
  const clear = Uint8Array.of(1, 0, 1, 1, 1, 1);
  const red = Float32Array.of(0.05, 0.3, 0.1, NaN, 0.01, 0.01);
  const nir = Float32Array.of(0.35, 0.3, 0.3, 0.3, 0.5, 0.5);

  it('takes the median NDVI of the site pixels seen clear with a finite NDVI', () => {
    // NDVI of pixel 0: 0.30 / 0.40 = 0.75; pixel 2: 0.20 / 0.40 = 0.5; median 0.625.
    const point = sitePoint(inside, clear, { red, nir });
    expect(point.clearPixels).toBe(2);
    expect(point.medianNdvi).toBeCloseTo(0.625, 6);
  });

  it('says NaN with no clear site pixel, and refuses arrays of another size', () => {
    expect(sitePoint(inside, new Uint8Array(6), { red, nir })).toEqual({ clearPixels: 0, medianNdvi: NaN });
    expect(() => sitePoint(inside, clear, { red: red.subarray(1), nir })).toThrow(RangeError);
  });

  it('does not mutate its inputs', () => {
    const copies = [inside, clear, red, nir].map((array) => array.slice());
    sitePoint(inside, clear, { red, nir });
    expect([inside, clear, red, nir]).toEqual(copies);
  });
});

describe('grownWindow', () => {
  it('grows a window on each side and clips it to the grid', () => {
    expect(grownWindow({ x0: 2, y0: 5, x1: 8, y1: 9 }, 3, 10, 20)).toEqual({ x0: 0, y0: 2, x1: 10, y1: 12 });
  });
});

describe('seriesChart', () => {
  const windows = {
    baseline: { start: '2021-06-01T00:00:00.000Z', end: '2021-07-16T00:00:00.000Z', window: '2021-06-01/2021-07-15' },
    monitoring: { start: '2021-08-15T00:00:00.000Z', end: '2021-10-01T00:00:00.000Z', window: '2021-08-15/2021-09-30' },
  };
  const points = [
    { date: '2021-06-06', period: 'baseline' as const, medianNdvi: 0.74, clearShare: 1 },
    { date: '2021-08-25', period: 'monitoring' as const, medianNdvi: 0.41, clearShare: 0.3 },
  ];

  it('draws a dot per point (hollow under half clear), both windows, and the detection', () => {
    const svg = seriesChart({ title: 'site <1>', points, windows, detected: '2021-08-25' });
    expect(svg.match(/<circle class="point"/g)).toHaveLength(2);
    expect(svg).toMatch(/data-date="2021-08-25"[^>]*fill="white"/);
    expect(svg).toMatch(/data-date="2021-06-06"[^>]*fill="#2c7fb8"/);
    expect(svg).toContain('baseline 2021-06-01/2021-07-15');
    expect(svg).toContain('first seen 2021-08-25');
    expect(svg).toContain('site &lt;1&gt;');
    // The detection line sits at 2021-08-25 on the axis from 2021-06-01 to 2021-10-01 (122 days, 48 → 708 px).
    const x = (48 + (85 / 122) * 660).toFixed(1);
    expect(svg).toContain(`<line class="detected" x1="${x}"`);
  });

  it('leaves out the detection line when the site is not dated', () => {
    expect(seriesChart({ title: 't', points, windows, detected: null })).not.toContain('class="detected"');
  });
});

describe('nearestObservations', () => {
  const row = (date: string, clearPixels: number) => ({ date, clearPixels, sitePixels: 10 });
  const rows = [
    row('2021-06-06', 10),
    row('2021-07-01', 2),
    row('2021-08-25', 4),
    row('2021-08-30', 9),
    row('2021-09-14', 10),
  ];

  it('takes the last before and the first on or after, preferring half of the site clear', () => {
    expect(nearestObservations(rows, '2021-08-25')).toEqual({ before: rows[0], after: rows[3] });
    expect(nearestObservations(rows, '2021-08-30')).toEqual({ before: rows[0], after: rows[3] });
  });

  it('falls back to the nearest that saw some of the site, and leaves out a side with none', () => {
    const cloudy = [row('2021-07-01', 2), row('2021-08-25', 4)];
    expect(nearestObservations(cloudy, '2021-08-25')).toEqual({ before: cloudy[0], after: cloudy[1] });
    expect(nearestObservations(rows, '2021-06-01')).toEqual({ after: rows[0] });
  });
});

describe('sceneLayer', () => {
  const bands = {
    red: Float32Array.of(0.05, 0.05, NaN),
    nir: Float32Array.of(0.3, 0.3, 0.3),
    green: Float32Array.of(0.08, 0.08, 0.08),
    blue: Float32Array.of(0.04, 0.04, 0.04),
  };
  const clear = Uint8Array.of(1, 0, 1);

  it('colours by the bands a scene carries', () => {
    expect(sceneColouring({ green: true, blue: true })).toBe('true colour');
    expect(sceneColouring({ green: true })).toBe('false colour');
    expect(sceneColouring({})).toBe('NDVI');
  });

  it('true colour stretches red, green, blue; false colour puts NIR in red; unclear pixels greyed; no data clear', () => {
    const truePicture = sceneLayer(bands, clear, 'true colour', 3, 1);
    const rgb = [stretch(0.05), stretch(0.08), stretch(0.04)];
    expect([...truePicture.rgba.slice(0, 4)]).toEqual([...rgb, 255]);
    // Not clear: half-way to the not-seen grey.
    expect([...truePicture.rgba.slice(4, 7)]).toEqual(rgb.map((v, k) => Math.round((v + NOT_SEEN_COLOUR[k]!) / 2)));
    expect(truePicture.rgba[11]).toBe(0);
    const falsePicture = sceneLayer(bands, clear, 'false colour', 3, 1);
    expect([...falsePicture.rgba.slice(0, 3)]).toEqual([stretch(0.3), stretch(0.05), stretch(0.08)]);
    const ndvi = sceneLayer({ red: bands.red, nir: bands.nir }, clear, 'NDVI', 3, 1);
    expect([...ndvi.rgba.slice(0, 3)]).toEqual([...ndviColour(0.25 / 0.35)]);
  });

  it('refuses a colouring its bands cannot give', () => {
    expect(() => sceneLayer({ red: bands.red, nir: bands.nir }, clear, 'false colour', 3, 1)).toThrow(RangeError);
  });
});
