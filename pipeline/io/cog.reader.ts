import { addDecoder, BaseDecoder, GeoTIFF, type GeoTIFFImage, type ImageFileDirectory, type TypedArray } from 'geotiff';
import { ChangewatchError, redactUrl } from '../errors.js';
import type { ByteSource, ReadStats } from '../ports.js';
import type { PixelWindow } from '../../workers/grid.js';
import type { PredictorLayout } from '../../workers/predictor.js';
import {
  decodeTile,
  decodeTilesShared,
  decompressTile,
  TILE_COMPRESSIONS,
  type TileCoding,
} from '../../workers/tile.decode.js';
import { assembleWindow, type DataType, type TiledWindow, type WindowTile } from '../../workers/tile.window.js';

export type { DataType } from '../../workers/tile.window.js';

/**
 * Reads windows of (Cloud-Optimized) GeoTIFFs through a {@link ByteSource} with geotiff.js: the header once,
 * then only the tiles a window needs, adjacent tiles coalesced into one request, every request counted.
 */

/** The bytes as an ArrayBuffer of their own: the backing buffer itself when they fill it, else a copy. */
function ownBuffer(bytes: Uint8Array): ArrayBufferLike {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer
    : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/** What geotiff.js hands a decoder about its blocks, plus the file's byte order (added by {@link blockParameters}). */
interface BlockParameters {
  tileWidth: number;
  tileHeight: number;
  predictor: number;
  bitsPerSample: number | ArrayLike<number>;
  planarConfiguration: number;
  /** TIFF header byte order; absent: little-endian (geotiff.js's own parameters leave it out). */
  littleEndian?: boolean;
}

/** The bytes of one whole decoded block, and the predictor's view of its rows. */
function blockLayout(parameters: BlockParameters): { bytes: number; layout: PredictorLayout; predictor: number } {
  const { tileWidth, tileHeight, bitsPerSample, planarConfiguration } = parameters;
  const bits = typeof bitsPerSample === 'number' ? [bitsPerSample] : Array.from(bitsPerSample, Number);
  const planar = Number(planarConfiguration) === 2;
  const samples = planar ? 1 : bits.length;
  const pixelBits = planar ? bits[0]! : bits.reduce((a, b) => a + b, 0);
  const predictor = Number(parameters.predictor ?? 1);
  if (predictor !== 1 && bits.some((b) => b % 8 !== 0 || b !== bits[0])) {
    throw new Error(`predictor ${predictor} needs whole bytes per sample, all of one size (bits per sample: ${bits})`);
  }
  if (predictor !== 1 && predictor !== 2 && predictor !== 3) throw new Error(`unknown predictor ${predictor}`);
  return {
    bytes: Math.ceil((tileWidth * tileHeight * pixelBits) / 8),
    layout: { width: tileWidth, samples, bytesPerSample: bits[0]! / 8, littleEndian: parameters.littleEndian ?? true },
    predictor,
  };
}

/**
 * A TIFF block decoder for geotiff.js (used where readRasters does the work): workers/tile.decode.ts, the tiles'
 * own decoder, instead of geotiff.js's BaseDecoder.decode (a function call per row, a row copy for predictor 3)
 * and its pure-JavaScript pako and LZW. One scratch row is kept for predictor 3.
 */
abstract class TiffBlockDecoder extends BaseDecoder {
  /** TIFF Compression of the blocks. */
  protected abstract readonly compression: number;
  private readonly block = blockLayout(this.parameters as unknown as BlockParameters);
  private scratch: Uint8Array | undefined;

  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    return ownBuffer(decompressTile(new Uint8Array(buffer), this.compression, this.block.bytes));
  }

  override decode(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
    const { data, scratch } = decodeTile(new Uint8Array(buffer), this.coding, this.scratch);
    this.scratch = scratch;
    return Promise.resolve(ownBuffer(data));
  }

  private get coding(): TileCoding {
    return { compression: this.compression, ...this.block };
  }
}

/**
 * DEFLATE (TIFF compression 8 and the old 32946): libdeflate when native/inflate is built, else node:zlib
 * (workers/tile.decode.ts).
 */
class ZlibDeflateDecoder extends TiffBlockDecoder {
  protected override readonly compression = 8;
}

/**
 * LZW (TIFF compression 5): native/inflate's decoder when built, else changewatch's typed-array one; geotiff.js's
 * allocates per table entry.
 */
class TypedLzwDecoder extends TiffBlockDecoder {
  protected override readonly compression = 5;
}

/**
 * The byte order of the file each IFD came from: geotiff.js gives a decoder's parameter function only the IFD,
 * which does not know it. Filled by RasterReader.open for every image; an IFD it has not seen is little-endian.
 */
const BYTE_ORDER = new WeakMap<ImageFileDirectory, boolean>();

/** geotiff.js's default decoder parameters (compression/index.js), plus the file's byte order. */
async function blockParameters(directory: ImageFileDirectory): Promise<BlockParameters> {
  const tiled = !directory.hasTag('StripOffsets');
  return {
    tileWidth: Number(await directory.loadValue(tiled ? 'TileWidth' : 'ImageWidth')),
    tileHeight: Number(
      tiled
        ? await directory.loadValue('TileLength')
        : (await directory.loadValue('RowsPerStrip')) || (await directory.loadValue('ImageLength')),
    ),
    planarConfiguration: Number((await directory.loadValue('PlanarConfiguration')) ?? 1),
    bitsPerSample: (await directory.loadValue('BitsPerSample')) as number | ArrayLike<number>,
    predictor: Number((await directory.loadValue('Predictor')) ?? 1),
    littleEndian: BYTE_ORDER.get(directory) ?? true,
  };
}

let decodersRegistered = false;
/** Registers changewatch's DEFLATE and LZW decoders (workers/tile.decode.ts) with geotiff.js (idempotent). */
export function useFastDecoders(): void {
  if (decodersRegistered) return;
  const parameters = blockParameters as never;
  addDecoder([8, 32946], () => Promise.resolve(ZlibDeflateDecoder as unknown as typeof BaseDecoder), parameters, false);
  addDecoder(5, () => Promise.resolve(TypedLzwDecoder as unknown as typeof BaseDecoder), parameters, false);
  decodersRegistered = true;
}

/** Bytes fetched with the first request: a COG keeps its IFDs and tile indexes there (GDAL ingests 16 KiB). */
export const DEFAULT_HEADER_BYTES = 64 * 1024;
/**
 * Ranges closer than this are read as one request. GDAL's COGs put a 4-byte leader before each tile, so
 * "adjacent" tiles are never quite contiguous; a few KiB read in vain cost far less than another round trip.
 */
export const DEFAULT_GAP_BYTES = 8 * 1024;

interface Slice {
  offset: number;
  length: number;
}

interface Pending extends Slice {
  resolve: (data: ArrayBuffer) => void;
  reject: (error: unknown) => void;
}

/** Bytes read ahead of geotiff.js's asks: the header block, and a block at each IFD the header block lacks. */
interface Block {
  offset: number;
  data: Uint8Array;
  /** The read asked for more than there was: the block runs to the end of the file. */
  atEnd: boolean;
}

/** Byte order and offset size of a TIFF (TIFF 6.0 §2 header; BigTIFF: magic 43, 8-byte offsets). */
interface TiffLayout {
  littleEndian: boolean;
  bigTiff: boolean;
}

/** The layout and first IFD offset from a TIFF header, or undefined when the bytes are not one. */
function tiffHeader(data: Uint8Array): { layout: TiffLayout; firstIfd: number } | undefined {
  if (data.length < 8) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const order = view.getUint16(0, false);
  if (order !== 0x4949 && order !== 0x4d4d) return undefined;
  const littleEndian = order === 0x4949;
  const magic = view.getUint16(2, littleEndian);
  if (magic === 42) return { layout: { littleEndian, bigTiff: false }, firstIfd: view.getUint32(4, littleEndian) };
  if (magic === 43 && data.length >= 16) {
    return { layout: { littleEndian, bigTiff: true }, firstIfd: Number(view.getBigUint64(8, littleEndian)) };
  }
  return undefined;
}

/**
 * Where an IFD held by `block` ends and where the next one starts (0: none), or undefined when the block does not
 * hold the whole IFD. Classic TIFF: 2-byte count, 12-byte entries, 4-byte next offset; BigTIFF: 8, 20, 8.
 */
function ifdExtent(block: Block, offset: number, layout: TiffLayout): { end: number; next: number } | undefined {
  const at = offset - block.offset;
  const countSize = layout.bigTiff ? 8 : 2;
  if (at < 0 || at + countSize > block.data.length) return undefined;
  const view = new DataView(block.data.buffer, block.data.byteOffset, block.data.byteLength);
  const count = layout.bigTiff
    ? Number(view.getBigUint64(at, layout.littleEndian))
    : view.getUint16(at, layout.littleEndian);
  const nextAt = at + countSize + count * (layout.bigTiff ? 20 : 12);
  const nextSize = layout.bigTiff ? 8 : 4;
  if (nextAt + nextSize > block.data.length) return undefined;
  const next = layout.bigTiff
    ? Number(view.getBigUint64(nextAt, layout.littleEndian))
    : view.getUint32(nextAt, layout.littleEndian);
  return { end: block.offset + nextAt + nextSize, next };
}

/**
 * The geotiff.js source contract (`fetch(slices, signal)`) over a ByteSource: serves the header and the IFDs from
 * blocks read ahead, batches the slices asked for in the same turn of the event loop, merges those that touch (or
 * lie within `gapBytes` of each other) into one range request, and counts requests and bytes.
 *
 * IFDs are found where the file puts them: a COG keeps them in the header block (one request), but a GeoTIFF edited
 * in place (`gdal_edit.py`, libtiff rewriting a grown directory) has its first IFD at the end of the file, and
 * overviews added later have theirs after the image data. geotiff.js probes each IFD with a fixed-size read that
 * runs past the end of the file there; the IFD offsets are followed here, from the header and each IFD's next
 * offset, and an IFD outside the blocks read so far gets one block of its own, short when it reaches the end.
 */
export class CoalescingSource {
  readonly stats: ReadStats = { requests: 0, bytes: 0 };
  private header: Promise<void> | undefined;
  private readonly blocks: Block[] = [];
  private layout: TiffLayout | undefined;
  /** IFD offsets known from the header and the IFDs read so far, with the read that brings each in. */
  private readonly ifds = new Map<number, Promise<void> | undefined>();
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly source: ByteSource,
    private readonly options: { headerBytes?: number; gapBytes?: number } = {},
  ) {}

  get fileSize(): number | null {
    return this.source.size ?? null;
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }

  private get blockBytes(): number {
    return this.options.headerBytes ?? DEFAULT_HEADER_BYTES;
  }

  private readHeader(signal?: AbortSignal): Promise<void> {
    this.header ??= this.readBlock(0, signal).then(
      (block) => {
        const header = tiffHeader(block.data);
        if (!header) return;
        this.layout = header.layout;
        if (header.firstIfd !== 0) this.ifds.set(header.firstIfd, undefined);
      },
      (error: unknown) => {
        this.header = undefined;
        throw error;
      },
    );
    return this.header;
  }

  private async readBlock(offset: number, signal?: AbortSignal): Promise<Block> {
    const data = await this.request(offset, this.blockBytes, signal);
    const block = { offset, data, atEnd: data.length < this.blockBytes };
    this.blocks.push(block);
    return block;
  }

  /** The IFD at `offset` in a block (read now when no block holds it), and its successor's offset noted. */
  private ensureIfd(offset: number, signal?: AbortSignal): Promise<void> {
    let pending = this.ifds.get(offset);
    if (pending) return pending;
    const layout = this.layout!;
    const held = () =>
      this.blocks.map((block) => ifdExtent(block, offset, layout)).find((extent) => extent !== undefined);
    pending = (held() ? Promise.resolve() : this.readBlock(offset, signal).then(() => undefined)).then(() => {
      const next = held()?.next;
      if (next && !this.ifds.has(next)) this.ifds.set(next, undefined);
    });
    pending.catch(() => this.ifds.set(offset, undefined));
    this.ifds.set(offset, pending);
    return pending;
  }

  /** The slice from a block read ahead: whole, or up to the end of the file when it runs past it; else undefined. */
  private fromBlocks(slice: Slice): ArrayBuffer | undefined {
    for (const { offset, data } of this.blocks) {
      if (slice.offset >= offset && slice.offset + slice.length <= offset + data.length) {
        return copy(data, slice.offset - offset, slice.length);
      }
    }
    for (const { offset, data, atEnd } of this.blocks) {
      // geotiff.js reads headers and IFDs with fixed-size probes that run past the end of a small file, or of one
      // whose IFD is at its end: hand over what there is. Reads that start past the end are still refused.
      if (atEnd && slice.offset >= offset && slice.offset < offset + data.length) {
        return copy(data, slice.offset - offset, offset + data.length - slice.offset);
      }
    }
    return undefined;
  }

  private async request(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    this.stats.requests += 1;
    const data = await this.source.fetch(offset, length, signal ? { signal } : {});
    this.stats.bytes += data.length;
    return data;
  }

  async fetch(slices: Slice[], signal?: AbortSignal): Promise<ArrayBuffer[]> {
    await this.readHeader(signal);
    return Promise.all(
      slices.map(async (slice) => {
        if (this.layout && this.ifds.has(slice.offset)) await this.ensureIfd(slice.offset, signal);
        const held = this.fromBlocks(slice);
        if (held) return held;
        return new Promise<ArrayBuffer>((resolve, reject) => {
          this.queue.push({ ...slice, resolve, reject });
          if (!this.scheduled) {
            this.scheduled = true;
            setImmediate(() => void this.flush(signal));
          }
        });
      }),
    );
  }

  private truncated(slice: Slice): ChangewatchError {
    const size = this.source.size;
    return new ChangewatchError(
      'E_READ',
      `${redactUrl(this.source.url)}: bytes ${slice.offset}-${slice.offset + slice.length - 1} lie past the end of the file${size !== undefined ? ` (${size} bytes)` : ''}: the file is truncated; fetch it again`,
    );
  }

  private async flush(signal?: AbortSignal): Promise<void> {
    const batch = this.queue.sort((a, b) => a.offset - b.offset);
    this.queue = [];
    this.scheduled = false;
    const gap = this.options.gapBytes ?? DEFAULT_GAP_BYTES;
    const groups: Array<{ slices: Pending[]; start: number; end: number }> = [];
    for (const slice of batch) {
      const group = groups[groups.length - 1];
      if (group && slice.offset <= group.end + gap) {
        group.slices.push(slice);
        group.end = Math.max(group.end, slice.offset + slice.length);
      } else groups.push({ slices: [slice], start: slice.offset, end: slice.offset + slice.length });
    }
    await Promise.all(
      groups.map(async ({ slices: group, start, end }) => {
        try {
          const data = await this.request(start, end - start, signal);
          for (const slice of group) {
            if (slice.offset - start + slice.length > data.length) slice.reject(this.truncated(slice));
            else if (group.length === 1 && slice.offset === start && slice.length === data.length) {
              // One slice, the whole read: hand over the buffer itself.
              slice.resolve(ownBuffer(data) as ArrayBuffer);
            } else slice.resolve(copy(data, slice.offset - start, slice.length));
          }
        } catch (error) {
          for (const slice of group) slice.reject(error);
        }
      }),
    );
  }
}

function copy(data: Uint8Array, offset: number, length: number): ArrayBuffer {
  const out = new Uint8Array(length);
  out.set(data.subarray(offset, offset + length));
  return out.buffer;
}

/** One resolution level of a raster: level 0 is full resolution, then its overviews. */
export interface RasterLevel {
  width: number;
  height: number;
  /** Pixel size in CRS units (x, y), both positive. */
  resolution: [number, number];
}

export interface RasterInfo {
  url: string;
  width: number;
  height: number;
  bands: number;
  dataType: DataType;
  /** EPSG code of the CRS, from the GeoKeys. */
  epsg: number | undefined;
  /** GDAL geotransform: [originX, pixelWidth, 0, originY, 0, -pixelHeight]. */
  transform: [number, number, number, number, number, number];
  /** GDAL_NODATA, if set. NaN for "nan". */
  nodata: number | undefined;
  /** Band descriptions from GDAL_METADATA (e.g. "B4"), or undefined per band. */
  bandNames: Array<string | undefined>;
  tileWidth: number;
  tileHeight: number;
  compression: number;
  levels: RasterLevel[];
}

export interface WindowRead {
  /** One typed array per requested band, row-major, `width × height`. */
  bands: TypedArray[];
  width: number;
  height: number;
  level: number;
}

function dataTypeOf(image: GeoTIFFImage): DataType {
  const format = image.getSampleFormat(0);
  const bits = image.getBitsPerSample(0);
  const name = format === 3 ? `float${bits}` : format === 2 ? `int${bits}` : `uint${bits}`;
  if (!['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'].includes(name)) {
    throw new ChangewatchError('E_DECODE', `unsupported sample type ${name}: changewatch reads 8- to 64-bit bands`);
  }
  return name as DataType;
}

function bandNamesOf(metadata: unknown, bands: number): Array<string | undefined> {
  const names: Array<string | undefined> = new Array<string | undefined>(bands).fill(undefined);
  if (typeof metadata !== 'string') return names;
  for (const match of metadata.matchAll(
    /<Item name="DESCRIPTION" sample="(\d+)" role="description">([^<]*)<\/Item>/g,
  )) {
    const index = Number(match[1]);
    if (index < bands) names[index] = match[2];
  }
  return names;
}

/**
 * Decoded tiles shared by every reader of the process, least recently used first out, within a byte budget.
 * Blocks of a run overlap their neighbours' tiles (halos, tiles larger than the overlap), so a tile is often asked
 * for again by the next block: decoding it once is a third of the reading work on the Bukavu series. The budget
 * bounds memory whatever the number of scenes; a tile evicted is decoded again if asked for. Tiles are kept in
 * shared memory (SharedArrayBuffer), wherever they were decoded, so a worker assembling a window uses them in
 * place: sent, not copied or transferred.
 */
export class DecodedTileCache {
  private readonly tiles = new Map<string, Uint8Array>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly budgetBytes: number) {}

  get(key: string): Uint8Array | undefined {
    const tile = this.tiles.get(key);
    if (!tile) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Most recently used last: Map keeps insertion order.
    this.tiles.delete(key);
    this.tiles.set(key, tile);
    return tile;
  }

  set(key: string, tile: Uint8Array): void {
    if (tile.byteLength > this.budgetBytes) return;
    this.bytes += tile.byteLength - (this.tiles.get(key)?.byteLength ?? 0);
    this.tiles.delete(key);
    this.tiles.set(key, tile);
    for (const [oldest, data] of this.tiles) {
      if (this.bytes <= this.budgetBytes) break;
      this.tiles.delete(oldest);
      this.bytes -= data.byteLength;
    }
  }

  /** Drops every tile of one reader (it is closed). */
  forget(prefix: string): void {
    for (const [key, data] of this.tiles) {
      if (!key.startsWith(prefix)) continue;
      this.tiles.delete(key);
      this.bytes -= data.byteLength;
    }
  }

  get size(): number {
    return this.bytes;
  }
}

/** 128 MiB: a few rows of tiles of every scene a block reads, well inside the run's memory estimate. */
export const DECODED_TILES = new DecodedTileCache(128 * 1_048_576);
/** Tiles being decoded, by cache key: a window that needs one waits for it instead of decoding it again. */
const DECODING = new Map<string, Promise<Uint8Array>>();

/** A tile of a window as first looked up: decoded, being decoded, or where its stored bytes are. */
interface TileLookup {
  key: string;
  tile: Omit<WindowTile, 'data'>;
  data?: Uint8Array;
  pending?: Promise<Uint8Array>;
  slice?: { offset: number; length: number };
}

/** A tile decoded (cache) or being decoded, by key; undefined when no one has it. */
function lookUpTile(key: string): Pick<TileLookup, 'data' | 'pending'> | undefined {
  const data = DECODED_TILES.get(key);
  if (data) return { data };
  const pending = DECODING.get(key);
  return pending ? { pending } : undefined;
}

/**
 * A decoded tile must hold all its rows (a strip at the foot of the image has fewer): a stream that ends early
 * (a damaged file) decodes without an error in both inflate and LZW, and its missing pixels would be read as fill.
 */
function checkWhole(tile: TileLookup['tile'], data: Uint8Array, coding: TileCoding): void {
  const { width, samples, bytesPerSample } = coding.layout;
  const needed = tile.rows * width * samples * bytesPerSample;
  if (data.byteLength < needed) {
    throw new Error(
      `tile ${tile.tx},${tile.ty} (sample ${tile.sample}) decodes to ${data.byteLength} bytes of its ${needed}: its stream ends early`,
    );
  }
}

/**
 * Decodes the stored tiles of one file into shared memory (workers/tile.decode.ts), the cache's form: on this
 * thread by default; a run passes one that decodes in its worker pool.
 */
export type TileDecoder = (coding: TileCoding, stored: Uint8Array[], signal?: AbortSignal) => Promise<Uint8Array[]>;
const decodeHere: TileDecoder = (coding, stored) => Promise.resolve(decodeTilesShared(coding, stored));
let readerCount = 0;

/** An open raster: its metadata and window reads at any level. */
export class RasterReader {
  /** Prefix of this reader's keys in {@link DECODED_TILES}. */
  private readonly cacheId = `${++readerCount}:`;

  private constructor(
    readonly info: RasterInfo,
    private readonly images: GeoTIFFImage[],
    private readonly source: CoalescingSource,
  ) {}

  /** Requests and bytes this raster has cost so far (header included). */
  get stats(): ReadStats {
    return { ...this.source.stats };
  }

  static async open(
    byteSource: ByteSource,
    options: { headerBytes?: number; gapBytes?: number } = {},
  ): Promise<RasterReader> {
    useFastDecoders();
    const source = new CoalescingSource(byteSource, options);
    const shown = redactUrl(byteSource.url);
    let tiff: GeoTIFF;
    try {
      tiff = await GeoTIFF.fromSource(source as never, { cache: false });
    } catch (error) {
      await byteSource.close?.();
      if (error instanceof ChangewatchError) throw error;
      throw new ChangewatchError('E_DECODE', `${shown}: not a readable GeoTIFF (${(error as Error).message})`, {
        cause: error,
      });
    }
    try {
      const count = await tiff.getImageCount();
      const all: GeoTIFFImage[] = [];
      for (let i = 0; i < count; i++) all.push(await tiff.getImage(i));
      for (const image of all) BYTE_ORDER.set(image.getFileDirectory(), image.littleEndian);
      const full = all[0]!;
      // Overviews are reduced-resolution images (NewSubfileType bit 0) with the same band count; masks are skipped.
      const images = [
        full,
        ...all.slice(1).filter((image) => {
          const type = Number(image.getFileDirectory().getValue('NewSubfileType') ?? 0);
          return (type & 1) === 1 && (type & 4) === 0 && image.getSamplesPerPixel() === full.getSamplesPerPixel();
        }),
      ];
      const [originX, originY] = full.getOrigin() as [number, number];
      const [resX, resY] = full.getResolution() as [number, number];
      const geoKeys = full.getGeoKeys() ?? {};
      const epsgKey = geoKeys.ProjectedCSTypeGeoKey ?? geoKeys.GeographicTypeGeoKey;
      const nodata = full.getGDALNoData();
      const directory = full.getFileDirectory();
      const info: RasterInfo = {
        url: byteSource.url,
        width: full.getWidth(),
        height: full.getHeight(),
        bands: full.getSamplesPerPixel(),
        dataType: dataTypeOf(full),
        epsg: typeof epsgKey === 'number' && epsgKey !== 32767 ? epsgKey : undefined,
        transform: [originX, resX, 0, originY, 0, resY],
        nodata: nodata ?? undefined,
        bandNames: bandNamesOf(await directory.loadValue('GDAL_METADATA'), full.getSamplesPerPixel()),
        tileWidth: full.getTileWidth(),
        tileHeight: full.getTileHeight(),
        compression: Number(await directory.loadValue('Compression')),
        levels: images.map((image) => ({
          width: image.getWidth(),
          height: image.getHeight(),
          resolution: [
            (Math.abs(resX) * full.getWidth()) / image.getWidth(),
            (Math.abs(resY) * full.getHeight()) / image.getHeight(),
          ],
        })),
      };
      return new RasterReader(info, images, source);
    } catch (error) {
      await byteSource.close?.();
      if (error instanceof ChangewatchError) throw error;
      throw new ChangewatchError('E_DECODE', `${shown}: unreadable GeoTIFF structure (${(error as Error).message})`, {
        cause: error,
      });
    }
  }

  /** Whether the tiles of `image` can be assembled by workers/tile.window.ts; else readRasters does the work. */
  private tilePath(image: GeoTIFFImage): boolean {
    const bits = image.getBitsPerSample(0);
    return (
      (image as unknown as { littleEndian: boolean }).littleEndian &&
      TILE_COMPRESSIONS.has(this.info.compression) &&
      bits % 8 === 0 &&
      [...Array(image.getSamplesPerPixel()).keys()].every(
        (sample) =>
          image.getBitsPerSample(sample) === bits && image.getSampleFormat(sample) === image.getSampleFormat(0),
      )
    );
  }

  /** One tile of a window: decoded (from the cache, or made empty), being decoded, or where its bytes are. */
  private async tileOf(image: GeoTIFFImage, tx: number, ty: number, sample: number): Promise<TileLookup> {
    const key = `${this.cacheId}${this.images.indexOf(image)}:${tx}:${ty}:${sample}`;
    const tile = { tx, ty, sample, rows: image.getBlockHeight(ty) };
    const known = lookUpTile(key);
    if (known) return { key, tile, ...known };
    const across = Math.ceil(image.getWidth() / image.getTileWidth());
    const down = Math.ceil(image.getHeight() / image.getTileHeight());
    const directory = image.getFileDirectory();
    const planar = Number(directory.getValue('PlanarConfiguration') ?? 1) === 2;
    const index = (planar ? sample * across * down : 0) + ty * across + tx;
    const tiled = image.isTiled;
    const offset = Number(await directory.loadValueIndexed(tiled ? 'TileOffsets' : 'StripOffsets', index));
    const length = Number(await directory.loadValueIndexed(tiled ? 'TileByteCounts' : 'StripByteCounts', index));
    if (length === 0) {
      // A tile the writer left empty: geotiff.js makes it (nodata, else 0) without reading anything.
      const empty = await image.getTileOrStrip(tx, ty, sample, undefined as never);
      return { key, tile, data: new Uint8Array(empty.data as ArrayBuffer) };
    }
    return { key, tile, slice: { offset, length } };
  }

  /**
   * Fetches the tiles of `lookups` that no one has yet (adjacent ones in one range request) and has them decoded
   * by `decode`, noting each as being decoded meanwhile so that other windows wait for it instead of decoding it
   * again; decoded tiles go to the cache.
   */
  private async decodeMissing(
    lookups: TileLookup[],
    coding: TileCoding,
    decode: TileDecoder,
    signal?: AbortSignal,
  ): Promise<void> {
    const missing = lookups.filter((lookup) => {
      if (!lookup.slice) return false;
      const known = lookUpTile(lookup.key);
      if (known) Object.assign(lookup, known, { slice: undefined });
      return !known;
    });
    if (missing.length === 0) return;
    const decoding = (async () => {
      const stored = await this.source.fetch(
        missing.map((lookup) => lookup.slice!),
        signal,
      );
      try {
        const tiles = await decode(
          coding,
          stored.map((bytes) => new Uint8Array(bytes)),
          signal,
        );
        missing.forEach((lookup, index) => checkWhole(lookup.tile, tiles[index]!, coding));
        return tiles;
      } catch (error) {
        if (signal?.aborted) throw error;
        throw new ChangewatchError(
          'E_DECODE',
          `${redactUrl(this.info.url)}: cannot decode ${missing.length} tiles (${(error as Error).message}): the file may be corrupt; fetch it again`,
          { cause: error },
        );
      }
    })();
    const pending = missing.map((lookup, index) => {
      const one = decoding.then((tiles) => tiles[index]!);
      one.catch(() => undefined);
      DECODING.set(lookup.key, one);
      return one;
    });
    try {
      const tiles = await decoding;
      missing.forEach((lookup, index) => {
        DECODED_TILES.set(lookup.key, tiles[index]!);
        lookup.data = tiles[index]!;
      });
    } finally {
      missing.forEach((lookup, index) => {
        if (DECODING.get(lookup.key) === pending[index]) DECODING.delete(lookup.key);
      });
    }
  }

  /**
   * The decoded tiles of a window and where they lie: what workers/tile.window.ts needs to assemble the window, in
   * a worker or here. Tiles come from the decoded-tile cache, else are fetched (adjacent ones in one request) and
   * decoded by `decode` (default: on this thread; the run passes its worker pool). Undefined for files tile.window.ts
   * cannot assemble (big-endian, samples not whole bytes or of mixed types, other compressions).
   */
  async tiledWindow(
    window: PixelWindow,
    options: { bands?: number[]; level?: number; fill?: number; signal?: AbortSignal; decode?: TileDecoder } = {},
  ): Promise<TiledWindow | undefined> {
    const image = this.levelImage(options.level ?? 0);
    if (!this.tilePath(image)) return undefined;
    const directory = image.getFileDirectory();
    const planar = Number((await directory.loadValue('PlanarConfiguration')) ?? 1) === 2;
    const bands = options.bands ?? [...Array(this.info.bands).keys()];
    const tileWidth = image.getTileWidth();
    const tileHeight = image.getTileHeight();
    const x0 = Math.max(0, window.x0);
    const y0 = Math.max(0, window.y0);
    const x1 = Math.min(image.getWidth(), window.x1);
    const y1 = Math.min(image.getHeight(), window.y1);
    const wanted: Array<Promise<TileLookup>> = [];
    for (let ty = Math.floor(y0 / tileHeight); x1 > x0 && y1 > y0 && ty * tileHeight < y1; ty++) {
      for (let tx = Math.floor(x0 / tileWidth); tx * tileWidth < x1; tx++) {
        for (const sample of planar ? bands : [0]) wanted.push(this.tileOf(image, tx, ty, sample));
      }
    }
    const lookups = await Promise.all(wanted);
    const coding = { compression: this.info.compression, ...blockLayout(await blockParameters(directory)) };
    await this.decodeMissing(lookups, coding, options.decode ?? decodeHere, options.signal);
    const tiles = await Promise.all(
      lookups.map(async (lookup) => ({ ...lookup.tile, data: lookup.data ?? (await lookup.pending!) })),
    );
    return {
      window,
      dataType: this.info.dataType,
      fill: options.fill ?? this.info.nodata ?? 0,
      bands,
      planar,
      samples: image.getSamplesPerPixel(),
      tileWidth,
      tileHeight,
      imageWidth: image.getWidth(),
      imageHeight: image.getHeight(),
      tiles,
    };
  }

  private levelImage(level: number): GeoTIFFImage {
    const image = this.images[level];
    if (!image) {
      throw new RangeError(`readWindow: level ${level} does not exist (the raster has ${this.images.length})`);
    }
    return image;
  }

  /** Releases the underlying source (file handles) and this raster's decoded tiles. */
  async close(): Promise<void> {
    DECODED_TILES.forget(this.cacheId);
    await this.source.close();
  }

  /** A TIFF tag of the full-resolution image by name (e.g. `DateTime`), or undefined when absent. */
  async tag(name: string): Promise<unknown> {
    const directory = this.images[0]!.getFileDirectory();
    return directory.hasTag(name as never) ? directory.loadValue(name as never) : undefined;
  }

  /**
   * Reads a window (pixel coordinates of `level`, end-exclusive, clipped to the image) of the given bands
   * (0-based; default all). Parts of the window outside the image are filled with `fill` (default: nodata, else 0).
   */
  async readWindow(
    window: PixelWindow,
    options: { bands?: number[]; level?: number; fill?: number; signal?: AbortSignal } = {},
  ): Promise<WindowRead> {
    const level = options.level ?? 0;
    const image = this.levelImage(level);
    const bands = options.bands ?? [...Array(this.info.bands).keys()];
    const width = window.x1 - window.x0;
    const height = window.y1 - window.y0;
    if (width <= 0 || height <= 0) throw new RangeError(`readWindow: empty window ${JSON.stringify(window)}`);
    const fill = options.fill ?? this.info.nodata ?? 0;
    try {
      const tiled = await this.tiledWindow(window, { ...options, bands, fill });
      if (tiled) return { bands: assembleWindow(tiled), width, height, level };
      const data = await image.readRasters({
        window: [window.x0, window.y0, window.x1, window.y1],
        samples: bands,
        interleave: false,
        fillValue: fill,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { bands: [...(data as unknown as TypedArray[])], width, height, level };
    } catch (error) {
      if (error instanceof ChangewatchError) throw error;
      throw new ChangewatchError(
        'E_DECODE',
        `${redactUrl(this.info.url)}: cannot decode window ${window.x0},${window.y0}-${window.x1},${window.y1} (${(error as Error).message}): the file may be corrupt; fetch it again`,
        { cause: error },
      );
    }
  }
}
