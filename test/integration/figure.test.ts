import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import geographiclib from 'geographiclib-geodesic';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromCrs } from '../../aoi/aoi.project.js';
import { compose } from '../../pipeline/compose.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { createLogger } from '../../pipeline/log.js';
import { assetKeyOf, itemKey } from '../../pipeline/outputs/layout.js';
import type { ResultItem } from '../../pipeline/outputs/stac.js';
import { runAll } from '../../pipeline/run/run.js';
import type { Summary } from '../../reports/summary.js';
import { runBalePair } from '../helpers/bale.js';
import { childEnv, CLI, ROOT } from '../helpers/paths.js';
import { bukavuItems, startRunSite, WINDOWS, type RunSite } from '../helpers/run.site.js';

/**
 * `changewatch figure` on real runs: a part of the Bukavu series (Sentinel-2, a zone drawn in) and the Landsat 5 pair
 * over the Bale Mountains. The figure must print at the width asked for at 300 dpi and say so (pHYs, read by sharp),
 * be placed by GDAL (its .aux.xml), carry a scale bar whose length in pixels is its label's metres at the map's scale
 * computed here from the geotransform GDAL reads (proj4 + GeographicLib, within 1 %), and credit the scenes of the
 * years they were taken. The PDF is read back by GDAL's PDF driver (poppler) at 300 dpi, and checked by structure.
 * Bad input is one line and exit 2, with nothing written.
 */
const POOL_ENTRY = join(ROOT, 'dist', 'workers', 'pool.entry.js');
/** The figures drawn, kept for a look (not compared). */
const ARTIFACTS = join(ROOT, 'test-artifacts');
const quiet = createLogger('silent');
const AOI = 'bukavu-f';
const BALE = 'bale-figure';
let bukavu: RunSite;
let bukavuRunId: string;
let baleConfig: string;
let baleRunId: string;

type Json = Record<string, unknown>;
const rectangle = ([west, south, east, north]: number[]) => ({
  type: 'Polygon',
  coordinates: [
    [
      [west, south],
      [east, south],
      [east, north],
      [west, north],
      [west, south],
    ],
  ],
});

/** The Bukavu AOI with a zone, written over the one startRunSite wrote. */
function bukavuAoi(dir: string): void {
  const feature = (properties: Json, box: number[]) => ({ type: 'Feature', properties, geometry: rectangle(box) });
  const aoi = {
    role: 'aoi',
    id: AOI,
    name: 'Bukavu figure test',
    kind: 'custom',
    analyses: ['forest-loss'],
    windows: WINDOWS,
  };
  const collection = {
    type: 'FeatureCollection',
    features: [
      feature(aoi, [28.812, -2.47, 28.84, -2.44]),
      feature({ role: 'zone', id: 'zone-a', name: 'Zone A' }, [28.82, -2.462, 28.83, -2.452]),
    ],
  };
  writeFileSync(join(dir, `${AOI}.geojson`), JSON.stringify(collection));
}

beforeAll(async () => {
  const { collection, items } = await bukavuItems();
  bukavu = await startRunSite({
    aois: [{ id: AOI, bbox: [28.812, -2.47, 28.84, -2.44] }],
    items,
    collections: [collection],
  });
  bukavuAoi(bukavu.aoiDir);
  const { config } = loadConfig({ config: bukavu.configFile }, {}, ROOT);
  const report = await runAll(compose(config, quiet, { poolEntry: POOL_ENTRY }));
  expect(report.aois.map((entry) => entry.outcome)).toEqual(['ok']);
  bukavuRunId = report.runId;
  ({ config: baleConfig, runId: baleRunId } = await runBalePair({ id: BALE, name: 'Bale Mountains pair (test)' }));
}, 240_000);

afterAll(async () => {
  await bukavu?.stac.close();
});

/** The built CLI, without blocking this process (it serves the STAC API of the Bukavu site). */
function cli(config: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--config', config, ...args], {
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The item and summary the run published. */
function published(storeUrl: string, aoiId: string): { item: ResultItem; summary: Summary } {
  const store = storeUrl.slice('file://'.length);
  const folder = join(store, aoiId);
  const itemId = readdirSync(folder).find((name) => name.startsWith(`${aoiId}-`))!;
  const key = itemKey(aoiId, itemId);
  const item = JSON.parse(readFileSync(join(store, key), 'utf8')) as ResultItem;
  const summary = JSON.parse(readFileSync(join(store, assetKeyOf(key, item.assets['summary']!.href)), 'utf8'));
  return { item, summary: summary as Summary };
}

interface Described {
  map: { x: number; y: number; width: number; height: number };
  bar: { label: string; metres: number; pixels: number; x: number; y: number };
}

/** What the CLI says it drew: the map's box and the scale bar's place (the test measures the bar in the pixels). */
function described(stdout: string): Described {
  const map = /map (\d+)×(\d+) px at (\d+),(\d+)/.exec(stdout)!;
  const bar = /scale bar ([\d.]+) (k?m) = (\d+) px at (\d+),(\d+)/.exec(stdout)!;
  expect(map, stdout).not.toBeNull();
  expect(bar, stdout).not.toBeNull();
  return {
    map: { width: Number(map[1]), height: Number(map[2]), x: Number(map[3]), y: Number(map[4]) },
    bar: {
      label: `${bar[1]} ${bar[2]}`,
      metres: Number(bar[1]) * (bar[2] === 'km' ? 1000 : 1),
      pixels: Number(bar[3]),
      x: Number(bar[4]),
      y: Number(bar[5]),
    },
  };
}

interface GdalInfo {
  size: [number, number];
  geoTransform: number[];
  coordinateSystem: { wkt: string };
  metadata: { '': Record<string, string> };
}
const gdalinfo = (file: string, ...options: string[]) =>
  JSON.parse(execFileSync('gdalinfo', ['-json', ...options, file], { encoding: 'utf8' })) as GdalInfo;

/** The length of the run of black pixels starting at (x, y): the scale bar's top edge. */
async function blackRun(file: string, x: number, y: number): Promise<number> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  let length = 0;
  for (let column = x; column < info.width; column++) {
    const o = (y * info.width + column) * info.channels;
    if (data[o] !== 0 || data[o + 1] !== 0 || data[o + 2] !== 0) break;
    length++;
  }
  return length;
}

/** Ground metres per pixel across the map's middle row, from GDAL's geotransform: proj4 to lon/lat, geodesic on WGS84. */
function metresPerPixel(gdal: GdalInfo, epsg: number, map: Described['map']): number {
  const [originX, pixelWidth, , originY, , pixelHeight] = gdal.geoTransform as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const toLonLat = fromCrs(epsg);
  const at = (column: number, row: number) => toLonLat([originX + column * pixelWidth, originY + row * pixelHeight]);
  const row = map.y + map.height / 2;
  const [west, east] = [at(map.x, row), at(map.x + map.width, row)];
  return geographiclib.Geodesic.WGS84.Inverse(west[1], west[0], east[1], east[0]).s12! / map.width;
}

/** The PNG: its size for the width asked at 300 dpi, its density, CRS, scale bar and attribution. */
async function checkPng(file: string, stdout: string, widthMm: number, summary: Summary): Promise<GdalInfo> {
  const meta = await sharp(file).metadata();
  expect([meta.format, meta.width, meta.density, meta.channels]).toEqual([
    'png',
    Math.round((widthMm / 25.4) * 300),
    300,
    3,
  ]);
  const gdal = gdalinfo(file);
  expect(gdal.size).toEqual([meta.width, meta.height]);
  expect(gdal.coordinateSystem.wkt).toContain(`ID["EPSG",${summary.grid.epsg}]`);
  const { map, bar } = described(stdout);
  // The bar drawn is as long as the CLI says, and that length is its label's metres at the map's scale.
  expect(await blackRun(file, bar.x, bar.y)).toBe(bar.pixels);
  const expected = bar.metres / metresPerPixel(gdal, summary.grid.epsg, map);
  expect(
    Math.abs(bar.pixels - expected) / expected,
    `${bar.pixels} px for ${bar.label}, expected ${expected}`,
  ).toBeLessThan(0.01);
  return gdal;
}

const yearsOf = (summary: Summary) =>
  [
    ...new Set(
      [...summary.periods.baseline.scenes, ...summary.periods.monitoring.scenes].map((s) => s.datetime.slice(0, 4)),
    ),
  ]
    .sort()
    .join(', ');

describe('figure on a real Bukavu run (Sentinel-2)', () => {
  it('prints at 300 dpi at the width asked, its scale bar true to 1 %, crediting Copernicus with the scenes year', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cw-figure-'));
    const result = await cli(bukavu.configFile, [
      'figure',
      '--aoi',
      AOI,
      '--width-mm',
      '120',
      '--out',
      join(out, 'fig.png'),
    ]);
    expect(result.status, result.stderr).toBe(0);
    const { item, summary } = published(bukavu.storeUrl, AOI);
    const gdal = await checkPng(join(out, 'fig.png'), result.stdout, 120, summary);
    expect(yearsOf(summary)).toBe('2021');
    const attribution = `Contains modified Copernicus Sentinel data ${yearsOf(summary)}.`;
    expect(gdal.metadata['']['Copyright']).toBe(attribution);
    const description = gdal.metadata['']['Description']!;
    for (const text of ['Bukavu figure test', bukavuRunId, item.id, summary.inputs, attribution])
      expect(description).toContain(text);
    expect(readdirSync(out).sort()).toEqual(['fig.png', 'fig.png.aux.xml']);
    mkdirSync(ARTIFACTS, { recursive: true });
    copyFileSync(join(out, 'fig.png'), join(ARTIFACTS, 'figure-bukavu.png'));
    // The default layers: forest loss (its colour from the item's classes) over the monitoring NDVI; the zone drawn.
    const { data } = await sharp(join(out, 'fig.png')).raw().toBuffer({ resolveWithObject: true });
    const count = (rgb: number[]) => {
      let n = 0;
      for (let o = 0; o < data.length; o += 3)
        if (data[o] === rgb[0] && data[o + 1] === rgb[1] && data[o + 2] === rgb[2]) n++;
      return n;
    };
    const loss = (
      item.assets['forest-loss']!['classification:classes'] as Array<{ name: string; color_hint: string }>
    ).find((entry) => entry.name === 'forest-loss')!.color_hint;
    expect(count([0, 2, 4].map((k) => parseInt(loss.slice(k, k + 2), 16)))).toBeGreaterThan(1000);
    expect(count([255, 0, 255])).toBeGreaterThan(1000);
  }, 120_000);

  it('writes a PDF of the figure: GDAL (poppler) reads it at 300 dpi; page size in points, offsets right', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cw-figure-pdf-'));
    const file = join(out, 'fig.pdf');
    const { item } = published(bukavu.storeUrl, AOI);
    const args = [
      '--item',
      item.id,
      '--layers',
      'last-clear,forest-loss-confidence',
      '--bbox',
      '28.815,-2.465,28.835,-2.445',
    ];
    const result = await cli(bukavu.configFile, ['figure', '--aoi', AOI, ...args, '--width-mm', '100', '--out', file]);
    expect(result.status, result.stderr).toBe(0);
    const [, width, height] = /: (\d+)×(\d+) px/.exec(result.stdout)!.map(Number);
    expect(width).toBe(Math.round((100 / 25.4) * 300));
    const gdal = gdalinfo(file, '-oo', 'DPI=300');
    expect(gdal.size).toEqual([width, height]);
    expect(gdal.metadata['']['TITLE']).toMatch(/^Bukavu figure test: Day of the last clear observation/);
    expect(gdal.metadata['']['SUBJECT']).toContain('Contains modified Copernicus Sentinel data 2021.');
    // Structure: header, every xref offset at its object, startxref at the table, the page in points.
    const text = readFileSync(file).toString('latin1');
    expect(text.startsWith('%PDF-1.4\n')).toBe(true);
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1]);
    expect(text.slice(startxref, startxref + 5)).toBe('xref\n');
    const offsets = [...text.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((match) => Number(match[1]));
    expect(offsets).toHaveLength(6);
    offsets.forEach((offset, k) => expect(text.slice(offset, offset + 8)).toBe(`${k + 1} 0 obj\n`));
    const box = /\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(text)!.slice(1).map(Number);
    expect(box[0]).toBeCloseTo((width! * 72) / 300, 3);
    expect(box[1]).toBeCloseTo((height! * 72) / 300, 3);
    expect(readdirSync(out)).toEqual(['fig.pdf']);
  }, 120_000);

  it('refuses bad input in one line with exit 2, writing nothing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cw-figure-bad-'));
    writeFileSync(join(out, 'a-file'), '');
    const target = join(out, 'fig.png');
    const cases: Array<[string[], RegExp]> = [
      [
        ['--layers', 'ndvi-monitoring,forest-gain'],
        /--layers forest-gain: item .* has no such layer: use ndvi-baseline, /,
      ],
      [['--layers', 'forest-loss,ndvi-baseline'], /ndvi-baseline is continuous/],
      [['--bbox', '28.84,-2.47,28.812,-2.44'], /--bbox .*: in the wrong order/],
      [['--bbox', '29.5,-2.0,29.6,-1.9'], /--bbox .*: outside the AOI/],
      [['--bbox', '28.8,-2.47,28.84'], /not four numbers/],
      [['--bbox', '28.82,-2.46,28.8205,-2.4595'], /--bbox .*: 56 × 55 m: a figure shows at least 100 m a side/],
      [['--bbox', '28.82,-2.47,28.822,-2.44'], /--bbox .*: its map would be \d+ mm tall \(at most 1200\)/],
      [['--item', `${AOI}-2020-01-01-2020-02-01`], /no such published item/],
      [['--width-mm', '20'], /--width-mm 20: not a width/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(bukavu.configFile, ['figure', '--aoi', AOI, ...args, '--out', target]);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    for (const path of [join(out, 'missing', 'fig.png'), join(out, 'a-file', 'fig.png'), join(out, 'fig.tif')]) {
      const result = await cli(bukavu.configFile, ['figure', '--aoi', AOI, '--out', path]);
      expect(result.status, path).toBe(2);
      expect(result.stderr.trim().split('\n'), path).toHaveLength(1);
      expect(result.stderr).toMatch(/^--out /);
    }
    expect(readdirSync(out)).toEqual(['a-file']);
  }, 120_000);
});

describe('figure on a Landsat item (the Bale pair)', () => {
  it('prints at 300 dpi with the USGS credit and the scenes years, its scale bar true to 1 %', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cw-figure-bale-out-'));
    const file = join(out, 'bale.png');
    const result = await cli(baleConfig, [
      'figure',
      '--aoi',
      BALE,
      '--layers',
      'ndvi-baseline',
      '--width-mm',
      '90',
      '--out',
      file,
    ]);
    expect(result.status, result.stderr).toBe(0);
    const store = JSON.parse(readFileSync(baleConfig, 'utf8')).store.url as string;
    const { summary } = published(store, BALE);
    const gdal = await checkPng(file, result.stdout, 90, summary);
    expect(yearsOf(summary)).toBe('2000, 2010');
    const attribution = 'Landsat imagery (2000, 2010) courtesy of the U.S. Geological Survey.';
    expect(gdal.metadata['']['Copyright']).toBe(attribution);
    expect(gdal.metadata['']['Description']).toContain(baleRunId);
    expect(gdal.coordinateSystem.wkt).toContain('ID["EPSG",32637]');
    mkdirSync(ARTIFACTS, { recursive: true });
    copyFileSync(file, join(ARTIFACTS, 'figure-bale.png'));
  }, 120_000);

  it('draws the true-colour composite as the published COG holds it, pixel for pixel', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cw-figure-bale-rgb-'));
    const file = join(out, 'bale-rgb.png');
    const args = ['figure', '--aoi', BALE, '--layers', 'composite-monitoring', '--width-mm', '90', '--out', file];
    const result = await cli(baleConfig, args);
    expect(result.status, result.stderr).toBe(0);
    const store = JSON.parse(readFileSync(baleConfig, 'utf8')).store.url as string;
    const { item, summary } = published(store, BALE);
    const gdal = await checkPng(file, result.stdout, 90, summary);
    const composite = join(
      store.slice('file://'.length),
      assetKeyOf(itemKey(BALE, item.id), item.assets['composite-monitoring']!.href),
    );
    const cog = gdalinfo(composite);
    const [cogX, cogPixel, , cogY] = cog.geoTransform as [number, number, number, number];
    const [figX, figPixel, , figY] = gdal.geoTransform as [number, number, number, number];
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    // Centres of composite pixels across the AOI (columns and rows 2..97 of the pair): the figure pixel holding each
    // is that composite pixel, nearest neighbour.
    for (const [column, row] of [
      [10, 10],
      [30, 60],
      [48, 48],
      [70, 25],
      [85, 85],
    ] as const) {
      const [x, y] = [cogX + (column + 0.5) * cogPixel, cogY - (row + 0.5) * cogPixel];
      const expected = execFileSync('gdallocationinfo', ['-valonly', '-geoloc', composite, String(x), String(y)], {
        encoding: 'utf8',
      })
        .trim()
        .split('\n')
        .map(Number);
      const [px, py] = [Math.floor((x - figX) / figPixel), Math.floor((figY - y) / figPixel)];
      const o = (py * info.width + px) * info.channels;
      expect([data[o], data[o + 1], data[o + 2]], `composite pixel ${column},${row}`).toEqual(expected);
    }
    copyFileSync(file, join(ARTIFACTS, 'figure-bale-true-colour.png'));
  }, 120_000);
});
