import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { footprint } from '../../pipeline/tools/catalog.build.js';
import { FileByteSource } from '../../pipeline/io/byte.source.file.js';
import { RasterReader } from '../../pipeline/io/cog.reader.js';
import { writeItemCatalog } from './item.catalog.js';
import { SHARED_DATA } from './paths.js';

/**
 * The real Colorado Landsat 5/7 series (../shared/data/landsat-colorado-timeseries): 105 dates 2008-2013 of red,
 * NIR and SWIR1 surface reflectance (× 1e-4, nodata −9999) and Fmask, one file per band. Its static catalog, one
 * STAC item per scene with the band files as assets named by `eo:common_name` and the Fmask layer as `fmask`, as a
 * researcher would describe such a stack; the date comes from the Landsat scene id (year and day of year), the
 * cloud cover from the Fmask layer.
 */
export const COLORADO_SERIES = join(SHARED_DATA, 'landsat-colorado-timeseries');

const BANDS = [
  { suffix: 'b3', key: 'red', common: 'red' },
  { suffix: 'b4', key: 'nir', common: 'nir' },
  { suffix: 'b5', key: 'swir16', common: 'swir16' },
] as const;

export async function buildColoradoCatalog(dir: string): Promise<{ catalog: string; items: number }> {
  const itemsDir = join(dir, 'items');
  const scenes = (await readdir(COLORADO_SERIES)).filter((name) => /^L[ET]\d{14}[A-Z]{3}\d{2}$/.test(name)).sort();
  const items: Array<{ id: string; bbox: number[] } & Record<string, unknown>> = [];
  for (const id of scenes) {
    const year = Number(id.slice(9, 13));
    const dayOfYear = Number(id.slice(13, 16));
    const datetime = new Date(Date.UTC(year, 0, dayOfYear, 17, 30)).toISOString();
    const fmaskFile = join(COLORADO_SERIES, id, `${id}_fmask.tif`);
    const reader = await RasterReader.open(new FileByteSource(fmaskFile));
    const fmask = (await reader.readWindow({ x0: 0, y0: 0, x1: reader.info.width, y1: reader.info.height })).bands[0]!;
    let cloudy = 0;
    let valid = 0;
    for (const value of fmask) {
      if (value === 255) continue;
      valid++;
      if (value === 2 || value === 4) cloudy++;
    }
    const shape = footprint(reader.info);
    const href = (file: string) => relative(itemsDir, file);
    const item = {
      type: 'Feature',
      stac_version: '1.1.0',
      id,
      collection: 'landsat-colorado-sr',
      geometry: shape.geometry,
      bbox: shape.bbox,
      properties: {
        datetime,
        platform: id.startsWith('LE7') ? 'landsat-7' : 'landsat-5',
        'eo:cloud_cover': valid === 0 ? 100 : Number(((100 * cloudy) / valid).toFixed(3)),
        'proj:code': `EPSG:${reader.info.epsg}`,
      },
      links: [{ rel: 'self', href: `${id}.json`, type: 'application/geo+json' }],
      assets: {
        ...Object.fromEntries(
          BANDS.map((band) => [
            band.key,
            {
              href: href(join(COLORADO_SERIES, id, `${id}_${band.suffix}.tif`)),
              type: 'image/tiff; application=geotiff',
              roles: ['data'],
              bands: [{ name: band.suffix, 'eo:common_name': band.common, scale: 1e-4, offset: 0, nodata: -9999 }],
            },
          ]),
        ),
        fmask: { href: href(fmaskFile), type: 'image/tiff; application=geotiff', roles: ['cloud'] },
      },
    };
    items.push(item);
  }
  return writeItemCatalog(
    dir,
    {
      id: 'landsat-colorado-sr',
      description: 'Landsat 5/7 surface reflectance, WRS-2 035/032, Colorado (eo-box sample data)',
      interval: ['2008-04-19T00:00:00Z', '2013-05-28T00:00:00Z'],
    },
    items,
  );
}
