import { join } from 'node:path';
import { buildCatalog, type CatalogBuildResult } from '../../pipeline/tools/catalog.build.js';
import { SHARED_DATA } from './paths.js';

/** The real Bukavu series: 23 dates of Sentinel-2 red and NIR, reflectance × 10000, clouds masked to NaN. */
export const BUKAVU_SERIES = join(SHARED_DATA, 's2-bukavu-rusizi', 'T35MPT_bukavu_drc');
/** Its neighbour on tile T35MQS (the Rusizi mouth), exported the same way: 23 dates, 919 × 1103 px. */
export const RUSIZI_SERIES = join(SHARED_DATA, 's2-bukavu-rusizi', 'T35MQS_rusizi_burundi');

/** The static catalog of `series` (Bukavu unless told) in `dir`, built as the demo builds it. */
export function buildBukavuCatalog(dir: string, series = BUKAVU_SERIES): Promise<CatalogBuildResult> {
  return buildCatalog({
    dir: series,
    out: join(dir, 'catalog.json'),
    bands: ['red', 'nir'],
    scale: 1e-4,
    offset: 0,
    nodataIsCloud: true,
  });
}
