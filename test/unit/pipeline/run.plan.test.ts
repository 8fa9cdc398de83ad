import { describe, expect, it } from 'vitest';
import { parseInterval, type TimeInterval } from '../../../aoi/interval.js';
import { selectProducts } from '../../../pipeline/analysis/products.select.js';
import { plannedOutputs } from '../../../pipeline/outputs/period.outputs.js';
import { periodsFor, planAoi } from '../../../pipeline/run/run.plan.js';
import type { Scene } from '../../../pipeline/scenes/stac.profiles.js';

const RUN = { monitoringDays: 90, baselineYearsBack: 1, leaseMinutes: 60 };
const interval = (text: string) => parseInterval(text) as TimeInterval;
const scene = (id: string) => ({ id }) as Scene;

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
    // 100 ha at 10 m = 10,000 px × 3 bands × 2 bytes × 3 scenes.
    expect(plan.estimatedBytes).toBe(180_000);
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
