import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromCrs } from '../../aoi/aoi.project.js';
import { pixelAreaHaByColumn } from '../../aoi/pixel.area.js';
import type { Grid } from '../../aoi/rasterize.js';
import { SampleDesignSchema, type SampleDesign, type SampleUnit } from '../../reports/accuracy.js';
import { toCsv } from '../../reports/csv.js';
import {
  allocate,
  drawSample,
  expectedChangeSe,
  seededRandom,
  strataOf,
  type Strata,
} from '../../workers/accuracy/sampling.js';
import { NOT_SEEN_CLASS } from '../../workers/products/product.js';
import { ChangewatchError } from '../errors.js';
import { sha256Hex } from '../outputs/layout.js';
import type { ObjectStore } from '../ports.js';
import type { PublishedRasters } from '../scenes/store.raster.js';
import { VERSION } from '../version.js';
import { assessedItem, assessedProduct, type AssessedItem } from './assess.source.js';
import { writeReview } from './review.write.js';
import type { SceneChipSource } from './scene.chips.js';

/**
 * `changewatch assess sample`: a stratified random sample of pixels of a published class raster, with its design
 * (`design.json`), the units as CSV and GeoJSON, their map classes in a file of their own (`map-classes.csv`, so
 * whoever labels does not see them) and a review page with chips of every unit.
 */
export interface SampleRequest {
  aoiId: string;
  itemId?: string;
  product: string;
  n: number;
  minPerStratum: number;
  seed: number;
  bufferMetres: number;
  out: string;
  conjecture: { usersAccuracy: number; omission: number };
}

export interface DrawnSample {
  design: SampleDesign;
  designSha256: string;
  folder: string;
}

async function readClasses(source: AssessedItem, product: string, rasters: PublishedRasters) {
  const key = source.assetKey(product);
  const reader = await rasters(key);
  const { width, height } = source.summary.grid;
  const { bands } = await reader.readWindow({ x0: 0, y0: 0, x1: width, y1: height }, { bands: [0], fill: 255 });
  return { key, codes: Uint8Array.from(bands[0]!) };
}

function usage(error: unknown): never {
  if (error instanceof RangeError) throw new ChangewatchError('E_USAGE', `assess sample: ${error.message}`);
  throw error;
}

function unitsOf(source: AssessedItem, drawn: ReturnType<typeof drawSample>): SampleUnit[] {
  const { width, epsg, transform } = source.summary.grid;
  const toLonLat = fromCrs(epsg);
  const digits = String(drawn.length).length;
  return drawn.map((unit, index) => {
    const column = unit.pixel % width;
    const row = Math.floor(unit.pixel / width);
    const x = transform[0] + (column + 0.5) * transform[1];
    const y = transform[3] + (row + 0.5) * transform[5];
    const [lon, lat] = toLonLat([x, y]);
    const id = `P${String(index + 1).padStart(digits, '0')}`;
    return { id, stratum: unit.stratum, column, row, lon: Number(lon!.toFixed(7)), lat: Number(lat!.toFixed(7)) };
  });
}

function designOf(
  request: SampleRequest,
  source: AssessedItem,
  raster: { key: string; sha256: string },
  strata: Strata,
  allocation: number[],
  units: SampleUnit[],
  mapClassesSha256: string,
): SampleDesign {
  const classes = assessedProduct(source, request.product).classes.filter(
    (entry) => !entry.nodata && entry.name !== NOT_SEEN_CLASS.name,
  );
  const total = strata.strata.reduce((sum, stratum) => sum + stratum.areaHa, 0);
  return SampleDesignSchema.parse({
    type: 'changewatch-accuracy-sample',
    aoi: request.aoiId,
    item: source.item.id,
    inputs: source.inputs,
    product: request.product,
    raster,
    grid: source.summary.grid,
    classes: classes.map((entry) => entry.name),
    mappedHa: classes.map((entry) => strata.classAreaHa.get(entry.value) ?? 0),
    seed: request.seed,
    n: request.n,
    minPerStratum: request.minPerStratum,
    bufferMetres: request.bufferMetres,
    strata: strata.strata.map((stratum, h) => ({ ...stratum, allocated: allocation[h]! })),
    notAssessed: strata.notAssessed,
    expected: {
      changeAreaSeHa: expectedChangeSe(strata.strata, allocation, request.conjecture) * total,
      conjecture: request.conjecture,
    },
    mapClassesSha256,
    units,
    software: `changewatch ${VERSION}`,
    created: new Date().toISOString(),
  });
}

export interface SampleSources {
  rasters: PublishedRasters;
  /** The item's scenes for the review page's per-scene chips, or undefined when they cannot be found again. */
  scenes?: (summary: AssessedItem['summary']) => Promise<SceneChipSource | undefined>;
  onProgress?: (done: number, total: number) => void;
}

export async function drawAssessmentSample(
  store: ObjectStore,
  sources: SampleSources,
  request: SampleRequest,
): Promise<DrawnSample> {
  const { rasters, onProgress } = sources;
  const source = await assessedItem(store, request.aoiId, request.itemId);
  const product = assessedProduct(source, request.product);
  const { key, codes } = await readClasses(source, request.product, rasters);
  const rasterBytes = await store.get(key);
  if (!rasterBytes) throw new ChangewatchError('E_READ', `${store.url}/${key}: the class raster is missing: re-run`);
  const grid = source.summary.grid;
  const strata = strataOf({
    codes,
    width: grid.width,
    height: grid.height,
    pixelHaByColumn: pixelAreaHaByColumn({ ...grid, transform: grid.transform as unknown as Grid['transform'] }),
    classes: product.classes.filter((entry) => !entry.nodata && entry.name !== NOT_SEEN_CLASS.name),
    changeCodes: product.patches.flatMap((rule) => rule.codes),
    notSeenCode: product.classes.find((entry) => entry.name === NOT_SEEN_CLASS.name)?.value ?? -1,
    bufferRadiusPx: request.bufferMetres / Math.abs(grid.transform[1]),
  });
  let allocation: number[];
  try {
    allocation = allocate(strata.strata, request.n, request.minPerStratum);
  } catch (error) {
    usage(error);
  }
  const drawn = drawSample(strata.stratumOf, strata.strata, allocation, seededRandom(request.seed));
  const units = unitsOf(source, drawn);
  const mapCsv = toCsv([
    ['id', 'map_class'],
    ...units.map((unit, i) => [unit.id, mapClassName(product, codes, drawn[i]!.pixel)]),
  ]);
  const design = designOf(
    request,
    source,
    { key, sha256: sha256Hex(rasterBytes) },
    strata,
    allocation,
    units,
    sha256Hex(Buffer.from(mapCsv)),
  );
  const designBytes = Buffer.from(JSON.stringify(design, null, 2) + '\n');
  const designSha256 = sha256Hex(designBytes);
  await mkdir(request.out, { recursive: true });
  await writeFile(join(request.out, 'map-classes.csv'), mapCsv);
  await writeFile(join(request.out, 'sample.csv'), sampleCsv(design, designSha256));
  await writeFile(join(request.out, 'sample.geojson'), JSON.stringify(sampleGeoJson(design, designSha256), null, 1));
  const scenes = await sources.scenes?.(source.summary);
  await writeReview(request.out, { design, designSha256, source, rasters, scenes, onProgress });
  // The design goes last: a folder without it is an interrupted draw, which `assess estimate` refuses.
  await writeFile(join(request.out, 'design.json'), designBytes);
  return { design, designSha256, folder: request.out };
}

function mapClassName(product: ReturnType<typeof assessedProduct>, codes: Uint8Array, pixel: number): string {
  return product.classes.find((entry) => entry.value === codes[pixel])!.name;
}

function sampleCsv(design: SampleDesign, designSha256: string): string {
  const rows = design.units.map((unit) => [
    unit.id,
    unit.lon,
    unit.lat,
    unit.column,
    unit.row,
    design.strata[unit.stratum]!.name,
    designSha256,
  ]);
  return toCsv([['id', 'lon', 'lat', 'column', 'row', 'stratum', 'design_sha256'], ...rows]);
}

function sampleGeoJson(design: SampleDesign, designSha256: string) {
  return {
    type: 'FeatureCollection',
    features: design.units.map((unit) => ({
      type: 'Feature',
      id: unit.id,
      geometry: { type: 'Point', coordinates: [unit.lon, unit.lat] },
      properties: {
        id: unit.id,
        stratum: design.strata[unit.stratum]!.name,
        column: unit.column,
        row: unit.row,
        design_sha256: designSha256,
      },
    })),
  };
}
