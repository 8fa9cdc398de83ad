import { describe, expect, it } from 'vitest';
import { findDuplicateIds, parseAoi } from '../../../aoi/aoi.parse.js';
import { formatProblem } from '../../../aoi/aoi.schema.js';

const OPTIONS = { maxAreaKm2: 10_000 };

/** A small valid AOI near Bukavu: about 1.1 km × 1.1 km. */
const RING = [
  [28.84, -2.5],
  [28.85, -2.5],
  [28.85, -2.49],
  [28.84, -2.49],
  [28.84, -2.5],
];

function aoiFeature(properties: Record<string, unknown> = {}, coordinates: unknown = [RING]) {
  return {
    type: 'Feature',
    properties: {
      role: 'aoi',
      id: 'test-aoi',
      name: 'Test AOI',
      kind: 'custom',
      analyses: ['forest-loss'],
      ...properties,
    },
    geometry: { type: 'Polygon', coordinates },
  };
}

function collection(...features: unknown[]) {
  return JSON.stringify({ type: 'FeatureCollection', features });
}

function problemsOf(text: string, options = OPTIONS): string[] {
  return parseAoi(text, 'x.geojson', options).problems.map(formatProblem);
}

describe('parseAoi: valid files', () => {
  it('reads an AOI with zones, windows and overrides', () => {
    const zone = {
      type: 'Feature',
      properties: { role: 'zone', id: 'zone-b', name: 'Exclusion Zone B', holder: 'X' },
      geometry: { type: 'Polygon', coordinates: [RING] },
    };
    const text = collection(
      aoiFeature({
        windows: { baseline: '2021-06-01/2021-07-15', monitoring: '2022-06-01/2022-07-15' },
        maxCloudCover: 40,
        source: 'test',
      }),
      zone,
    );
    const result = parseAoi(text, 'x.geojson', OPTIONS);
    expect(result.problems).toEqual([]);
    expect(result.aoi).toMatchObject({
      id: 'test-aoi',
      feature: 0,
      kind: 'custom',
      analyses: ['forest-loss'],
      maxCloudCover: 40,
      source: 'test',
      windows: {
        baseline: { start: '2021-06-01T00:00:00.000Z', end: '2021-07-16T00:00:00.000Z' },
        monitoring: { text: '2022-06-01/2022-07-15' },
      },
      zones: [{ id: 'zone-b', name: 'Exclusion Zone B', attributes: { holder: 'X' } }],
    });
    // 0.01° × 0.01° at 2.5°S: 1,105.7 m × 1,113.2 m (geodesic), about 123 ha.
    expect(result.aoi!.areaHa).toBeGreaterThan(122);
    expect(result.aoi!.areaHa).toBeLessThan(124);
    expect(result.aoi!.zones[0]!.areaHa).toBeCloseTo(result.aoi!.areaHa, 6);
  });

  it('accepts a bare Feature and a one-feature collection without role', () => {
    const feature = aoiFeature({ role: undefined });
    expect(parseAoi(JSON.stringify(feature), 'x', OPTIONS).aoi?.id).toBe('test-aoi');
    expect(parseAoi(collection(feature), 'x', OPTIONS).aoi?.id).toBe('test-aoi');
  });

  it('accepts clockwise rings, 3D positions and repeated vertices (common in GIS exports)', () => {
    const ring = [...RING].reverse().map(([lon, lat]) => [lon, lat, 1500]);
    ring.splice(2, 0, ring[1]!);
    expect(problemsOf(collection(aoiFeature({}, [ring])))).toEqual([]);
  });

  it('accepts a MultiPolygon with a hole', () => {
    const hole = [
      [28.842, -2.498],
      [28.842, -2.492],
      [28.848, -2.492],
      [28.848, -2.498],
      [28.842, -2.498],
    ];
    const feature = aoiFeature();
    feature.geometry = { type: 'MultiPolygon', coordinates: [[RING, hole]] } as never;
    const result = parseAoi(collection(feature), 'x', OPTIONS);
    expect(result.problems).toEqual([]);
    expect(result.aoi!.areaHa).toBeLessThan(123 * 0.7);
  });

  it('does not mutate the parsed input', () => {
    const text = collection(aoiFeature());
    const before = text.slice();
    parseAoi(text, 'x', OPTIONS);
    expect(text).toBe(before);
  });
});

describe('parseAoi: one clear line per problem', () => {
  const cases: Array<[string, string, string]> = [
    ['not JSON', '{"type": "FeatureCollection", features: [', 'x.geojson: not JSON'],
    [
      'a Geometry, not a Feature',
      JSON.stringify({ type: 'Polygon', coordinates: [RING] }),
      'x.geojson: a GeoJSON Polygon, expected a FeatureCollection',
    ],
    ['plain JSON', JSON.stringify({ hello: 1 }), 'x.geojson: not GeoJSON'],
    ['empty collection', collection(), 'FeatureCollection is empty'],
    [
      'projected coordinates',
      collection(
        aoiFeature({}, [
          [
            [701410, 9730510],
            [709760, 9730510],
            [709760, 9719300],
            [701410, 9730510],
          ],
        ]),
      ),
      'feature 0: ring 0 position 0 is [701410, 9730510], which looks projected',
    ],
    [
      'swapped lat/lon',
      collection(
        aoiFeature({}, [
          [
            [3.1, 129.5],
            [3.2, 129.5],
            [3.2, 129.6],
            [3.1, 129.5],
          ],
        ]),
      ),
      'look swapped (lat, lon)',
    ],
    [
      'declared projected crs',
      JSON.stringify({
        type: 'FeatureCollection',
        crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::32735' } },
        features: [aoiFeature()],
      }),
      'declares crs "urn:ogc:def:crs:EPSG::32735"',
    ],
    [
      'unclosed ring',
      collection(aoiFeature({}, [RING.slice(0, 4)])),
      'feature 0: ring 0 is not closed: repeat its first position [28.84, -2.5] at the end',
    ],
    [
      'self-intersecting ring',
      collection(
        aoiFeature({}, [
          [
            [28.84, -2.5],
            [28.85, -2.49],
            [28.85, -2.5],
            [28.84, -2.49],
            [28.84, -2.5],
          ],
        ]),
      ),
      'feature 0: ring 0 intersects itself (segments 0 and 2) near 28.84000, -2.50000',
    ],
    ['empty coordinates', collection(aoiFeature({}, [])), 'geometry is empty'],
    ['empty ring', collection(aoiFeature({}, [[]])), 'ring 0 is empty'],
    [
      'zero-area ring',
      collection(
        aoiFeature({}, [
          [
            [28.84, -2.5],
            [28.85, -2.5],
            [28.86, -2.5],
            [28.84, -2.5],
          ],
        ]),
      ),
      'intersects itself',
    ],
    [
      'two corners',
      collection(
        aoiFeature({}, [
          [
            [28.84, -2.5],
            [28.85, -2.5],
            [28.84, -2.5],
            [28.84, -2.5],
          ],
        ]),
      ),
      'has 2 distinct corner(s): a ring needs at least three',
    ],
    [
      'a point',
      JSON.stringify({ ...aoiFeature(), geometry: { type: 'Point', coordinates: [28.8, -2.5] } }),
      'geometry is a Point, not an area',
    ],
    ['no geometry', JSON.stringify({ ...aoiFeature(), geometry: null }), 'has no geometry'],
    [
      'a bad position',
      collection(
        aoiFeature({}, [
          [
            [28.84, -2.5],
            [28.85, '-2.5'],
            [28.85, -2.49],
            [28.84, -2.5],
          ],
        ]),
      ),
      'ring 0 position 1 is [28.85,"-2.5"], not [lon, lat]',
    ],
    [
      'area over the limit',
      collection(
        aoiFeature({}, [
          [
            [20, -5],
            [22, -5],
            [22, -3],
            [20, -3],
            [20, -5],
          ],
        ]),
      ),
      'area 49',
    ],
    ['path-like id', collection(aoiFeature({ id: '../etc' })), 'AOI id "../etc" contains a path separator or ".."'],
    ['slash in id', collection(aoiFeature({ id: 'a/b' })), 'contains a path separator'],
    [
      'spaces in id',
      collection(aoiFeature({ id: 'Kahuzi Biega' })),
      'AOI id "Kahuzi Biega" contains spaces, so it is not safe in object keys: use lowercase letters, digits and hyphens, e.g. "kahuzi-biega"',
    ],
    ['missing id', collection(aoiFeature({ id: undefined })), 'AOI has no "id"'],
    [
      'unknown analysis',
      collection(aoiFeature({ analyses: ['forest-loss', 'deforestation'] })),
      'unknown analysis "deforestation": use one of forest-loss, settlement-change, mining-expansion',
    ],
    ['no analyses', collection(aoiFeature({ analyses: [] })), 'analyses must be a non-empty list'],
    ['unknown kind', collection(aoiFeature({ kind: 'park' })), 'kind "park" is unknown'],
    [
      'bad window',
      collection(aoiFeature({ windows: { baseline: '2021-06-01..2021-07-15' } })),
      'windows.baseline: "2021-06-01..2021-07-15" is not an ISO 8601 interval',
    ],
    [
      'window ends before it starts',
      collection(aoiFeature({ windows: { monitoring: '2021-09-30/2021-08-15' } })),
      'windows.monitoring: "2021-09-30/2021-08-15" ends before it starts',
    ],
    [
      'baseline after monitoring',
      collection(aoiFeature({ windows: { baseline: '2022-06-01/2022-07-01', monitoring: '2021-06-01/2021-07-01' } })),
      'the baseline must come first',
    ],
    [
      'unknown window',
      collection(aoiFeature({ windows: { before: '2021-06-01/2021-07-01' } })),
      'unknown window "before"',
    ],
    [
      'cloud cover out of range',
      collection(aoiFeature({ maxCloudCover: 140 })),
      'maxCloudCover 140 is not a percentage',
    ],
    [
      'misspelt property',
      collection(aoiFeature({ max_cloud_cover: 20 })),
      'property "max_cloud_cover" would be ignored: rename it "maxCloudCover"',
    ],
    [
      'two AOIs in one file',
      collection(aoiFeature(), aoiFeature({ id: 'other' })),
      'features 0, 1 all have "role": "aoi"',
    ],
    [
      'feature without role',
      collection(aoiFeature(), { ...aoiFeature({ role: undefined }) }),
      'feature 1: has no "role"',
    ],
  ];

  it.each(cases)('%s', (_name, text, fragment) => {
    const problems = problemsOf(text);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toContain(fragment);
    for (const line of problems) {
      expect(line).toMatch(/^x\.geojson: /);
      expect(line).not.toContain('\n');
      expect(line).not.toMatch(/at .*\.js:\d+/);
    }
  });

  it('reports every problem of a file, not only the first', () => {
    const problems = problemsOf(
      collection(aoiFeature({ id: 'Bad Id', kind: 'park', analyses: ['x'], maxCloudCover: -1 })),
    );
    expect(problems).toHaveLength(4);
  });

  it('checks zones: ids, names, duplicates and position relative to the AOI', () => {
    const zone = (properties: Record<string, unknown>, ring = RING) => ({
      type: 'Feature',
      properties: { role: 'zone', ...properties },
      geometry: { type: 'Polygon', coordinates: [ring] },
    });
    const far = RING.map(([lon, lat]) => [lon! + 1, lat!]);
    const problems = problemsOf(
      collection(
        aoiFeature(),
        zone({ id: 'a', name: 'A' }),
        zone({ id: 'a', name: 'A2' }),
        zone({ id: 'b' }),
        zone({ id: 'c', name: 'C' }, far),
      ),
    );
    // Ids are compared once every zone is read (versions of one id may be anywhere in the file).
    expect(problems).toEqual([
      'x.geojson: feature 3: zone has no "name": add the name report authors will read, e.g. "Exclusion Zone B"',
      'x.geojson: feature 4: zone "c" lies entirely outside the AOI: enlarge the AOI or remove the zone',
      'x.geojson: feature 2: zone id "a" is also used by feature 1: give each zone its own id',
    ]);
  });
});

describe('findDuplicateIds', () => {
  it('reports each file that shares an id', () => {
    const problems = findDuplicateIds([
      { id: 'a', file: 'one.geojson', feature: 0 },
      { id: 'a', file: 'two.geojson', feature: 0 },
      { id: 'b', file: 'three.geojson', feature: 0 },
    ]).map(formatProblem);
    expect(problems).toEqual([
      'one.geojson: feature 0: duplicate AOI id "a", also used by two.geojson: ids name outputs, so give each AOI its own',
      'two.geojson: feature 0: duplicate AOI id "a", also used by one.geojson: ids name outputs, so give each AOI its own',
    ]);
  });
});
