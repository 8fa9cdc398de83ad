/**
 * Builds the seed AOIs in `aoi/` from the boundary sources in `../shared/data/aoi-sources/derived/`.
 * Run with `npm run aoi:seed`; the output is committed, and this program is how it can be remade and checked.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAoi } from '../../aoi/aoi.parse.js';
import { formatProblem, type Analysis, type AoiKind } from '../../aoi/aoi.schema.js';
import {
  areaM2,
  bboxOf,
  simplifyRing,
  type AreaGeometry,
  type PolygonCoordinates,
  type Position,
  type Ring,
} from '../../aoi/geometry.js';

const SOURCES = join('..', 'shared', 'data', 'aoi-sources', 'derived');
const OUT = 'aoi';

/** Vertex tolerance for simplifying park boundaries: 2 Sentinel-2 pixels, well inside the source's own accuracy. */
const SIMPLIFY_TOLERANCE_M = 20;
/** Margin around mining permits, so that activity just outside a title is seen too. */
const PERMIT_MARGIN_M = 2000;
/** Decimal places kept: 1e-6° is about 0.1 m. */
const DECIMALS = 6;

const CADASTRE =
  'DRC Mining Cadastre (CAMI) titles, 2016 snapshot as republished by IPIS (github.com/IPISResearch/WebMapping_GeoJson, titres_2016.geojson, commit 6a9a032)';

interface SourceFeature {
  properties: Record<string, unknown>;
  geometry: AreaGeometry;
}

function readSource(name: string): SourceFeature[] {
  return (JSON.parse(readFileSync(join(SOURCES, name), 'utf8')) as { features: SourceFeature[] }).features;
}

const round = (value: number) => Number(value.toFixed(DECIMALS));
const roundRing = (ring: Ring): Ring => ring.map(([lon, lat]) => [round(lon), round(lat)] as Position);

function boxAround(features: SourceFeature[], marginM: number): AreaGeometry {
  const boxes = features.map((feature) => bboxOf(feature.geometry));
  let [west, south, east, north] = [
    Math.min(...boxes.map((box) => box[0])),
    Math.min(...boxes.map((box) => box[1])),
    Math.max(...boxes.map((box) => box[2])),
    Math.max(...boxes.map((box) => box[3])),
  ];
  const dLat = marginM / 110_574;
  const dLon = marginM / (111_320 * Math.cos((((south + north) / 2) * Math.PI) / 180));
  [west, south, east, north] = [west - dLon, south - dLat, east + dLon, north + dLat];
  const ring: Ring = [
    [west, south],
    [east, south],
    [east, north],
    [west, north],
    [west, south],
  ];
  return { type: 'Polygon', coordinates: [roundRing(ring)] };
}

function permitZones(features: SourceFeature[]) {
  return features.map((feature) => ({
    type: 'Feature',
    properties: {
      role: 'zone',
      id: `pe-${String(feature.properties.name)}`,
      name: `PE ${String(feature.properties.name)} (${String(feature.properties.parties).replace(/\s*\(100%\)$/, '')})`,
      titleType: feature.properties.type,
      holder: feature.properties.parties,
      status: feature.properties.statut,
      cadastreDate: feature.properties.date_de1,
    },
    geometry: {
      ...feature.geometry,
      coordinates:
        feature.geometry.type === 'Polygon'
          ? feature.geometry.coordinates.map(roundRing)
          : feature.geometry.coordinates.map((polygon) => polygon.map(roundRing)),
    },
  }));
}

interface SeedAoi {
  file: string;
  properties: {
    id: string;
    name: string;
    kind: AoiKind;
    analyses: Analysis[];
    source: string;
    windows?: Record<string, string>;
    maxCloudCover?: number;
  };
  geometry: AreaGeometry;
  zones?: unknown[];
}

function kahuziBiega(): SeedAoi {
  const [park] = readSource('kahuzi_biega_wri.geojson');
  if (!park || park.geometry.type !== 'MultiPolygon')
    throw new Error('kahuzi_biega_wri.geojson: expected one MultiPolygon');
  const original = park.geometry;
  const simplified: PolygonCoordinates[] = original.coordinates.map((polygon) =>
    polygon.map((ring) => roundRing(simplifyRing(ring, SIMPLIFY_TOLERANCE_M))),
  );
  const geometry: AreaGeometry = { type: 'MultiPolygon', coordinates: simplified };
  const before = original.coordinates.flat().reduce((n, ring) => n + ring.length, 0);
  const after = simplified.flat().reduce((n, ring) => n + ring.length, 0);
  const change = ((areaM2(geometry) - areaM2(original)) / areaM2(original)) * 100;
  return {
    file: 'kahuzi-biega.geojson',
    properties: {
      id: 'kahuzi-biega',
      name: 'Kahuzi-Biega National Park',
      kind: 'protected-area',
      analyses: ['forest-loss', 'mining-expansion'],
      source:
        'Park boundary from WRI/MECNT DRC protected areas (github.com/IPISResearch/WebMapping_GeoJson, protectedareas_wri.geojson, ' +
        `commit 6a9a032; geometry digitised by WWF/EARPO 2007); simplified by changewatch (Douglas-Peucker, ${SIMPLIFY_TOLERANCE_M} m: ` +
        `${before} → ${after} vertices, area change ${change.toFixed(3)}%)`,
    },
    geometry,
  };
}

function kibali(): SeedAoi {
  const permits = readSource('kibali_goldmines_PE_titles_2016.geojson');
  return {
    file: 'kibali.geojson',
    properties: {
      id: 'kibali',
      name: 'Kibali gold mine and Durba exclusion zones',
      kind: 'exclusion-zone',
      analyses: ['settlement-change', 'forest-loss', 'mining-expansion'],
      source: `The ${permits.length} Kibali Goldmines exploitation permits (PE) from the ${CADASTRE}; AOI = their bounding box plus ${PERMIT_MARGIN_M / 1000} km, covering Durba and Doko`,
      // Haut-Uélé (3°N) has its dry season from December to February; the October 2021 demolitions fall between.
      windows: { baseline: '2020-12-01/2021-02-28', monitoring: '2021-12-01/2022-02-28' },
    },
    geometry: boxAround(permits, PERMIT_MARGIN_M),
    zones: permitZones(permits),
  };
}

function miningSite(id: string, name: string, operator: string): SeedAoi {
  const permits = readSource('east_drc_gold_operator_titles_2016.geojson').filter(
    (feature) => feature.properties.type === 'PE' && String(feature.properties.parties).startsWith(operator),
  );
  if (permits.length === 0) throw new Error(`no PE title of ${operator} in the sources`);
  return {
    file: `${id}.geojson`,
    properties: {
      id,
      name,
      kind: 'mining-site',
      analyses: ['mining-expansion', 'forest-loss'],
      source: `${permits.length} exploitation permit(s) (PE ${permits.map((p) => String(p.properties.name)).join(', ')}) of ${operator} from the ${CADASTRE}; AOI = their bounding box plus ${PERMIT_MARGIN_M / 1000} km`,
    },
    geometry: boxAround(permits, PERMIT_MARGIN_M),
    zones: permitZones(permits),
  };
}

function bukavuDemo(): SeedAoi {
  return {
    file: 'bukavu-demo.geojson',
    properties: {
      id: 'bukavu-demo',
      name: 'Bukavu (offline demo)',
      kind: 'custom',
      // The demo scenes carry red and NIR only: NDVI-based forest loss is all they allow.
      analyses: ['forest-loss'],
      source:
        'Drawn by changewatch inside the footprint of ../shared/data/s2-bukavu-rusizi/T35MPT_bukavu_drc (pixel corners (20,20)…(810,1100) ' +
        'of the EPSG:32735 grid, mostly land west and south of Lake Kivu, transformed with gdaltransform)',
      windows: { baseline: '2021-06-01/2021-07-15', monitoring: '2021-08-15/2021-09-30' },
    },
    geometry: {
      type: 'Polygon',
      coordinates: [
        roundRing([
          [28.813146, -2.438727],
          [28.813279, -2.536387],
          [28.884307, -2.536285],
          [28.884247, -2.494691],
          [28.849179, -2.491124],
          [28.837475, -2.479385],
          [28.83742, -2.438694],
          [28.813146, -2.438727],
        ]),
      ],
    },
  };
}

const seeds = [
  kahuziBiega(),
  kibali(),
  miningSite('twangiza', 'Twangiza gold mine', 'TWANGIZA MINING'),
  miningSite('namoya', 'Namoya gold mine', 'NAMOYA MINING'),
  miningSite('kamituga', 'Kamituga gold concessions', 'KAMITUGA MINING'),
  miningSite('lugushwa', 'Lugushwa gold concessions', 'LUGUSHWA MINING'),
  bukavuDemo(),
];

let failed = false;
for (const seed of seeds) {
  const collection = {
    type: 'FeatureCollection',
    features: [
      { type: 'Feature', properties: { role: 'aoi', ...seed.properties }, geometry: seed.geometry },
      ...(seed.zones ?? []),
    ],
  };
  const text = `${JSON.stringify(collection)}\n`;
  const path = join(OUT, seed.file);
  const result = parseAoi(text, path, { maxAreaKm2: 10_000 });
  if (!result.aoi) {
    for (const problem of result.problems) console.error(formatProblem(problem));
    failed = true;
    continue;
  }
  writeFileSync(path, text);
  console.log(
    `${path}: ${result.aoi.id}, ${(result.aoi.areaHa / 100).toFixed(1)} km², ${result.aoi.zones.length} zones`,
  );
}
process.exitCode = failed ? 1 : 0;
