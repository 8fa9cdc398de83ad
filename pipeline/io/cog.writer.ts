import { deflateSync } from 'node:zlib';
import type { TypedArray } from 'geotiff';
import { overviewLevels, type OverviewResampling } from '../../workers/overview.js';
import type { GeoTransform } from '../../workers/grid.js';
import type { DataType } from './cog.reader.js';

/**
 * A small Cloud-Optimized GeoTIFF writer (no JavaScript library writes COGs): classic little-endian TIFF, 512×512
 * tiles, DEFLATE with predictor 2 for integers and 3 for floats (TIFF Technical Note 3), internal overviews, the
 * IFDs first (main, then overviews by decreasing size) and the tile data after them from the smallest overview to
 * the full resolution, GeoKeys with the EPSG code, GDAL_NODATA, and GDAL_METADATA for band names and metadata —
 * the layout GDAL's validate_cloud_optimized_geotiff checks. The whole file is built in memory.
 */

export interface CogInput {
  width: number;
  height: number;
  /** One array per band, row-major, all of `dataType`. */
  bands: TypedArray[];
  dataType: DataType;
  /** EPSG code: a projected CRS (UTM) or 4326. */
  epsg: number;
  /** North-up GDAL geotransform. */
  transform: GeoTransform;
  /** Written as GDAL_NODATA; NaN for float rasters whose missing pixels are NaN. */
  nodata?: number;
  /** Band descriptions (GDAL_METADATA role="description"). */
  bandNames?: string[];
  /** Dataset metadata items (GDAL_METADATA), e.g. units, class names, parameters. */
  metadata?: Record<string, string>;
  /** nearest for classes and counts, average for continuous values. */
  resampling: OverviewResampling;
  tileSize?: number;
}

const TYPES = {
  uint8: { array: Uint8Array, bits: 8, format: 1 },
  int8: { array: Int8Array, bits: 8, format: 2 },
  uint16: { array: Uint16Array, bits: 16, format: 1 },
  int16: { array: Int16Array, bits: 16, format: 2 },
  uint32: { array: Uint32Array, bits: 32, format: 1 },
  int32: { array: Int32Array, bits: 32, format: 2 },
  float32: { array: Float32Array, bits: 32, format: 3 },
  float64: { array: Float64Array, bits: 64, format: 3 },
} as const;

const SHORT = 3;
const LONG = 4;
const ASCII = 2;
const DOUBLE = 12;

interface Entry {
  tag: number;
  type: number;
  values: number[] | string;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function gdalMetadataXml(metadata: Record<string, string>, bandNames: string[] = []): string | undefined {
  const items = [
    ...Object.entries(metadata).map(([key, value]) => `  <Item name="${escapeXml(key)}">${escapeXml(value)}</Item>`),
    ...bandNames.map(
      (name, band) => `  <Item name="DESCRIPTION" sample="${band}" role="description">${escapeXml(name)}</Item>`,
    ),
  ];
  return items.length === 0 ? undefined : `<GDALMetadata>\n${items.join('\n')}\n</GDALMetadata>\n`;
}

/** Horizontal differencing (predictor 2) of one tile, in place, per sample with stride `samples`. */
function predictIntegers(tile: TypedArray, tileSize: number, samples: number): void {
  const rowLength = tileSize * samples;
  for (let row = 0; row < tileSize; row++) {
    const start = row * rowLength;
    for (let i = rowLength - 1; i >= samples; i--) tile[start + i] = tile[start + i]! - tile[start + i - samples]!;
  }
}

/** Floating-point predictor (TIFF Technical Note 3): bytes of each row split into planes, MSB first, then differenced. */
function predictFloats(bytes: Uint8Array, tileSize: number, samples: number, bytesPerSample: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const values = tileSize * samples;
  const rowBytes = values * bytesPerSample;
  for (let row = 0; row < tileSize; row++) {
    const base = row * rowBytes;
    for (let value = 0; value < values; value++) {
      for (let byte = 0; byte < bytesPerSample; byte++) {
        // Little-endian input: byte `byte` of a value goes to plane bytesPerSample − 1 − byte (MSB plane first).
        out[base + (bytesPerSample - 1 - byte) * values + value] = bytes[base + value * bytesPerSample + byte]!;
      }
    }
    for (let i = rowBytes - 1; i >= samples; i--) out[base + i] = (out[base + i]! - out[base + i - samples]!) & 0xff;
  }
  return out;
}

function encodeTiles(
  bands: TypedArray[],
  width: number,
  height: number,
  tileSize: number,
  dataType: DataType,
  fill: number,
): Uint8Array[] {
  const { array: Typed, bits, format } = TYPES[dataType];
  const samples = bands.length;
  const bytesPerSample = bits / 8;
  const tiles: Uint8Array[] = [];
  for (let ty = 0; ty < Math.ceil(height / tileSize); ty++) {
    for (let tx = 0; tx < Math.ceil(width / tileSize); tx++) {
      const tile = new Typed(tileSize * tileSize * samples);
      if (fill !== 0) tile.fill(fill);
      for (let y = 0; y < tileSize && ty * tileSize + y < height; y++) {
        const row = ty * tileSize + y;
        for (let x = 0; x < tileSize && tx * tileSize + x < width; x++) {
          const source = row * width + tx * tileSize + x;
          for (let s = 0; s < samples; s++) tile[(y * tileSize + x) * samples + s] = bands[s]![source]!;
        }
      }
      let bytes: Uint8Array;
      if (format === 3) {
        bytes = predictFloats(new Uint8Array(tile.buffer), tileSize, samples, bytesPerSample);
      } else {
        predictIntegers(tile, tileSize, samples);
        bytes = new Uint8Array(tile.buffer);
      }
      tiles.push(deflateSync(bytes, { level: 6 }));
    }
  }
  return tiles;
}

function geoKeys(epsg: number): number[] {
  const geographic = epsg === 4326;
  // GeoKeyDirectory header: version 1, revision 1.0, number of keys; then (key, location 0, count 1, value).
  const keys = [
    [1024, 0, 1, geographic ? 2 : 1], // GTModelTypeGeoKey: projected or geographic
    [1025, 0, 1, 1], // GTRasterTypeGeoKey: PixelIsArea
    geographic ? [2048, 0, 1, epsg] : [3072, 0, 1, epsg], // GeographicTypeGeoKey / ProjectedCSTypeGeoKey
  ];
  return [1, 1, 0, keys.length, ...keys.flat()];
}

function nodataText(nodata: number): string {
  return Number.isNaN(nodata) ? 'nan' : String(nodata);
}

export function encodeCog(input: CogInput): Uint8Array {
  const tileSize = input.tileSize ?? 512;
  const { array: Typed, bits, format } = TYPES[input.dataType];
  const samples = input.bands.length;
  if (samples === 0) throw new RangeError('encodeCog: no bands');
  for (const band of input.bands) {
    if (!(band instanceof Typed) || band.length !== input.width * input.height) {
      throw new RangeError(`encodeCog: every band must be a ${Typed.name} of ${input.width}×${input.height}`);
    }
  }
  const [originX, pixelWidth, rotationX, originY, rotationY, pixelHeight] = input.transform;
  if (rotationX !== 0 || rotationY !== 0 || pixelHeight >= 0)
    throw new RangeError('encodeCog: only north-up grids are written');
  const fill = input.nodata ?? 0;
  const levels = overviewLevels(
    {
      width: input.width,
      height: input.height,
      bands: input.bands as unknown as Array<{ length: number; [i: number]: number }>,
    },
    tileSize,
    input.resampling,
    input.nodata,
    (length) => new Typed(length) as unknown as { length: number; [i: number]: number },
  );
  const encoded = levels.map((level) =>
    encodeTiles(level.bands as unknown as TypedArray[], level.width, level.height, tileSize, input.dataType, fill),
  );

  const metadata = gdalMetadataXml(input.metadata ?? {}, input.bandNames ?? []);
  const ifds: Entry[][] = levels.map((level, index) => {
    const entries: Entry[] = [
      { tag: 254, type: LONG, values: [index === 0 ? 0 : 1] },
      { tag: 256, type: LONG, values: [level.width] },
      { tag: 257, type: LONG, values: [level.height] },
      { tag: 258, type: SHORT, values: Array(samples).fill(bits) },
      { tag: 259, type: SHORT, values: [8] },
      { tag: 262, type: SHORT, values: [1] },
      { tag: 277, type: SHORT, values: [samples] },
      { tag: 284, type: SHORT, values: [1] },
      { tag: 317, type: SHORT, values: [format === 3 ? 3 : 2] },
      { tag: 322, type: SHORT, values: [tileSize] },
      { tag: 323, type: SHORT, values: [tileSize] },
      { tag: 324, type: LONG, values: encoded[index]!.map(() => 0) },
      { tag: 325, type: LONG, values: encoded[index]!.map((tile) => tile.length) },
      { tag: 339, type: SHORT, values: Array(samples).fill(format) },
    ];
    if (samples > 1) entries.push({ tag: 338, type: SHORT, values: Array(samples - 1).fill(0) });
    if (index === 0) {
      entries.push(
        { tag: 33550, type: DOUBLE, values: [pixelWidth, -pixelHeight, 0] },
        { tag: 33922, type: DOUBLE, values: [0, 0, 0, originX, originY, 0] },
        { tag: 34735, type: SHORT, values: geoKeys(input.epsg) },
      );
      if (metadata) entries.push({ tag: 42112, type: ASCII, values: metadata });
    }
    if (input.nodata !== undefined) entries.push({ tag: 42113, type: ASCII, values: nodataText(input.nodata) });
    return entries.sort((a, b) => a.tag - b.tag);
  });

  // Layout: header, IFDs, their out-of-line values, then tile data from the smallest overview to level 0.
  const valueBytes = (entry: Entry) =>
    typeof entry.values === 'string'
      ? entry.values.length + 1
      : entry.values.length * (entry.type === SHORT ? 2 : entry.type === LONG ? 4 : 8);
  let offset = 8;
  const ifdOffsets = ifds.map((entries) => {
    const at = offset;
    offset += 2 + entries.length * 12 + 4;
    return at;
  });
  const outOfLine = new Map<Entry, number>();
  for (const entries of ifds) {
    for (const entry of entries) {
      const size = valueBytes(entry);
      if (size <= 4) continue;
      offset += offset % 2;
      outOfLine.set(entry, offset);
      offset += size;
    }
  }
  for (let index = levels.length - 1; index >= 0; index--) {
    const offsets = ifds[index]!.find((entry) => entry.tag === 324)!.values as number[];
    encoded[index]!.forEach((tile, t) => {
      offsets[t] = offset;
      offset += tile.length;
    });
  }
  if (offset > 0xffffffff)
    throw new RangeError('encodeCog: over 4 GiB needs BigTIFF, which this writer does not write');

  const file = new Uint8Array(offset);
  const view = new DataView(file.buffer);
  file.set([0x49, 0x49], 0);
  view.setUint16(2, 42, true);
  view.setUint32(4, ifdOffsets[0]!, true);
  const writeValues = (at: number, entry: Entry) => {
    if (typeof entry.values === 'string') {
      for (let i = 0; i < entry.values.length; i++) file[at + i] = entry.values.charCodeAt(i) & 0xff;
      return;
    }
    entry.values.forEach((value, i) => {
      if (entry.type === SHORT) view.setUint16(at + i * 2, value, true);
      else if (entry.type === LONG) view.setUint32(at + i * 4, value, true);
      else view.setFloat64(at + i * 8, value, true);
    });
  };
  ifds.forEach((entries, index) => {
    let at = ifdOffsets[index]!;
    view.setUint16(at, entries.length, true);
    at += 2;
    for (const entry of entries) {
      const count = typeof entry.values === 'string' ? entry.values.length + 1 : entry.values.length;
      view.setUint16(at, entry.tag, true);
      view.setUint16(at + 2, entry.type, true);
      view.setUint32(at + 4, count, true);
      const outside = outOfLine.get(entry);
      if (outside === undefined) writeValues(at + 8, entry);
      else {
        view.setUint32(at + 8, outside, true);
        writeValues(outside, entry);
      }
      at += 12;
    }
    view.setUint32(at, index + 1 < ifds.length ? ifdOffsets[index + 1]! : 0, true);
  });
  levels.forEach((_, index) => {
    const offsets = ifds[index]!.find((entry) => entry.tag === 324)!.values as number[];
    encoded[index]!.forEach((tile, t) => file.set(tile, offsets[t]!));
  });
  return file;
}
