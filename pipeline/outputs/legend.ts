import { CONFIDENCE, FOREST_LOSS_CLASSES } from '../../workers/change.js';
import { MINING_CLASSES, SETTLEMENT_CLASSES } from '../../workers/settlement.js';

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

const NOT_SEEN = 'Inside the AOI but not seen clear in the baseline or the monitoring period: no finding either way';
const OUTSIDE = {
  name: 'outside-aoi',
  description: 'Outside the AOI polygon',
  colour: '000000',
  nodata: true,
} as const;

export const SETTLEMENT_LEGEND: readonly ClassInfo[] = [
  { value: SETTLEMENT_CLASSES.notSeen, name: 'not-seen', description: NOT_SEEN, colour: 'bdbdbd' },
  {
    value: SETTLEMENT_CLASSES.stableOther,
    name: 'stable-other',
    description: 'Not built-up/bare in either period',
    colour: 'f7f4d0',
  },
  {
    value: SETTLEMENT_CLASSES.stableBuilt,
    name: 'stable-built',
    description: 'Built-up/bare (NDBI above the threshold, NDVI below the maximum) in the baseline and still so',
    colour: '969696',
  },
  {
    value: SETTLEMENT_CLASSES.builtLost,
    name: 'built-lost',
    description: 'Built-up/bare in the baseline whose NDBI dropped by at least the threshold (demolition, regrowth)',
    colour: '7b3294',
  },
  {
    value: SETTLEMENT_CLASSES.builtGained,
    name: 'built-gained',
    description: 'Newly built-up/bare, with an NDVI drop of at least the threshold (construction, clearing)',
    colour: 'e66101',
  },
  { value: SETTLEMENT_CLASSES.outside, ...OUTSIDE },
];

export const MINING_LEGEND: readonly ClassInfo[] = [
  { value: MINING_CLASSES.notSeen, name: 'not-seen', description: NOT_SEEN, colour: 'bdbdbd' },
  {
    value: MINING_CLASSES.noChange,
    name: 'no-change',
    description: 'No new bare soil next to new water',
    colour: 'f7f4d0',
  },
  {
    value: MINING_CLASSES.newBare,
    name: 'new-bare',
    description: 'New bare soil in a patch that also holds new water (pits, cleared banks)',
    colour: 'a6611a',
  },
  {
    value: MINING_CLASSES.newWater,
    name: 'new-water',
    description: 'New standing water (MNDWI above the threshold) in a patch that also holds new bare soil (ponds)',
    colour: '2c7bb6',
  },
  { value: MINING_CLASSES.outside, ...OUTSIDE },
];

/** The legend of each product's class raster. */
export const PRODUCT_LEGENDS = {
  'forest-loss': FOREST_LOSS_LEGEND,
  'settlement-change': SETTLEMENT_LEGEND,
  'mining-expansion': MINING_LEGEND,
} as const;

export function rgbOf(colour: string): [number, number, number] {
  return [
    Number.parseInt(colour.slice(0, 2), 16),
    Number.parseInt(colour.slice(2, 4), 16),
    Number.parseInt(colour.slice(4, 6), 16),
  ];
}
