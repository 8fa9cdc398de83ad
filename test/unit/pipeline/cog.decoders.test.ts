import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromFile, type TypedArray } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileByteSource } from '../../../pipeline/io/byte.source.file.js';
import { RasterReader } from '../../../pipeline/io/cog.reader.js';
import { writeCog } from '../../../pipeline/io/cog.writer.js';
import { SHARED_DATA } from '../../helpers/paths.js';

/**
 * changewatch's decoders (node:zlib DEFLATE and typed-array LZW, predictors undone by workers/predictor.ts) against
 * geotiff.js's own (pako, its LZW decoder and its predictor code) on real files, every level, every band. The
 * peer's pixels are read first: RasterReader.open registers changewatch's decoders for the rest of the file.
 */
const dir = mkdtempSync(join(tmpdir(), 'cw-decoders-'));
const MOROCCO_B04 = join(SHARED_DATA, 's2l2a-morocco', 'B04.tif');
/** A UInt16 predictor-2 COG (512² tiles, DEFLATE, overviews) written by cog.writer.ts from the Morocco pixels. */
const PREDICTOR_2 = join(dir, 'b04.predictor2.tif');

const FILES: Array<[string, string]> = [
  ['L2A B04: DEFLATE UInt16, no predictor, 512² tiles, overviews', MOROCCO_B04],
  ['cog.writer: DEFLATE UInt16, predictor 2, 512² tiles, partial edge tiles', PREDICTOR_2],
  [
    'GDAL COG: DEFLATE Float32, predictor 3, 256² tiles, odd width 835',
    join(SHARED_DATA, 's2-bukavu-rusizi', 'derived_cog_pair', '20210825_T35MPT_red.cog.tif'),
  ],
  [
    'Bukavu export: LZW Float32, 2 interleaved bands, 256² tiles',
    join(SHARED_DATA, 's2-bukavu-rusizi', 'T35MPT_bukavu_drc', '20210825T080611_20210825T082711_T35MPT.tif'),
  ],
  [
    'Landsat 5 L1: LZW UInt8 strips, a short last strip',
    join(SHARED_DATA, 'landsat-l1-pairs', 'bale_167055', 'LT05_L1TP_167055_20000309_20161214_01_T1_B2.TIF'),
  ],
  [
    'Landsat 8 L1: LZW Int16, one strip of 41×41',
    join(SHARED_DATA, 'landsat-l1-pairs', 'marburg_195025', 'LC08_L1TP_195025_20130707_20170503_01_T1_B1.TIF'),
  ],
  [
    'Landsat SR: DEFLATE Int16 strips, 61×61',
    join(SHARED_DATA, 'landsat-colorado-timeseries', 'LE70350322012177EDC00', 'LE70350322012177EDC00_b3.tif'),
  ],
  ['bayts result: LZW Float32, 5 bands, strips', join(SHARED_DATA, 's1-bolivia-bayts', 'bayts_spatial_result.tif')],
];

const bytesOf = (array: ArrayBufferView) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);
const expected = new Map<string, TypedArray[][]>();

beforeAll(async () => {
  const source = await RasterReaderFree.readAll(MOROCCO_B04);
  await writeCog(PREDICTOR_2, {
    width: 1098,
    height: 1098,
    dataType: 'uint16',
    epsg: 32629,
    transform: [199980, 100, 0, 2800020, 0, -100],
    nodata: 0,
    resampling: 'nearest',
    bands: [source[0]![0] as Uint16Array],
  });
  const written = await fromFile(PREDICTOR_2);
  expect(await (await written.getImage(0)).getFileDirectory().loadValue('Predictor')).toBe(2);
  await written.close();
  for (const [, path] of FILES) expected.set(path, await RasterReaderFree.readAll(path));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** geotiff.js alone (its default decoders): every level's bands of a file. */
const RasterReaderFree = {
  async readAll(path: string): Promise<TypedArray[][]> {
    const tiff = await fromFile(path);
    try {
      const levels: TypedArray[][] = [];
      for (let i = 0; i < (await tiff.getImageCount()); i++) {
        const image = await tiff.getImage(i);
        if (i > 0 && (Number(image.getFileDirectory().getValue('NewSubfileType') ?? 0) & 1) !== 1) continue;
        levels.push([...((await image.readRasters({ interleave: false })) as unknown as TypedArray[])]);
      }
      return levels;
    } finally {
      await tiff.close();
    }
  },
};

describe('changewatch decoders equal geotiff.js decoders byte for byte', () => {
  it.each(FILES)('%s', async (_name, path) => {
    const peer = expected.get(path)!;
    const reader = await RasterReader.open(new FileByteSource(path));
    try {
      expect(reader.info.levels.length).toBe(peer.length);
      for (let level = 0; level < peer.length; level++) {
        const { width, height } = reader.info.levels[level]!;
        const ours = await reader.readWindow({ x0: 0, y0: 0, x1: width, y1: height }, { level });
        expect(ours.bands.length).toBe(peer[level]!.length);
        ours.bands.forEach((band, index) => {
          expect(Buffer.compare(bytesOf(band), bytesOf(peer[level]![index]!)), `level ${level} band ${index}`).toBe(0);
        });
      }
    } finally {
      await reader.close();
    }
  });
});
