import { describe, expect, it } from 'vitest';
import { seriesForBlock } from '../../../pipeline/analysis/series.read.js';
import type { Observation } from '../../../pipeline/scenes/scene.select.js';
import type { Scene } from '../../../pipeline/scenes/stac.profiles.js';
import { DEFAULT_CLOUD_CLEANUP } from '../../../workers/change.block.js';

/** Two frames of one radar pass whose items state different units: -12 dB and 0.06 linear cannot be mosaicked. */
describe('a radar pass', () => {
  it('refuses frames of one pass that state different units, before reading anything, naming the date', async () => {
    const frame = (id: string, unit: 'db' | 'linear') =>
      ({ id, bands: { vv: { href: `${id}.tif` } }, sar: { unit } }) as unknown as Scene;
    const observation: Observation = {
      date: '2021-08-25',
      platform: 'sentinel-1a',
      orbit: { state: 'ascending', relative: 174 },
      scenes: [frame('a', 'db'), frame('b', 'linear')],
    };
    const opener = {
      open: () => {
        throw new Error('nothing should be read');
      },
    };
    const read = {
      opener: opener as never,
      cloud: DEFAULT_CLOUD_CLEANUP,
      radarBands: ['vv'] as const,
      reads: { used: new Set<string>(), dated: new Set<string>(), skipped: new Map<string, string>() },
    };
    const grid = { width: 4, height: 4, epsg: 32735, transform: [0, 10, 0, 40, 0, -10] as const };
    await expect(seriesForBlock([observation], grid as never, new Map(), read, true)).rejects.toThrow(
      /2021-08-25 pass state different units \(db, linear\)/,
    );
  });
});
