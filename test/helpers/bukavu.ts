import { join } from 'node:path';
import { buildCatalog, type CatalogBuildResult } from '../../pipeline/tools/catalog.build.js';
import { SHARED_DATA } from './paths.js';

/** The real Bukavu series: 23 dates of Sentinel-2 red and NIR, reflectance × 10000, clouds masked to NaN. */
export const BUKAVU_SERIES = join(SHARED_DATA, 's2-bukavu-rusizi', 'T35MPT_bukavu_drc');

/** Its static catalog in `dir`, built as the demo builds it. */
export function buildBukavuCatalog(dir: string): Promise<CatalogBuildResult> {
  return buildCatalog({
    dir: BUKAVU_SERIES,
    out: join(dir, 'catalog.json'),
    bands: ['red', 'nir'],
    scale: 1e-4,
    offset: 0,
    nodataIsCloud: true,
  });
}
