import { CONFIDENCE, FOREST_LOSS_CLASSES } from '../../workers/change.js';

/**
 * What the codes of each class raster mean: one table per product, used for the STAC `classification:classes`,
 * the GeoTIFF metadata, the summary's class names, the previews' colours and the report's legend. Names follow the
 * classification extension's pattern (letters, digits, `-`, `_`).
 */
export interface ClassInfo {
  value: number;
  name: string;
  description: string;
  /** RRGGBB. */
  colour: string;
  /** The code for pixels outside the AOI polygon (GDAL nodata). */
  nodata?: true;
}

export const FOREST_LOSS_LEGEND: readonly ClassInfo[] = [
  {
    value: FOREST_LOSS_CLASSES.notSeen,
    name: 'not-seen',
    description: 'Inside the AOI but not seen clear in the baseline or the monitoring period: no finding either way',
    colour: 'bdbdbd',
  },
  {
    value: FOREST_LOSS_CLASSES.nonForest,
    name: 'non-forest',
    description: 'Baseline median NDVI below the forest threshold',
    colour: 'f7f4d0',
  },
  {
    value: FOREST_LOSS_CLASSES.stableForest,
    name: 'stable-forest',
    description: 'Forest in the baseline whose monitoring median NDVI did not drop by the loss threshold',
    colour: '238443',
  },
  {
    value: FOREST_LOSS_CLASSES.loss,
    name: 'forest-loss',
    description: 'Forest in the baseline whose monitoring median NDVI dropped by at least the loss threshold',
    colour: 'e31a1c',
  },
  {
    value: FOREST_LOSS_CLASSES.outside,
    name: 'outside-aoi',
    description: 'Outside the AOI polygon',
    colour: '000000',
    nodata: true,
  },
];

export const CONFIDENCE_LEGEND: readonly ClassInfo[] = [
  { value: CONFIDENCE.none, name: 'none', description: 'No change detected', colour: 'ffffff' },
  {
    value: CONFIDENCE.low,
    name: 'low',
    description: 'One clear monitoring observation shows the change',
    colour: 'fd8d3c',
  },
  {
    value: CONFIDENCE.high,
    name: 'high',
    description: 'Two or more clear monitoring observations show the change',
    colour: 'bd0026',
  },
  {
    value: CONFIDENCE.outside,
    name: 'outside-aoi',
    description: 'Outside the AOI polygon',
    colour: '000000',
    nodata: true,
  },
];

export function rgbOf(colour: string): [number, number, number] {
  return [
    Number.parseInt(colour.slice(0, 2), 16),
    Number.parseInt(colour.slice(2, 4), 16),
    Number.parseInt(colour.slice(4, 6), 16),
  ];
}
