import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileByteSource } from '../../pipeline/io/byte.source.file.js';
import { RasterReader, type RasterInfo } from '../../pipeline/io/cog.reader.js';
import { SHARED_DATA } from './paths.js';

/**
 * The bayts test stack (../shared/data/s1-bolivia-bayts, PROVENANCE.txt there): Sentinel-1 VV dB and Landsat NDVI
 * on one 100 × 100, 30 m UTM 20S grid, read with changewatch's own reader, nodata as NaN; and the single-pixel
 * CSVs the R package wrote.
 */
export const BOLIVIA = join(SHARED_DATA, 's1-bolivia-bayts');

export interface DatedImage {
  /** Acquisition date, YYYY-MM-DD, from the file name. */
  date: string;
  values: Float32Array;
}

export interface BoliviaSeries {
  info: RasterInfo;
  images: DatedImage[];
}

/** Every band-1 image of `folder` (s1vv_tseries or lndvi_tseries), in date order, nodata as NaN. */
export async function readBoliviaSeries(folder: 's1vv_tseries' | 'lndvi_tseries'): Promise<BoliviaSeries> {
  const names = readdirSync(join(BOLIVIA, folder))
    .filter((name) => name.endsWith('.tif'))
    .sort();
  const images: DatedImage[] = [];
  let info: RasterInfo | undefined;
  for (const name of names) {
    const reader = await RasterReader.open(new FileByteSource(join(BOLIVIA, folder, name)));
    info = reader.info;
    const { bands } = await reader.readWindow({ x0: 0, y0: 0, x1: info.width, y1: info.height }, { bands: [0] });
    await reader.close();
    images.push({ date: name.slice(0, 10), values: float32WithNaN(bands[0]!, info.nodata) });
  }
  return { info: info!, images };
}

/** Float32 copy with nodata as NaN; the nodata of a Float32 file is compared as the Float32 it was written as. */
export function float32WithNaN(values: ArrayLike<number>, nodata: number | undefined): Float32Array {
  const missing = nodata === undefined ? NaN : Math.fround(nodata);
  return Float32Array.from(values, (value) => (value === missing ? NaN : value));
}

/** A CSV written by R's write.csv: header names unquoted, NA as NaN, numbers as numbers, other cells as strings. */
export function readRCsv(name: string): Array<Record<string, number | string>> {
  const [header, ...lines] = readFileSync(join(BOLIVIA, name), 'utf8').trim().split('\n');
  const unquote = (cell: string) => cell.replace(/^"|"$/g, '');
  const columns = header!.split(',').map(unquote);
  return lines.map((line) => {
    const cells = line.split(',').map(unquote);
    return Object.fromEntries(
      columns.map((column, c) => {
        const cell = cells[c]!;
        const number = Number(cell);
        return [column, cell === 'NA' ? NaN : cell !== '' && Number.isFinite(number) ? number : cell];
      }),
    );
  });
}

/**
 * The decimal year bfast's bfastts (and so bayts) gives a date: year + (day of a 365-day year − 1) / 365, where the
 * day ignores 29 February. The reference raster's change dates are on this axis.
 */
export function baytsDecimalYear(date: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const before = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334][month - 1]!;
  return year + (before + day - 1) / 365;
}

/** The AOI over the stack: its footprint 1 m inside its edges (so the grid snaps onto it), in lon/lat (gdaltransform). */
const BOLIVIA_FOOTPRINT: Array<[number, number]> = [
  [-62.106536756151, -18.0589489390036],
  [-62.1063996973735, -18.0860432648961],
  [-62.0780697885723, -18.0859099904544],
  [-62.0782111910626, -18.0588158775937],
  [-62.106536756151, -18.0589489390036],
];

/**
 * The stack's 22 VV files made a static catalog by `changewatch catalog build` (`<dir>/vv/catalog.json`, dB) and the
 * AOI `bolivia-bayts` over its footprint asking for radar forest loss, baseline 2015-10-01/2015-12-31 and monitoring
 * from 2016-01-01 (the package's example), in `<dir>/aoi`. `cli` runs the built CLI with the caller's environment.
 */
export function writeBoliviaRadarSite(dir: string, cli: (args: string[]) => string): void {
  mkdirSync(join(dir, 'aoi'));
  const vv = ['--bands', 'vv', '--unit', 'db', '--scale', '1'];
  cli(['catalog', 'build', join(BOLIVIA, 's1vv_tseries'), '--out', join(dir, 'vv', 'catalog.json'), ...vv]);
  const aoi = {
    type: 'Feature',
    properties: {
      id: 'bolivia-bayts',
      name: 'Santa Cruz, Bolivia (bayts test stack)',
      kind: 'custom',
      analyses: ['radar-forest-loss'],
      windows: { baseline: '2015-10-01/2015-12-31', monitoring: '2016-01-01/2016-05-31' },
    },
    geometry: { type: 'Polygon', coordinates: [BOLIVIA_FOOTPRINT] },
  };
  writeFileSync(join(dir, 'aoi', 'bolivia-bayts.geojson'), JSON.stringify(aoi));
}
