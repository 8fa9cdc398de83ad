import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../pipeline/run/run.js';
import { writeBoliviaRadarSite } from '../helpers/bolivia.js';
import { childEnv, CLI, ROOT } from '../helpers/paths.js';

/**
 * Stripes of an AOI whose product has an AOI-wide pre-pass (issue 16): radar-forest-loss normalises each radar pass
 * by its level over the whole AOI before any block (pipeline/analysis/series.read.ts), so every stripe must compute
 * the same levels as a single run. The Bolivia bayts stack (22 real Sentinel-1 VV dates, 100 × 100 pixels at 30 m)
 * with 64-pixel blocks and `run.stripeMinPixels` at 5,000 is 2 stripes and a reduce; run as 2 array tasks one after
 * the other (the second finishes the last stripe and reduces), it must publish the bytes a single run publishes.
 */

const ITEM = join('bolivia-bayts', 'bolivia-bayts-2016-01-01-2016-05-31');
const ENV = { CHANGEWATCH_ANALYSIS_BLOCK_SIZE: '64', CHANGEWATCH_RUN_STRIPE_MIN_PIXELS: '5000' };

let dir: string;

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: childEnv(ENV), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`changewatch ${args.join(' ')}: exit ${result.status}\n${result.stderr}`);
  return result.stdout;
}

const place = (store: string) => [
  '--stac',
  join(dir, 'vv', 'catalog.json'),
  '--store',
  `file://${join(dir, store)}`,
  '--aoi-dir',
  join(dir, 'aoi'),
];

/** sha256 of every file under the item (document and assets), by path below the store. */
function itemDigests(store: string): Record<string, string> {
  const digests: Record<string, string> = {};
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else digests[relative(join(dir, store), full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(join(dir, store, ITEM));
  return digests;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cw-stripes-radar-'));
  writeBoliviaRadarSite(dir, (args) => cli(args));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stripes of a radar AOI (AOI-wide pre-pass)', () => {
  it('publish the bytes of a single run', () => {
    cli([...place('single'), 'run']);
    const plan = JSON.parse(cli([...place('array'), 'plan', '--json'])) as { units: Array<{ id: string }> };
    expect(plan.units.map((unit) => unit.id.replace(/^.*\//, ''))).toEqual([
      'reduce',
      'stripe-0-of-2',
      'stripe-1-of-2',
    ]);
    cli([...place('array'), 'run', '--shard', '0/2']);
    cli([...place('array'), 'run', '--shard', '1/2']);
    const single = itemDigests('single');
    expect(Object.keys(single).length).toBeGreaterThan(10);
    expect(itemDigests('array')).toEqual(single);
    expect(existsSync(join(dir, 'array', 'bolivia-bayts', 'work'))).toBe(false);
    const reports = readdirSync(join(dir, 'array', 'runs')).map(
      (name) => JSON.parse(readFileSync(join(dir, 'array', 'runs', name), 'utf8')) as RunReport,
    );
    const stripes = reports.flatMap((report) => report.stripes ?? []);
    expect(stripes.map((stripe) => stripe.outcome).sort()).toEqual(['computed', 'computed']);
    const reduce = reports.flatMap((report) => report.aois.filter((entry) => entry.outcome === 'ok'));
    expect(reduce.map((entry) => [entry.bytesRead, entry.blocks])).toEqual([[0, 4]]);
  }, 600_000);
});
