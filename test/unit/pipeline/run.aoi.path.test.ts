import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../pipeline/cli/cli.js';
import { buildBukavuCatalog } from '../../helpers/bukavu.js';
import { ROOT } from '../../helpers/paths.js';

/** `run --aoi PATH`: a new AOI file runs without being copied into aoi.dir, checked as `aoi validate` checks it. */
let dir: string;
let catalog: string;

/** An AOI file: a box inside the Bukavu tile with the demo's windows. */
function aoiFile(name: string, id: string, ring: number[][]): string {
  const path = join(dir, name);
  const properties = {
    id,
    name: `New area ${id}`,
    kind: 'custom',
    analyses: ['forest-loss'],
    windows: { baseline: '2021-06-01/2021-07-15', monitoring: '2021-08-15/2021-09-30' },
  };
  writeFileSync(
    path,
    JSON.stringify({ type: 'Feature', properties, geometry: { type: 'Polygon', coordinates: [ring] } }),
  );
  return path;
}

const BOX = [
  [28.83, -2.5],
  [28.86, -2.5],
  [28.86, -2.46],
  [28.83, -2.46],
  [28.83, -2.5],
];

async function dryRun(...aois: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const args = [
    '--log-level',
    'silent',
    '--stac',
    catalog,
    '--store',
    `file://${join(dir, 'out')}`,
    'run',
    '--dry-run',
  ];
  for (const aoi of aois) args.push('--aoi', aoi);
  const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line), env: {}, cwd: ROOT });
  return { code, out, err };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cw-run-path-'));
  catalog = (await buildBukavuCatalog(join(dir, 'catalog'))).catalog;
}, 60_000);

describe('changewatch run --aoi PATH', () => {
  it('plans an AOI given by path, alone or with an id from the AOI folder', async () => {
    const path = aoiFile('new-area.geojson', 'new-area', BOX);
    const alone = await dryRun(path);
    expect(alone.err).toEqual([]);
    expect(alone.code).toBe(0);
    expect(alone.out.filter((line) => /^\S+ +compute /.test(line)).map((line) => line.split(/ +/)[0])).toEqual([
      'new-area',
    ]);
    const mixed = await dryRun('bukavu-demo', path, 'aoi/bukavu-demo.geojson');
    expect(mixed.code).toBe(0);
    expect(mixed.out.filter((line) => /^\S+ +compute /.test(line)).map((line) => line.split(/ +/)[0])).toEqual([
      'bukavu-demo',
      'new-area',
    ]);
  });

  it('refuses a file with problems, line by line as aoi validate prints them (exit 2), and runs nothing', async () => {
    const projected = aoiFile('utm.geojson', 'utm-area', [
      [701410, 9730510],
      [709760, 9730510],
      [709760, 9719300],
      [701410, 9730510],
    ]);
    const result = await dryRun(projected, join(dir, 'missing.geojson'));
    expect(result.code).toBe(2);
    expect(result.out).toEqual([]);
    const lines = result.err.join('\n').split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /utm\.geojson: feature 0: ring 0 position 0 is \[701410, 9730510\], which looks projected/,
    );
    expect(lines[1]).toBe(`${join(dir, 'missing.geojson')}: cannot read (ENOENT): check the path`);
  });

  it('says an unknown id may also be a path, and refuses two files with one id', async () => {
    const unknown = await dryRun('new-area');
    expect(unknown.code).toBe(2);
    expect(unknown.err[0]).toMatch(
      /^--aoi new-area: no AOI with that id in aoi \(bukavu-demo, .*\): give an id from "changewatch aoi list" or a path to a \.geojson file$/,
    );
    const twin = aoiFile('twin.geojson', 'bukavu-demo', BOX);
    const clash = await dryRun('bukavu-demo', twin);
    expect(clash.code).toBe(2);
    expect(clash.err).toEqual([
      `--aoi ${twin}: AOI id "bukavu-demo" is also the id of aoi/bukavu-demo.geojson: give the new AOI an id of its own`,
    ]);
  });
});
