import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TypedArray } from 'geotiff';
import { halve, overviewSizes, type OverviewResampling } from '../../workers/overview.js';
import type { GeoTransform } from '../../workers/grid.js';
import { ChangewatchError } from '../errors.js';
import type { DataType } from './cog.reader.js';
import { encodeTile, sampleBits, SAMPLE_FORMATS, type TileEncoder } from '../../workers/cog.tile.js';
import { TYPED_ARRAYS } from '../../workers/tile.window.js';

/**
 * A small Cloud-Optimized GeoTIFF writer (no JavaScript library writes COGs): classic little-endian TIFF, 512×512
 * tiles, DEFLATE with predictor 2 for integers and 3 for floats (TIFF Technical Note 3), internal overviews, the
 * IFDs first (main, then overviews by decreasing size) and the tile data after them from the smallest overview to
 * the full resolution, GeoKeys with the EPSG code, GDAL_NODATA, and GDAL_METADATA for band names and metadata —
 * the layout GDAL's validate_cloud_optimized_geotiff checks.
 *
 * Streamed: blocks arrive in any order; each tile is compressed as soon as it is whole and goes to a scratch file
 * of its level, and halved into its parent overview tile, which is compressed in turn when all its children have
 * arrived. Memory holds only the tiles still being filled (about one row of tiles per level when blocks arrive
 * row by row), whatever the raster's size; `finish` lays the scratch tiles out in the COG order.
 *
 * With a {@link TileEncoder} (the run's worker pool) a whole tile is compressed there while blocks go on arriving:
 * `drain` bounds how many are out, and the file is the same byte for byte (tiles are laid out by their place, not
 * by when they came back).
 */

export interface CogOptions {
  width: number;
  height: number;
  /** Samples per pixel (pixel-interleaved). Default 1. */
  samples?: number;
  /** 'rgb' for three samples shown as a colour picture (PhotometricInterpretation 2); else each band is grey. */
  photometric?: 'rgb';
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

/** A raster written whole from arrays: one array per band, row-major, all of `dataType`. */
export interface CogInput extends Omit<CogOptions, 'samples'> {
  bands: TypedArray[];
}

/** A finished file: where it is, its size and its SHA-256 (hex), computed while it was written. */
export interface WrittenFile {
  path: string;
  size: number;
  sha256: string;
}

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

/** A rectangle of a tile, in the tile's own pixels, end-exclusive. */
interface TileArea {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A rectangle written into a tile not yet whole: its pixels, row-major, one array per sample. */
interface TilePiece extends TileArea {
  bands: TypedArray[];
}

/**
 * A tile written in part. Its pieces are kept as they came, and the tile's own arrays made once it is whole: a row of
 * overview tiles waits half filled for the next row of blocks, and whole arrays (with a map of the pixels written)
 * made the 139 MiB of tiles pending at Kahuzi-Biega's peak.
 */
interface PendingTile {
  /** A pixel written twice is a caller's bug that would corrupt the file: pieces never overlap. */
  pieces: TilePiece[];
  /** Pixels written so far, against the tile's pixels inside the raster. */
  filled: number;
  expected: number;
}

interface LevelState {
  width: number;
  height: number;
  across: number;
  down: number;
  pending: Map<number, PendingTile>;
  /** Scratch file of this level's compressed tiles, in arrival order. */
  fd: number;
  path: string;
  written: number;
  /** 1 once a tile is whole (its compressed bytes may still be on their way to the scratch file). */
  complete: Uint8Array;
  offsets: Float64Array;
  lengths: Float64Array;
}

/**
 * Arrays kept for reuse, per length (whole tiles, interleaved tiles, half tiles: see `recycle`): enough for the tiles of
 * a block on their way to the pool and back.
 */
const SPARE_TILES = 8;

/** Bytes are copied to the final file in chunks of this size. */
const COPY_CHUNK = 4 * 1024 * 1024;

/** Where the header's parts go: each IFD, each value too long to sit in its entry, and the header's length. */
interface HeaderLayout {
  ifdOffsets: number[];
  outOfLine: Map<Entry, number>;
  length: number;
}

/** Bytes of an entry's values: ASCII counts its NUL terminator. */
function valueBytes(entry: Entry): number {
  return typeof entry.values === 'string'
    ? entry.values.length + 1
    : entry.values.length * (entry.type === SHORT ? 2 : entry.type === LONG ? 4 : 8);
}

/** The IFDs one after the other from byte 8, then the values over 4 bytes, each at an even offset (TIFF 6.0). */
function layOutHeader(ifds: Entry[][]): HeaderLayout {
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
  return { ifdOffsets, outOfLine, length: offset };
}

function writeEntryValues(header: Uint8Array, view: DataView, at: number, entry: Entry): void {
  if (typeof entry.values === 'string') {
    for (let i = 0; i < entry.values.length; i++) header[at + i] = entry.values.charCodeAt(i) & 0xff;
    return;
  }
  for (let i = 0; i < entry.values.length; i++) {
    const value = entry.values[i]!;
    if (entry.type === SHORT) view.setUint16(at + i * 2, value, true);
    else if (entry.type === LONG) view.setUint32(at + i * 4, value, true);
    else view.setFloat64(at + i * 8, value, true);
  }
}

/** The header bytes: "II", 42, the first IFD's offset, then the IFDs chained by their next-IFD offsets. */
function encodeHeader(ifds: Entry[][], layout: HeaderLayout): Uint8Array {
  const { ifdOffsets, outOfLine } = layout;
  const header = new Uint8Array(layout.length);
  const view = new DataView(header.buffer);
  header.set([0x49, 0x49], 0);
  view.setUint16(2, 42, true);
  view.setUint32(4, ifdOffsets[0]!, true);
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
      if (outside === undefined) writeEntryValues(header, view, at + 8, entry);
      else {
        view.setUint32(at + 8, outside, true);
        writeEntryValues(header, view, outside, entry);
      }
      at += 12;
    }
    view.setUint32(at, index + 1 < ifds.length ? ifdOffsets[index + 1]! : 0, true);
  });
  return header;
}

/** errno codes of a full disk (ENOSPC) or a spent quota (EDQUOT): write(2), open(2) with O_CREAT, mkdir(2). */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/**
 * A full disk, said as the user can act on it: ENOSPC and EDQUOT become E_WRITE naming `folder` (Node's own message,
 * "ENOSPC: no space left on device, write", names no path); any other error is returned unchanged.
 */
export function noSpaceLeft(error: unknown, folder: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !NO_SPACE.has(code)) return error;
  return new ChangewatchError(
    'E_WRITE',
    `${folder}: no space left on the device: free space or point TMPDIR at a larger disk`,
    { cause: error },
  );
}

/**
 * Writes all of `bytes` at `position`: write(2) may write less than asked when the disk fills up part-way (the
 * next call then fails with ENOSPC), and a short count ignored would leave a hole in the file.
 */
function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const written = writeSync(fd, bytes, done, bytes.length - done, position + done);
    if (written === 0) throw new Error(`CogWriter: write at byte ${position + done} made no progress`);
    done += written;
  }
}

/** Runs a file-system call on a file in `folder`, a full disk reported by {@link noSpaceLeft}. */
function onDisk<T>(folder: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw noSpaceLeft(error, folder);
  }
}

/** Copies `width`×`height` values from (`fromX`, `fromY`) of a row-major array to (`toX`, `toY`) of another. */
function copyRect(
  source: ArrayLike<number>,
  sourceWidth: number,
  fromX: number,
  fromY: number,
  target: TypedArray,
  targetWidth: number,
  toX: number,
  toY: number,
  width: number,
  height: number,
): void {
  for (let y = 0; y < height; y++) {
    const from = (fromY + y) * sourceWidth + fromX;
    const to = (toY + y) * targetWidth + toX;
    for (let x = 0; x < width; x++) target[to + x] = source[from + x]!;
  }
}

export class CogWriter {
  private readonly tileSize: number;
  private readonly samples: number;
  private readonly fill: number;
  private readonly levels: LevelState[];
  private closed = false;
  /** `finish` has begun: no more blocks, and no second `finish`. */
  private finishing = false;
  /** Tiles being compressed by {@link encode}, and the first failure among them. */
  private readonly encoding = new Set<Promise<void>>();
  private failure: unknown;
  /**
   * Arrays of finished tiles, filled again for the next: allocating a megabyte per tile made most of a run's
   * garbage, and its peak memory followed how late the collector came.
   */
  private readonly spare = new Map<number, TypedArray[]>();
  /** Per level, each sample's tile halved for the parent level, which copies it at once. */
  private readonly halfScratch: TypedArray[][] = [];

  constructor(
    readonly path: string,
    private readonly options: CogOptions,
    /** Where whole tiles are compressed; default: here, as they complete. */
    private readonly encode?: TileEncoder,
  ) {
    this.tileSize = options.tileSize ?? 512;
    this.samples = options.samples ?? 1;
    this.fill = options.nodata ?? 0;
    const [, , rotationX, , rotationY, pixelHeight] = options.transform;
    if (rotationX !== 0 || rotationY !== 0 || pixelHeight >= 0)
      throw new RangeError('CogWriter: only north-up grids are written');
    if (this.samples < 1) throw new RangeError('CogWriter: no bands');
    if (options.photometric === 'rgb' && this.samples < 3) throw new RangeError('CogWriter: RGB needs 3 samples');
    if (this.tileSize % 16 !== 0) throw new RangeError('CogWriter: the tile size must be a multiple of 16 (TIFF)');
    this.levels = [];
    try {
      for (const [level, { width, height }] of overviewSizes(options.width, options.height, this.tileSize).entries()) {
        const across = Math.ceil(width / this.tileSize);
        const down = Math.ceil(height / this.tileSize);
        const scratch = `${path}.level${level}.part`;
        this.levels.push({
          width,
          height,
          across,
          down,
          pending: new Map(),
          fd: onDisk(this.folder, () => openSync(scratch, 'w+')),
          path: scratch,
          written: 0,
          complete: new Uint8Array(across * down),
          offsets: new Float64Array(across * down).fill(-1),
          lengths: new Float64Array(across * down),
        });
      }
    } catch (error) {
      this.discardScratch();
      throw error;
    }
  }

  /** The folder the COG and its scratch files are written to (the run's work folder, under TMPDIR). */
  get folder(): string {
    return dirname(this.path);
  }

  /** An array of `length` samples at the fill value (or as it comes, when it is all written over next). */
  private takeArray(length: number, filled = true): TypedArray {
    const reused = this.spare.get(length)?.pop();
    if (reused) return filled ? reused.fill(this.fill) : reused;
    const array = new TYPED_ARRAYS[this.options.dataType](length) as TypedArray;
    return this.fill === 0 || !filled ? array : array.fill(this.fill);
  }

  /**
   * Keeps an array for reuse if its length recurs: a whole tile's band, its samples interleaved, or a half tile (an
   * overview's piece). Pieces of blocks not aligned to the tiles come in lengths that seldom recur, and kept they
   * would pile up with the grid.
   */
  private recycle(array: TypedArray): void {
    const size = this.tileSize;
    const half = Math.ceil(size / 2);
    if (![size * size, size * size * this.samples, half * half].includes(array.length)) return;
    let spares = this.spare.get(array.length);
    if (!spares) this.spare.set(array.length, (spares = []));
    if (spares.length < SPARE_TILES) spares.push(array);
  }

  /** The part of tile `tx`, `ty` of `level` inside the raster (less than the tile at its right and bottom edges). */
  private tileExtent(level: LevelState, tx: number, ty: number): { width: number; height: number } {
    const width = Math.min(this.tileSize, level.width - tx * this.tileSize);
    const height = Math.min(this.tileSize, level.height - ty * this.tileSize);
    return { width, height };
  }

  /** Pixels of tile `tx`, `ty` of `level` inside the raster. */
  private tilePixels(level: LevelState, tx: number, ty: number): number {
    const { width, height } = this.tileExtent(level, tx, ty);
    return width * height;
  }

  /** A tile's arrays: its pieces copied in (their arrays then free), the fill value elsewhere. */
  private wholeTile(pieces: readonly TilePiece[]): TypedArray[] {
    const size = this.tileSize;
    const bands = Array.from({ length: this.samples }, () => this.takeArray(size * size));
    for (const piece of pieces) {
      const width = piece.x1 - piece.x0;
      piece.bands.forEach((values, s) => {
        copyRect(values, width, 0, 0, bands[s]!, size, piece.x0, piece.y0, width, piece.y1 - piece.y0);
        this.recycle(values);
      });
    }
    return bands;
  }

  /**
   * Writes a rectangle of level 0: `bands` are row-major `width`×`height` arrays, one per sample. Each pixel of the
   * raster must be written exactly once (pixels never written are filled with nodata by {@link finish}).
   */
  writeBlock(x0: number, y0: number, width: number, height: number, bands: readonly ArrayLike<number>[]): void {
    if (this.closed || this.finishing) throw new Error('CogWriter: already finished');
    if (bands.length !== this.samples)
      throw new RangeError(`CogWriter: ${bands.length} bands, expected ${this.samples}`);
    if (x0 < 0 || y0 < 0 || x0 + width > this.options.width || y0 + height > this.options.height)
      throw new RangeError(`CogWriter: block ${x0},${y0} ${width}×${height} is outside the raster`);
    for (const band of bands) {
      if (band.length !== width * height)
        throw new RangeError(`CogWriter: a band of ${band.length} for ${width}×${height}`);
    }
    // An empty block writes nothing (and would meet a piece's edge as an overlap).
    if (width > 0 && height > 0) this.place(0, x0, y0, width, height, bands);
  }

  private place(
    levelIndex: number,
    x0: number,
    y0: number,
    width: number,
    height: number,
    bands: readonly ArrayLike<number>[],
  ): void {
    const level = this.levels[levelIndex]!;
    const size = this.tileSize;
    for (let ty = Math.floor(y0 / size); ty * size < y0 + height; ty++) {
      for (let tx = Math.floor(x0 / size); tx * size < x0 + width; tx++) {
        const index = ty * level.across + tx;
        if (level.complete[index])
          throw new RangeError(`CogWriter: tile ${tx},${ty} of level ${levelIndex} written twice`);
        const left = Math.max(x0, tx * size);
        const right = Math.min(x0 + width, (tx + 1) * size);
        const top = Math.max(y0, ty * size);
        const bottom = Math.min(y0 + height, (ty + 1) * size);
        const area = { x0: left - tx * size, y0: top - ty * size, x1: right - tx * size, y1: bottom - ty * size };
        const pixels = (right - left) * (bottom - top);
        const tile = level.pending.get(index);
        if (!tile && pixels === this.tilePixels(level, tx, ty)) {
          // The whole tile at once (a block over it): straight into the tile's arrays.
          const whole = bands.map((values) => {
            const band = this.takeArray(size * size);
            copyRect(values, width, left - x0, top - y0, band, size, area.x0, area.y0, right - left, bottom - top);
            return band;
          });
          this.complete(levelIndex, tx, ty, whole);
          continue;
        }
        const pending = tile ?? { pieces: [], filled: 0, expected: this.tilePixels(level, tx, ty) };
        if (!tile) level.pending.set(index, pending);
        const overlap = pending.pieces.find(
          (other) => area.x0 < other.x1 && other.x0 < area.x1 && area.y0 < other.y1 && other.y0 < area.y1,
        );
        if (overlap) {
          const [x, y] = [tx * size + Math.max(area.x0, overlap.x0), ty * size + Math.max(area.y0, overlap.y0)];
          throw new RangeError(`CogWriter: pixel ${x},${y} of level ${levelIndex} written twice`);
        }
        const pieceBands = bands.map((values) => {
          const piece = this.takeArray(pixels, false);
          copyRect(values, width, left - x0, top - y0, piece, right - left, 0, 0, right - left, bottom - top);
          return piece;
        });
        pending.pieces.push({ ...area, bands: pieceBands });
        pending.filled += pixels;
        if (pending.filled === pending.expected) {
          level.pending.delete(index);
          this.complete(levelIndex, tx, ty, this.wholeTile(pending.pieces));
        }
      }
    }
  }

  private complete(levelIndex: number, tx: number, ty: number, bands: TypedArray[]): void {
    const level = this.levels[levelIndex]!;
    const size = this.tileSize;
    const { width, height } = this.tileExtent(level, tx, ty);
    const halves = this.levels[levelIndex + 1] ? this.halve(levelIndex, bands, width, height) : undefined;
    const interleaved = this.interleave(bands);
    const index = ty * level.across + tx;
    level.complete[index] = 1;
    if (this.encode) this.encodeAside(level, index, interleaved);
    else {
      this.store(level, index, encodeTile(interleaved, size, this.samples, this.options.dataType));
      this.recycle(interleaved);
    }
    if (halves) {
      this.place(levelIndex + 1, (tx * size) / 2, (ty * size) / 2, Math.ceil(width / 2), Math.ceil(height / 2), halves);
    }
  }

  /**
   * Each band of a tile halved for the parent level, into this level's scratch (the parent tile copies it before
   * the level completes another). Only the tile's pixels inside the raster take part: the padding must not enter an
   * average.
   */
  private halve(levelIndex: number, bands: TypedArray[], width: number, height: number): TypedArray[] {
    const half = Math.ceil(this.tileSize / 2);
    const scratch = (this.halfScratch[levelIndex] ??= bands.map(
      () => new TYPED_ARRAYS[this.options.dataType](half * half) as TypedArray,
    ));
    type Values = { length: number; [i: number]: number };
    return bands.map((band, sample) => {
      const into = (length: number) => scratch[sample]!.subarray(0, length) as unknown as Values;
      const { resampling, nodata } = this.options;
      return halve(band as unknown as Values, width, height, resampling, nodata, into, this.tileSize)
        .data as unknown as TypedArray;
    });
  }

  /** The bands' samples side by side, as a tile is stored (the bands' arrays are then free). */
  private interleave(bands: TypedArray[]): TypedArray {
    if (this.samples === 1) return bands[0]!;
    const size = this.tileSize;
    const interleaved = this.takeArray(size * size * this.samples, false);
    for (let s = 0; s < this.samples; s++) {
      const band = bands[s]!;
      for (let i = 0; i < size * size; i++) interleaved[i * this.samples + s] = band[i]!;
      this.recycle(band);
    }
    return interleaved;
  }

  /** A compressed tile to its level's scratch file. */
  private store(level: LevelState, index: number, encoded: Uint8Array): void {
    onDisk(this.folder, () => writeAll(level.fd, encoded, level.written));
    level.offsets[index] = level.written;
    level.lengths[index] = encoded.length;
    level.written += encoded.length;
  }

  private encodeAside(level: LevelState, index: number, tile: TypedArray): void {
    const job: Promise<void> = this.encode!(tile, this.tileSize, this.samples, this.options.dataType)
      .then(({ bytes, tile: returned }) => {
        // An aborted writer has closed its scratch files: their descriptors may already belong to other files.
        if (this.closed) return;
        this.store(level, index, bytes);
        this.recycle(returned);
      })
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.encoding.delete(job));
    this.encoding.add(job);
  }

  /**
   * Resolves once at most `limit` tiles are being compressed elsewhere. After a compression failed, waits for every
   * one still out to settle, then throws that failure: nothing is left running in the pool for a caller that then
   * aborts the writer or closes the pool.
   */
  async drain(limit = 0): Promise<void> {
    while (this.encoding.size > limit && this.failure === undefined) await Promise.race(this.encoding);
    if (this.failure === undefined) return;
    await Promise.all(this.encoding);
    throw this.failure;
  }

  /** Fills what was never written with nodata, lays the file out in the COG order and removes the scratch files. */
  async finish(): Promise<WrittenFile> {
    if (this.closed || this.finishing) throw new Error('CogWriter: already finished');
    this.finishing = true;
    try {
      const level0 = this.levels[0]!;
      for (let index = 0; index < level0.offsets.length; index++) {
        if (level0.complete[index]) continue;
        const tx = index % level0.across;
        const ty = Math.floor(index / level0.across);
        const pieces = level0.pending.get(index)?.pieces ?? [];
        level0.pending.delete(index);
        this.complete(0, tx, ty, this.wholeTile(pieces));
        // A raster written in part leaves many tiles to fill: they go out a few at a time, as blocks' tiles do.
        await this.drain(2);
      }
      await this.drain();
      // Aborted meanwhile: the scratch files are closed, and their descriptors may be another file's by now.
      if (this.closed) throw new Error('CogWriter: aborted while finishing');
      return this.assemble();
    } finally {
      if (!this.closed) this.discardScratch();
    }
  }

  /** Removes the scratch files without writing the COG (a run that failed). */
  abort(): void {
    if (!this.closed) this.discardScratch();
    rmSync(this.path, { force: true });
  }

  private discardScratch(): void {
    this.closed = true;
    this.spare.clear();
    this.halfScratch.length = 0;
    for (const level of this.levels) {
      closeSync(level.fd);
      rmSync(level.path, { force: true });
    }
  }

  private assemble(): WrittenFile {
    const metadata = gdalMetadataXml(this.options.metadata ?? {}, this.options.bandNames ?? []);
    const ifds = this.levels.map((level, index) => this.levelIfd(level, index, metadata));
    // Layout: header, IFDs, their out-of-line values, then tile data from the smallest overview to level 0.
    const layout = layOutHeader(ifds);
    const size = this.placeTileData(ifds, layout.length);
    if (size > 0xffffffff)
      throw new RangeError('CogWriter: over 4 GiB needs BigTIFF, which this writer does not write');
    const sha256 = this.writeFile(encodeHeader(ifds, layout), size);
    return { path: this.path, size, sha256 };
  }

  /** The IFD of one level, sorted by tag; tile offsets are zeros until {@link placeTileData} knows them. */
  private levelIfd(level: LevelState, index: number, metadata: string | undefined): Entry[] {
    const bits = sampleBits(this.options.dataType);
    const format = SAMPLE_FORMATS[this.options.dataType];
    const { options, samples, tileSize } = this;
    const rgb = options.photometric === 'rgb';
    const entries: Entry[] = [
      { tag: 254, type: LONG, values: [index === 0 ? 0 : 1] },
      { tag: 256, type: LONG, values: [level.width] },
      { tag: 257, type: LONG, values: [level.height] },
      { tag: 258, type: SHORT, values: Array<number>(samples).fill(bits) },
      { tag: 259, type: SHORT, values: [8] },
      { tag: 262, type: SHORT, values: [rgb ? 2 : 1] },
      { tag: 277, type: SHORT, values: [samples] },
      { tag: 284, type: SHORT, values: [1] },
      { tag: 317, type: SHORT, values: [format === 3 ? 3 : 2] },
      { tag: 322, type: SHORT, values: [tileSize] },
      { tag: 323, type: SHORT, values: [tileSize] },
      { tag: 324, type: LONG, values: Array<number>(level.offsets.length).fill(0) },
      { tag: 325, type: LONG, values: Array.from(level.lengths) },
      { tag: 339, type: SHORT, values: Array<number>(samples).fill(format) },
    ];
    // Samples past the colour ones are extra (unspecified data), as TIFF 6.0 requires them declared.
    const extra = samples - (rgb ? 3 : 1);
    if (extra > 0) entries.push({ tag: 338, type: SHORT, values: Array<number>(extra).fill(0) });
    // Georeferencing and metadata describe the dataset once, on the full-resolution IFD GDAL reads them from.
    if (index === 0) {
      const [originX, pixelWidth, , originY, , pixelHeight] = options.transform;
      entries.push(
        { tag: 33550, type: DOUBLE, values: [pixelWidth, -pixelHeight, 0] },
        { tag: 33922, type: DOUBLE, values: [0, 0, 0, originX, originY, 0] },
        { tag: 34735, type: SHORT, values: geoKeys(options.epsg) },
      );
      if (metadata) entries.push({ tag: 42112, type: ASCII, values: metadata });
    }
    if (options.nodata !== undefined) entries.push({ tag: 42113, type: ASCII, values: nodataText(options.nodata) });
    return entries.sort((a, b) => a.tag - b.tag);
  }

  /**
   * Writes each tile's final offset into its IFD's TileOffsets, smallest overview first (the COG order), from
   * `start` on; returns the file's size.
   */
  private placeTileData(ifds: Entry[][], start: number): number {
    let offset = start;
    for (let index = this.levels.length - 1; index >= 0; index--) {
      const offsets = ifds[index]!.find((entry) => entry.tag === 324)!.values as number[];
      const lengths = this.levels[index]!.lengths;
      for (let t = 0; t < offsets.length; t++) {
        offsets[t] = offset;
        offset += lengths[t]!;
      }
    }
    return offset;
  }

  /** Writes the header, then the tile data, to `path`; returns the SHA-256 (hex) of what was written. */
  private writeFile(header: Uint8Array, size: number): string {
    const hash = createHash('sha256');
    const out = onDisk(this.folder, () => openSync(this.path, 'w'));
    try {
      let position = 0;
      const emit = (bytes: Uint8Array) => {
        hash.update(bytes);
        onDisk(this.folder, () => writeAll(out, bytes, position));
        position += bytes.length;
      };
      emit(header);
      this.copyTileData(emit);
      if (position !== size) throw new Error(`CogWriter: wrote ${position} bytes, laid out ${size}`);
    } finally {
      closeSync(out);
    }
    return hash.digest('hex');
  }

  /**
   * Copies the scratch tiles in the COG order, gathered into {@link COPY_CHUNK}-sized writes: one write per tile
   * would cost a system call (and a hash update) per tile.
   */
  private copyTileData(emit: (bytes: Uint8Array) => void): void {
    const chunk = Buffer.allocUnsafe(COPY_CHUNK);
    let used = 0;
    for (let index = this.levels.length - 1; index >= 0; index--) {
      const level = this.levels[index]!;
      for (let t = 0; t < level.offsets.length; t++) {
        const length = level.lengths[t]!;
        if (used + length > COPY_CHUNK) {
          emit(chunk.subarray(0, used));
          used = 0;
        }
        if (length > COPY_CHUNK) {
          const big = Buffer.allocUnsafe(length);
          readSync(level.fd, big, 0, length, level.offsets[t]!);
          emit(big);
          continue;
        }
        readSync(level.fd, chunk, used, length, level.offsets[t]!);
        used += length;
      }
    }
    emit(chunk.subarray(0, used));
  }
}

/** Writes whole arrays as a COG at `path` (small rasters and tests): the same streamed writer, fed tile by tile. */
export async function writeCog(path: string, input: CogInput): Promise<WrittenFile> {
  const { bands, ...options } = input;
  const Typed = TYPED_ARRAYS[input.dataType];
  for (const band of bands) {
    if (!(band instanceof Typed) || band.length !== input.width * input.height) {
      throw new RangeError(`writeCog: every band must be a ${Typed.name} of ${input.width}×${input.height}`);
    }
  }
  const writer = new CogWriter(path, { ...options, samples: bands.length });
  try {
    const size = input.tileSize ?? 512;
    for (let y0 = 0; y0 < input.height; y0 += size) {
      const height = Math.min(size, input.height - y0);
      const rows = bands.map((band) => band.subarray(y0 * input.width, (y0 + height) * input.width));
      writer.writeBlock(0, y0, input.width, height, rows);
    }
    return await writer.finish();
  } catch (error) {
    writer.abort();
    throw error;
  }
}
