import { describe, expect, it } from 'vitest';
import { productDates } from '../../../pipeline/outputs/caveats.js';

/**
 * On an AOI read by both sensors, each product's caveats count the dates of its own observations: a run's period
 * dates mix Landsat dates and Sentinel-1 passes, and a single optical date must not be hidden by radar passes.
 */
const optical = (date: string) => ({ date, scenes: [{ id: `${date}-ndvi` }] });
const radar = (date: string) => ({ date, scenes: [{ id: `${date}-vv`, sar: { unit: 'db' } }] });
const observations = [optical('2016-02-03'), radar('2016-02-05'), radar('2016-02-17'), optical('2016-02-19')];
const periods = { baseline: { search: { observations } }, monitoring: { search: { observations } } } as never;
// The 19 February Landsat date had nothing over the AOI: not among the scenes the run used.
const used = ['2016-02-03-ndvi', '2016-02-05-vv', '2016-02-17-vv'];
const run = { baseline: { scenes: used }, monitoring: { scenes: used } } as never;
const product = (type: string, params: Record<string, unknown>) => ({ type, params }) as never;

describe('the dates behind a product’s caveats', () => {
  it('optical products count optical dates, radar ones radar passes, and optical dates too when they fuse them', () => {
    expect(productDates(product('forest-loss', {}), run, periods, 'monitoring')).toEqual(['2016-02-03']);
    expect(productDates(product('radar-forest-loss', { fuseOptical: false }), run, periods, 'monitoring')).toEqual([
      '2016-02-05',
      '2016-02-17',
    ]);
    expect(productDates(product('radar-forest-loss', { fuseOptical: true }), run, periods, 'baseline')).toEqual([
      '2016-02-03',
      '2016-02-05',
      '2016-02-17',
    ]);
  });
});
