import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import {
  SUMMARY_SCHEMA_VERSION,
  SummarySchema,
  summaryJsonSchemaText,
  type Summary,
} from '../../../reports/summary.js';
import { ROOT } from '../../helpers/paths.js';

// ajv-formats' CJS default export is typed as a namespace under nodenext (as in the integration tests).
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const COMMITTED = join(ROOT, 'reports', 'summary.schema.json');

/** A small but complete summary: one product with one zone, one scene, one asset. */
function sampleSummary(): Summary {
  const tally = () => ({ pixels: 12, hectares: 1.08 });
  const period = (start: string, end: string) => ({
    window: `${start.slice(0, 10)}/${end.slice(0, 10)}`,
    start,
    end,
    observationDates: [start.slice(0, 10)],
    clearFraction: 0.75,
    scenes: [
      {
        id: 'S2B_35MPT_20240105_0_L2A',
        datetime: start,
        cloudCover: 12.5,
        collection: 'sentinel-2-l2a',
        platform: 'sentinel-2b',
        href: null,
      },
    ],
  });
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    software: { name: 'changewatch', version: '0.1.0' },
    item: 'bukavu-demo-2024',
    inputs: '0123456789abcdef',
    aoi: { id: 'bukavu-demo', name: 'Bukavu', kind: 'custom', hectares: 10, gridHectares: 9.9, source: null },
    grid: {
      epsg: 32735,
      width: 4,
      height: 3,
      transform: [700000, 10, 0, 9730000, 0, -10],
      resolution: 10,
      pixelArea: 'geodesic',
    },
    periods: {
      baseline: period('2023-01-01T00:00:00.000Z', '2023-07-01T00:00:00.000Z'),
      monitoring: period('2024-01-01T00:00:00.000Z', '2024-07-01T00:00:00.000Z'),
    },
    analyses: { requested: ['forest-loss'], notComputed: {} },
    products: {
      'forest-loss': {
        classes: { loss: tally() },
        confidence: { high: tally() },
        patches: { kept: 1, belowMinimumMappingUnit: 0 },
        parameters: { ndviDrop: 0.2 },
        zones: {
          'zone-b': {
            name: 'Zone B',
            version: { validFrom: '2021-05-11', validTo: null, status: 'in-force' },
            hectares: 2,
            classes: { loss: tally() },
            confidence: { high: tally() },
            clearFraction: { baseline: 1, monitoring: 0.5 },
          },
        },
      },
    },
    parameters: { resolution: 10 },
    assets: {
      polygons: { href: './polygons.geojson', type: 'application/geo+json', bytes: 2, sha256: 'a'.repeat(64) },
    },
    caveats: [],
    lastClear: {
      asset: 'last-clear',
      windowEnd: '2024-07-01',
      aoi: { pixels: 12, mostSeenOn: '2024-06-20', seenWithin: { days30: 0.5, days60: 0.75, days90: 0.75 } },
      zones: {
        'zone-b': {
          name: 'Zone B',
          version: { validFrom: '2021-05-11', validTo: null, status: 'in-force' },
          pixels: 4,
          mostSeenOn: null,
          seenWithin: { days30: 0, days60: 0.25, days90: 0.25 },
        },
      },
    },
  };
}

describe('reports/summary.schema.json', () => {
  it('is what SummarySchema generates', () => {
    const committed: unknown = JSON.parse(readFileSync(COMMITTED, 'utf8'));
    // Parsed, not as text: `npm run schema` formats the file with prettier after writing it.
    expect(committed, 'reports/summary.schema.json is stale: run `npm run schema`').toStrictEqual(
      JSON.parse(summaryJsonSchemaText()),
    );
  });

  const ajv = addFormats(new Ajv({ allErrors: true, strict: true }));
  const validate = ajv.compile(JSON.parse(summaryJsonSchemaText()) as object);

  it('accepts a complete summary, in ajv (strict mode) and in zod alike', () => {
    const summary = sampleSummary();
    expect(validate(summary), ajv.errorsText(validate.errors)).toBe(true);
    expect(SummarySchema.safeParse(summary).success).toBe(true);
  });

  // The constraints the hand-written schema had, each broken once: the generated one must refuse them too.
  const fl = (s: Summary) => s.products['forest-loss']!;
  const broken: Array<[string, (s: Summary) => void]> = [
    ['an unknown top-level field', (s) => Object.assign(s, { extra: 1 })],
    ['a missing required field', (s) => Reflect.deleteProperty(s, 'caveats')],
    ['another schema version', (s) => Object.assign(s, { schemaVersion: 1 })],
    ['an inputs digest of the wrong length', (s) => (s.inputs = 'abc')],
    ['an AOI id that is not a slug', (s) => (s.aoi.id = 'Bukavu Demo')],
    ['an unknown AOI kind', (s) => Object.assign(s.aoi, { kind: 'park' })],
    ['a transform of five numbers', (s) => s.grid.transform.pop()],
    ['a product not in the registry', (s) => (s.products['gold-rush'] = fl(s))],
    ['no product at all', (s) => (s.products = {})],
    ['a fractional pixel count', (s) => (fl(s).classes.loss = { pixels: 1.5, hectares: 1 })],
    ['an unknown field in a tally', (s) => Object.assign(fl(s).confidence.high!, { extra: 1 })],
    ['a clear fraction above 1', (s) => (s.periods.baseline.clearFraction = 1.5)],
    ['a scene time that is not a date-time', (s) => (s.periods.monitoring.scenes[0]!.datetime = '2024-01-05')],
    ['an observation date that is not a date', (s) => (s.periods.monitoring.observationDates = ['2024-13-01'])],
    ['an asset checksum that is not sha256 hex', (s) => (s.assets.polygons!.sha256 = 'XYZ')],
  ];
  it.each(broken)('refuses %s, in ajv and in zod alike', (_name, breakIt) => {
    const summary = sampleSummary();
    breakIt(summary);
    expect(validate(summary)).toBe(false);
    expect(SummarySchema.safeParse(summary).success).toBe(false);
  });
});
