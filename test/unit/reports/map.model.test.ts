import { describe, expect, it } from 'vitest';
import type { AreaGeometry } from '../../../aoi/geometry.js';
import { ConfigSchema } from '../../../config/config.schema.js';
import { mapModel } from '../../../reports/map.model.js';
import type { Summary } from '../../../reports/summary.js';

/** Just what the map reads of a summary: the grid, the periods' windows and dates, the products. */
const summary = {
  grid: { epsg: 32735, width: 792, height: 1081, transform: [701600, 10, 0, 9730310, 0, -10] },
  periods: {
    baseline: {
      window: '2021-06-01/2021-07-15',
      start: '2021-06-01',
      end: '2021-07-16',
      observationDates: ['a', 'b'],
      scenes: [],
    },
    monitoring: {
      window: '2021-08-15/2021-09-30',
      start: '2021-08-15',
      end: '2021-10-01',
      observationDates: ['a', 'b', 'c', 'd'],
      scenes: [],
    },
  },
  products: { 'forest-loss': {} },
  parameters: {},
  aoi: { name: 'Bukavu' },
  software: { version: '0.1.0' },
  item: 'bukavu-2021-08-15-2021-09-30',
  inputs: 'e089395273d222fa',
} as unknown as Summary;
const hrefs: Record<string, string> = {
  'ndvi-baseline': '../i/d/ndvi-baseline.tif',
  'ndvi-monitoring': '../i/d/ndvi-monitoring.tif',
  'clear-count-monitoring': '../i/d/clear-count-monitoring.tif',
  'last-clear': '../i/d/last-clear.tif',
  'forest-loss': '../i/d/forest-loss.tif',
  'forest-loss-confidence': '../i/d/forest-loss-confidence.tif',
  polygons: '../i/d/polygons.geojson',
};
const aoi = {
  type: 'Polygon',
  coordinates: [
    [
      [28.8, -2.5],
      [28.9, -2.5],
      [28.9, -2.4],
      [28.8, -2.5],
    ],
  ],
} as unknown as AreaGeometry;
const model = (overrides: Partial<Summary> = {}) =>
  mapModel({ summary: { ...summary, ...overrides }, hrefOf: (asset) => hrefs[asset], aoi, zones: [] });

describe('mapModel', () => {
  it('one layer per published COG, with legends of values and units, and the grid extent in its CRS', () => {
    const built = model()!;
    expect(built.layers.map((layer) => layer.id)).toEqual([
      'ndvi-baseline',
      'ndvi-monitoring',
      'clear-count-monitoring',
      'last-clear',
      'forest-loss',
      'forest-loss-confidence',
    ]);
    expect(built.extent).toEqual([701600, 9730310 - 10810, 701600 + 7920, 9730310]);
    expect(built.proj4).toBe('+proj=utm +zone=35 +south +datum=WGS84 +units=m +no_defs');
    expect(built.worldExtent).toEqual([24, -80, 30, 0]);
    const ndvi = built.layers[0]!;
    expect(ndvi.nodata).toBe('nan');
    expect(ndvi.legend.rows.map((row) => row.label)).toEqual(['-0.10', '0.20', '0.45', '0.70', '0.90']);
    // Counts run from 0 to the period's number of observation dates; last clear from the window's first to last day.
    expect(built.layers[2]!.legend.rows.map((row) => row.label)).toEqual(['0', '1', '2', '3', '4']);
    expect(built.layers[3]!.legend.rows.map((row) => row.label)).toEqual([
      '2021-08-15',
      '2021-08-27',
      '2021-09-07',
      '2021-09-19',
      '2021-09-30',
    ]);
    const classes = built.layers[4]!;
    expect(classes.nodata).toBe(255);
    expect(classes.legend.rows.map((row) => row.label)).toEqual([
      '0 not-seen',
      '1 non-forest',
      '2 stable-forest',
      '3 forest-loss',
    ]);
    expect(classes.colouring).toMatchObject({ kind: 'palette' });
    expect(built.initial).toEqual({ top: 'forest-loss', bottom: 'ndvi-monitoring' });
  });

  it('colour composites as RGB layers under the swipe, their legend naming each band and its stretch', () => {
    const withComposites: Record<string, string> = {
      ...hrefs,
      'composite-baseline': '../i/d/composite-baseline.tif',
      'composite-monitoring': '../i/d/composite-monitoring.tif',
    };
    const parameters = { composite: { kind: 'false-colour', bands: ['nir', 'red', 'green'], top: [0.5, 0.2, 0.2] } };
    const built = mapModel({
      summary: { ...summary, parameters } as Summary,
      hrefOf: (asset) => withComposites[asset],
      aoi,
      zones: [],
    })!;
    const composite = built.layers.find((layer) => layer.id === 'composite-monitoring')!;
    expect(built.layers.map((layer) => layer.id).slice(0, 2)).toEqual(['composite-baseline', 'ndvi-baseline']);
    expect(composite).toMatchObject({ title: 'False colour after (2021-08-15/2021-09-30)', nodata: 0 });
    expect(composite.colouring).toEqual({ kind: 'rgb' });
    expect(composite.legend.rows.map((row) => row.label)).toEqual([
      'red: nir reflectance 0–0.5',
      'green: red reflectance 0–0.2',
      'blue: green reflectance 0–0.2',
    ]);
    expect(built.initial).toEqual({ top: 'forest-loss', bottom: 'composite-monitoring' });
    // A summary that does not say what the composite shows gets no composite layer (no legend could be honest).
    const unsaid = mapModel({ summary, hrefOf: (asset) => withComposites[asset], aoi, zones: [] })!;
    expect(unsaid.layers.some((layer) => layer.id.startsWith('composite-'))).toBe(false);
  });

  it('no map for a grid outside the UTM zones (the previews stay)', () => {
    expect(model({ grid: { ...summary.grid, epsg: 3857 } })).toBeUndefined();
  });
});

describe('reports.basemap config', () => {
  it('accepts an XYZ template with its credit, refuses a URL without {z}/{x}/{y}', () => {
    const basemap = { url: 'https://tile.example.org/{z}/{x}/{y}.png', attribution: '© Example' };
    expect(ConfigSchema.parse({ reports: { basemap } }).reports.basemap).toEqual(basemap);
    expect(ConfigSchema.parse({}).reports.basemap).toBeUndefined();
    const refused = ConfigSchema.safeParse({
      reports: { basemap: { ...basemap, url: 'https://tile.example.org/tiles.png' } },
    });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(['reports', 'basemap', 'url']);
  });
});
