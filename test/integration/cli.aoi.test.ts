import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childEnv, CLI, ROOT } from '../helpers/paths.js';

/** Runs the built CLI as users do: a separate process, real files, real exit codes. */
function cli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: childEnv(options.env),
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const seedFiles = readdirSync(join(ROOT, 'aoi'))
  .filter((name) => name.endsWith('.geojson'))
  .map((name) => join('aoi', name));

describe('changewatch aoi validate', () => {
  it('accepts every seed AOI', () => {
    const result = cli(['aoi', 'validate', ...seedFiles]);
    expect(result.stderr.split('\n').filter((line) => line.startsWith('aoi/'))).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('aoi/kibali.geojson: ok: kibali (exclusion-zone');
    expect(result.stdout).toContain('10 zones');
  });

  it('accepts versions of a zone over time, and refuses overlapping ones with the zone and the dates, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-aoi-versions-'));
    const kibali = JSON.parse(readFileSync(join(ROOT, 'aoi', 'kibali.geojson'), 'utf8')) as {
      features: Array<{ properties: Record<string, unknown> }>;
    };
    const permit = kibali.features.findIndex((feature) => feature.properties['id'] === 'pe-11447');
    const write = (name: string, renewedFrom: string) => {
      const granted = kibali.features[permit]!;
      const features = [...kibali.features];
      features.splice(
        permit,
        1,
        { ...granted, properties: { ...granted.properties, valid_to: '2021-05-10' } },
        { ...granted, properties: { ...granted.properties, valid_from: renewedFrom } },
      );
      writeFileSync(join(dir, name), JSON.stringify({ ...kibali, features }));
      return join(dir, name);
    };
    const ok = cli(['aoi', 'validate', write('versions.geojson', '2021-05-11')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok: kibali (exclusion-zone, 320,160 ha, 10 zones (11 versions),');
    const overlapping = cli(['aoi', 'validate', write('overlap.geojson', '2021-05-01')]);
    expect(overlapping.code).toBe(2);
    expect(overlapping.stderr.split('\n').filter((line) => line.startsWith(dir))).toEqual([
      `${join(dir, 'overlap.geojson')}: feature ${permit + 1}: zone "pe-11447": this version (2021-05-01..open) overlaps the version of feature ${permit} (open..2021-05-10): both are valid on 2021-05-01: end one (valid_to, the last valid day) before the other starts (valid_from)`,
    ]);
  });

  it('prints one line per problem, exit code 2 and no stack trace for bad files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-aoi-'));
    const ring = [
      [28.84, -2.5],
      [28.85, -2.5],
      [28.85, -2.49],
      [28.84, -2.49],
      [28.84, -2.5],
    ];
    const feature = (properties: Record<string, unknown>, coordinates: unknown = [ring]) =>
      JSON.stringify({
        type: 'Feature',
        properties: { id: 'ok-aoi', name: 'OK', kind: 'custom', analyses: ['forest-loss'], ...properties },
        geometry: { type: 'Polygon', coordinates },
      });
    const files: Record<string, string> = {
      'broken.geojson': '{"type": "Feature", ',
      'utm.geojson': feature({ id: 'utm' }, [
        [
          [701410, 9730510],
          [709760, 9730510],
          [709760, 9719300],
          [701410, 9730510],
        ],
      ]),
      'bowtie.geojson': feature({ id: 'bowtie' }, [
        [
          [28.84, -2.5],
          [28.85, -2.49],
          [28.85, -2.5],
          [28.84, -2.49],
          [28.84, -2.5],
        ],
      ]),
      'badid.geojson': feature({ id: '../../etc', analyses: ['gold'] }),
      'dup-a.geojson': feature({ id: 'same' }),
      'dup-b.geojson': feature({ id: 'same' }),
      'windows.geojson': feature({ id: 'windows', windows: { baseline: '2021-09-30/2021-06-01' } }),
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const result = cli([
      'aoi',
      'validate',
      ...Object.keys(files).map((name) => join(dir, name)),
      join(dir, 'missing.geojson'),
    ]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    const expected = [
      /broken\.geojson: not JSON \(.*\): save the AOI as a GeoJSON text file$/,
      /utm\.geojson: feature 0: ring 0 position 0 is \[701410, 9730510\], which looks projected .*: reproject to WGS84/,
      /bowtie\.geojson: feature 0: ring 0 intersects itself \(segments 0 and 2\) near 28\.84000, -2\.50000: fix the boundary/,
      /badid\.geojson: feature 0: AOI id "\.\.\/\.\.\/etc" contains a path separator or "\.\."/,
      /badid\.geojson: feature 0: unknown analysis "gold": use one of forest-loss, settlement-change, mining-expansion/,
      /windows\.geojson: feature 0: windows\.baseline: "2021-09-30\/2021-06-01" ends before it starts/,
      /missing\.geojson: cannot read \(ENOENT\): check the path$/,
      /dup-a\.geojson: feature 0: duplicate AOI id "same", also used by .*dup-b\.geojson/,
      /dup-b\.geojson: feature 0: duplicate AOI id "same", also used by .*dup-a\.geojson/,
    ];
    for (const pattern of expected)
      expect(
        lines.some((line) => pattern.test(line)),
        `${pattern}\n${result.stderr}`,
      ).toBe(true);
    expect(lines.filter((line) => line.startsWith(dir))).toHaveLength(expected.length);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).not.toContain('dup-a.geojson: ok');
  });
});

describe('changewatch aoi validate and list: where each AOI is', () => {
  it('prints the centroid and UTM zone, so a lat/lon swap that stays in range shows at a glance', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-aoi-where-'));
    // The demo AOI's box with each position written (lat, lon): every value is in range, so only where it lands tells.
    const ring = [
      [28.8131, -2.5364],
      [28.8843, -2.5364],
      [28.8843, -2.4386],
      [28.8131, -2.4386],
      [28.8131, -2.5364],
    ];
    const feature = (id: string, coordinates: number[][]) =>
      JSON.stringify({
        type: 'Feature',
        properties: { id, name: id, kind: 'custom', analyses: ['forest-loss'] },
        geometry: { type: 'Polygon', coordinates: [coordinates] },
      });
    writeFileSync(join(dir, 'right.geojson'), feature('right', ring));
    writeFileSync(
      join(dir, 'swapped.geojson'),
      feature(
        'swapped',
        ring.map(([lon, lat]) => [lat!, lon!]),
      ),
    );
    const result = cli(['aoi', 'validate', join(dir, 'right.geojson'), join(dir, 'swapped.geojson')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /right\.geojson: ok: right \(custom, [\d,]+ ha, 0 zones, centroid 28\.8487, -2\.4875, UTM 35S\)$/m,
    );
    expect(result.stdout).toMatch(
      /swapped\.geojson: ok: swapped \(custom, [\d,]+ ha, 0 zones, centroid -2\.4875, 28\.8487, UTM 30N\)$/m,
    );

    const table = cli(['aoi', 'list', '--aoi-dir', dir]);
    expect(table.stdout).toMatch(/^ID\s+KIND\s+AREA\s+CENTROID \(LON, LAT\)\s+UTM\s+ZONES/m);
    expect(table.stdout).toMatch(/^swapped\s+custom\s+[\d,]+ ha\s+-2\.4875, 28\.8487\s+30N\s+0\s/m);
    const json = JSON.parse(cli(['aoi', 'list', '--json', '--aoi-dir', dir]).stdout) as Array<Record<string, unknown>>;
    expect(json.map(({ id, centroid, utmZone }) => ({ id, centroid, utmZone }))).toEqual([
      { id: 'right', centroid: [28.8487, -2.4875], utmZone: '35S' },
      { id: 'swapped', centroid: [-2.4875, 28.8487], utmZone: '30N' },
    ]);
  });
});

describe('changewatch aoi list', () => {
  it('lists the seed AOIs as a table and as JSON', () => {
    const table = cli(['aoi', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+KIND\s+AREA/m);
    expect(table.stdout).toMatch(/^kahuzi-biega\s+protected-area\s+673,092 ha\s+28\.0494, -2\.1325\s+35S\s/m);
    expect(table.stdout).toContain(`${seedFiles.length} AOI(s) in aoi`);

    const json = cli(['aoi', 'list', '--json']);
    expect(json.code).toBe(0);
    const aois = JSON.parse(json.stdout) as Array<{ id: string; zones: unknown[]; windows: Record<string, string> }>;
    expect(aois.map((aoi) => aoi.id).sort()).toEqual(
      ['bukavu-demo', 'kahuzi-biega', 'kamituga', 'kibali', 'lugushwa', 'namoya', 'twangiza'].sort(),
    );
    expect(aois.find((aoi) => aoi.id === 'kibali')!.zones).toHaveLength(10);
    expect(aois.find((aoi) => aoi.id === 'bukavu-demo')!.windows).toEqual({
      baseline: '2021-06-01/2021-07-15',
      monitoring: '2021-08-15/2021-09-30',
    });
  });

  it('reads the folder from config, env or flag, and exits 2 when the folder is missing', () => {
    const missing = cli(['aoi', 'list', '--aoi-dir', 'no-such-dir']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('no-such-dir: cannot list the AOI folder (ENOENT): set aoi.dir or --aoi-dir');
    const viaEnv = cli(['aoi', 'list'], { env: { CHANGEWATCH_AOI_DIR: 'no-such-env-dir' } });
    expect(viaEnv.stderr).toContain('no-such-env-dir');
  });
});

describe('changewatch config check', () => {
  it('prints the resolved config with secrets redacted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-config-'));
    writeFileSync(
      join(dir, 'changewatch.config.json'),
      JSON.stringify({ stac: { headers: { Authorization: 'Bearer t0ps3cret' } } }),
    );
    const result = cli(['config', 'check'], { cwd: dir, env: { CHANGEWATCH_STORE_URL: 's3://outputs/changewatch' } });
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as {
      file: string;
      config: { stac: { headers: object }; store: { url: string } };
    };
    expect(printed.file).toBe('changewatch.config.json');
    expect(printed.config.store.url).toBe('s3://outputs/changewatch');
    expect(result.stdout).not.toContain('t0ps3cret');
    expect(printed.config.stac.headers).toEqual({ Authorization: '<redacted>' });
  });

  it('lists every problem with its path and exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-config-'));
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ stac: { maxCloudCover: 150 }, store: { url: 'http://x' } }));
    const result = cli(['config', 'check', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`stac.maxCloudCover [file ${path}]: Too big: expected number to be <=100`);
    expect(result.stderr).toContain(`store.url [file ${path}]: must be file://PATH or s3://BUCKET`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 for a missing --config file and for usage errors', () => {
    expect(cli(['config', 'check', '--config', '/nonexistent.json']).stderr.trim()).toBe(
      'config: cannot read /nonexistent.json (ENOENT): check the --config path',
    );
    expect(cli(['nonsense']).code).toBe(2);
    expect(cli(['--version']).code).toBe(0);
  });
});
