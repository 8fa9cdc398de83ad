import { describe, expect, it } from 'vitest';
import { parseInterval, type TimeInterval } from '../../../aoi/interval.js';
import { selectProducts } from '../../../pipeline/analysis/products.select.js';
import { plannedOutputs } from '../../../pipeline/outputs/period.outputs.js';
import { estimateReadBytes, periodsFor, planAoi } from '../../../pipeline/run/run.plan.js';
import type { Scene } from '../../../pipeline/scenes/stac.profiles.js';

const RUN = { monitoringDays: 90, baselineYearsBack: 1, leaseMinutes: 60 };
const interval = (text: string) => parseInterval(text) as TimeInterval;
const asset = (href: string, band = 0) => ({ key: href, href, band, scale: 1e-4, offset: 0 });
/** A Sentinel-2 L2A scene as Earth Search lists it: one COG per band, and SCL. */
const scene = (id: string) =>
  ({
    id,
    collection: 'sentinel-2-l2a',
    platform: 'sentinel-2a',
    bands: { red: asset(`${id}/B04.tif`), nir: asset(`${id}/B08.tif`), swir22: asset(`${id}/B12.tif`) },
    mask: { kind: 'scl', asset: asset(`${id}/SCL.tif`) },
  }) as unknown as Scene;

describe('periodsFor', () => {
  it('rolls a monitoring window of whole UTC days ending with the run day, and the same days a year earlier', () => {
    const periods = periodsFor({ windows: {} }, new Date('2026-11-24T23:10:00Z'), RUN);
    expect(periods.monitoring).toEqual({
      text: '2026-08-27/2026-11-24',
      start: '2026-08-27T00:00:00.000Z',
      end: '2026-11-25T00:00:00.000Z',
    });
    expect(periods.baseline.text).toBe('2025-08-27/2025-11-24');
  });

  it('keeps explicit windows, and derives only the missing one', () => {
    const monitoring = interval('2021-12-01/2022-02-28');
    expect(periodsFor({ windows: { monitoring } }, new Date('2026-01-01T00:00:00Z'), RUN).monitoring).toBe(monitoring);
    const both = { baseline: interval('2020-12-01/2021-02-28'), monitoring };
    expect(periodsFor({ windows: both }, new Date(), RUN)).toEqual(both);
  });

  it('handles 29 February: a year back is 1 March', () => {
    const periods = periodsFor({ windows: {} }, new Date('2024-02-29T12:00:00Z'), { ...RUN, monitoringDays: 1 });
    expect(periods.monitoring.text).toBe('2024-02-29/2024-02-29');
    expect(periods.baseline.start).toBe('2023-03-01T00:00:00.000Z');
  });
});

describe('planAoi', () => {
  const base = {
    aoi: { id: 'kibali', areaHa: 100 },
    windows: { baseline: interval('2020-12-01/2021-02-28'), monitoring: interval('2021-12-01/2022-02-28') },
    scenes: { baseline: [scene('b1'), scene('b2')], monitoring: [scene('m1')] },
    itemId: 'kibali-2021-12-01-2022-02-28',
    digest: 'aaaa',
    force: false,
    resolution: 10,
    gridPixels: 12_000,
    outputs: plannedOutputs(selectProducts(['forest-loss'], [])),
    memoryLimitBytes: 2 ** 30,
  };

  it('computes an item not published yet, listing outputs and an estimate of bytes to read', () => {
    const plan = planAoi({ ...base, published: { scenes: [] } });
    expect(plan.action).toBe('compute');
    expect(plan.reason).toMatch(/not published yet/);
    expect(plan.newScenes).toEqual(['b1', 'b2', 'm1']);
    // Forest loss reads red and NIR (10 m uint16 COGs) and SCL (20 m uint8) of each of the 3 scenes, over the
    // 12,000 px window: per scene 2 × (65,536 + 12,000 × 2 × 0.8) + 65,536 + 12,000 / 4 × 1 × 0.1 = 235,308.
    expect(plan.estimatedBytes).toBe(3 * 235_308);
    expect(plan.outputs).toContain('forest-loss');
  });

  it('has nothing new when the published digest matches, unless forced', () => {
    const published = { digest: 'aaaa', scenes: ['b1', 'b2', 'm1'] };
    expect(planAoi({ ...base, published }).action).toBe('nothing-new');
    expect(planAoi({ ...base, published, force: true })).toMatchObject({ action: 'compute', reason: /--force/ });
  });

  it('names the new scenes, or a parameter change when there are none', () => {
    expect(planAoi({ ...base, published: { digest: 'bbbb', scenes: ['b1', 'b2'] } })).toMatchObject({
      action: 'compute',
      newScenes: ['m1'],
      reason: '1 new scene(s) since the published item',
    });
    expect(planAoi({ ...base, published: { digest: 'bbbb', scenes: ['b1', 'b2', 'm1'] } }).reason).toMatch(
      /parameters or software changed/,
    );
  });

  it('cannot compute without scenes in both windows', () => {
    const plan = planAoi({ ...base, scenes: { baseline: [], monitoring: [scene('m1')] }, published: { scenes: [] } });
    expect(plan).toMatchObject({ action: 'no-scenes', outputs: [] });
    expect(plan.reason).toMatch(/baseline window 2020-12-01\/2021-02-28/);
  });

  it('plans Kahuzi-Biega at 10 m within 2 GiB (blocks stream), and refuses before reading when over the limit', () => {
    // Kahuzi-Biega at 10 m: 15,014 × 11,327 pixels.
    const kahuzi = { ...base, gridPixels: 15_014 * 11_327, published: { scenes: [] } };
    const fits = planAoi({ ...kahuzi, memoryLimitBytes: 2 * 2 ** 30 });
    expect(fits.action).toBe('compute');
    expect(fits.estimatedMemoryBytes).toBe(768 * 1_048_576 + 15_014 * 11_327);
    const plan = planAoi({ ...kahuzi, memoryLimitBytes: 512 * 2 ** 20 });
    expect(plan.action).toBe('too-large');
    expect(plan.reason).toMatch(
      /^the 170 Mpx grid needs about 0\.9 GiB, over the limit of 0\.5 GiB: raise analysis\.memoryLimitMiB/,
    );
  });
});

describe('estimateReadBytes', () => {
  const HEADER = 65_536;

  it("reads each scene's band files at their own resolution, for the bands the products need", () => {
    // 20 m SWIR2 for burn scars: a quarter of the window's pixels, 2 bytes, 0.8 compressed: 12,000 / 4 × 1.6.
    expect(estimateReadBytes([scene('a')], ['forest-loss'], 12_000, 10)).toBe(235_308);
    expect(estimateReadBytes([scene('a')], ['forest-loss', 'burn-scar'], 12_000, 10)).toBe(235_308 + HEADER + 4_800);
    // At a 60 m output resolution every band is read from the overview at 60 m: 12,000 px each.
    expect(estimateReadBytes([scene('a')], ['forest-loss'], 12_000, 60)).toBe(
      2 * (HEADER + 12_000 * 1.6) + HEADER + 12_000 * 0.1,
    );
  });

  it('counts a multi-band export once per file, as float32 at the output resolution when the sensor is unknown', () => {
    // The demo's exports: red and NIR in one float32 file, no mask, no platform: 65,536 + 12,000 × 2 × 4 × 0.5.
    const exported = {
      id: 'e',
      collection: 't35mpt-bukavu-drc',
      bands: { red: asset('e.tif', 0), nir: asset('e.tif', 1) },
    } as unknown as Scene;
    expect(estimateReadBytes([exported, exported], ['forest-loss'], 12_000, 10)).toBe(2 * (HEADER + 48_000));
  });

  it('reads Landsat at 30 m with its uint16 QA_PIXEL', () => {
    const landsat = {
      id: 'l',
      collection: 'landsat-c2-l2',
      platform: 'landsat-8',
      bands: { red: asset('red.tif'), nir: asset('nir08.tif') },
      mask: { kind: 'qa_pixel', asset: asset('qa_pixel.tif') },
    } as unknown as Scene;
    // A 10 m grid of 9,000 px is 1,000 px at 30 m.
    expect(estimateReadBytes([landsat], ['forest-loss'], 9_000, 10)).toBe(2 * (HEADER + 1_600) + HEADER + 200);
  });
});
