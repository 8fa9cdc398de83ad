import type { z } from 'zod';
import type { BandName } from '../bands.js';
import type { IndexName } from '../indices.js';
import type { Patch } from '../patches.js';

/**
 * What a change product is, in one place: the bands and indices it needs, its parameters (a zod schema with
 * defaults and ranges, from which the config schema is built), its per-block classification (run in the worker),
 * its patch rules and minimum mapping unit, its classes with their colours and legend text, its caveats and its
 * preview. The run, the outputs, the summary, the STAC classes, the report and the plan loop over the registry
 * (workers/products/index.ts); none of them names a product. After linz/basemaps' pipelines (`{ type, process }`
 * objects in a record) and titiler's algorithms (a unit that declares its inputs and outputs). Pure.
 */

/** One code of a class raster. Names follow the STAC classification extension's pattern (letters, digits, `-`, `_`). */
export interface ClassInfo {
  value: number;
  name: string;
  description: string;
  /** RRGGBB. */
  colour: string;
  /** The code for pixels outside the AOI polygon (GDAL nodata). */
  nodata?: true;
}

/** Confidence codes (uint8) of products that grade their change pixels. */
export const CONFIDENCE = { none: 0, low: 1, high: 2, outside: 255 } as const;

/** The classes of a confidence raster. */
export const CONFIDENCE_CLASSES: readonly ClassInfo[] = [
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

/** Every product's code 0: ground not seen clear in one of the periods has no finding either way. */
export const NOT_SEEN_CLASS = {
  name: 'not-seen',
  description: 'Inside the AOI but not seen clear in the baseline or the monitoring period: no finding either way',
  colour: 'bdbdbd',
} as const;

/** Every product's code 255: outside the AOI polygon, the rasters' nodata. */
export const OUTSIDE_CLASS = {
  name: 'outside-aoi',
  description: 'Outside the AOI polygon',
  colour: '000000',
  nodata: true,
} as const;

/** Codes of a product's revegetation rule, per pixel of a monitoring composite. */
export const REVEGETATION = { notSeen: 0, notRecovered: 1, recovered: 2 } as const;

/**
 * What "revegetating" means for a product whose change can grow back, as a per-pixel rule on the monitoring median
 * composite. The sites fold (workers/sites.ts) applies it to the footprint of a site that did not grow in the last
 * period; a product without one never has revegetating sites.
 */
export interface RevegetationRule<P> {
  /** The rule in one sentence, from the parameters (the sites document and the dossier say it). */
  describe(params: P): string;
  /** {@link REVEGETATION} codes of each pixel of the composite (NaN NDVI: not seen clear). */
  classify(monitoring: Pick<PeriodBlock, 'ndvi'>, params: P): Uint8Array;
}

/** One period's composites over a block (inside the halo), as the worker computed them. */
export interface PeriodBlock {
  /** Median composite of each band read. */
  bands: Partial<Record<BandName, Float32Array>> & { red: Float32Array; nir: Float32Array };
  /** Clear observations per pixel. */
  count: Uint16Array;
  /** Day (since 1970-01-01 UTC) of the last clear observation, -1 for none. */
  lastDay: Int32Array;
  ndvi: Float32Array;
  /** The indices the run's products need besides NDVI. */
  indices: Partial<Record<IndexName, Float32Array>>;
}

/** One clear-masked monitoring observation date over a block. */
export interface DateObservation {
  /** Days since 1970-01-01 UTC. */
  day: number;
  /** 1 where the date saw the ground clear. */
  clear: Uint8Array;
  bands: Partial<Record<BandName, Float32Array>> & { red: Float32Array; nir: Float32Array };
}

/**
 * One dated observation of a series product's sensor over a block: a radar pass (one orbit direction and track),
 * its backscatter in dB, and each band's level over the whole AOI that day (the pre-pass's quantile, for the
 * spatial normalisation: a per-block level would differ block to block).
 */
export interface SeriesObservation {
  /** Days since 1970-01-01 UTC. */
  day: number;
  /** A pass of the monitoring period (else of the baseline). */
  monitoring: boolean;
  /** `ascending/12`: orbit direction and relative orbit as the scenes state them ('' for parts they do not). */
  track: string;
  /** dB of each band read (NaN: not observed). */
  bands: Partial<Record<BandName, Float32Array>>;
  /** Each band's quantile over the AOI on this pass (NaN when the pass saw none of it). */
  levels: Partial<Record<BandName, number>>;
}

/** What a product that reads every observation declares: which quantile of each pass over the AOI it normalises by. */
export interface SeriesSpec<P> {
  /** The quantile (0-1) of each pass's values over the AOI the pre-pass computes (`levels`). */
  levelQuantile(params: P): number;
  /** It fuses the AOI's optical observations (their clear NDVI, `bands.ndvi` of the series) with its own. */
  fusesOptical?(params: P): boolean;
}

/** A per-pixel value raster of a product besides its classes (`<type>-<key>`): dates, probabilities, counts. */
export interface ValueRaster {
  key: string;
  title: string;
  dataType: 'uint16' | 'float32';
  nodata: number;
  unit: string;
  /** The band's description (what nodata means). */
  description: string;
  /** Days since this date (the raster holds days). */
  epoch?: string;
  /** Set to nodata where a patch rule drops the change (a date of change where no change is kept). */
  changeOnly?: true;
}

/** What a product classifies: one block's composites, the AOI mask, and (on demand) the monitoring dates. */
export interface ProductBlock {
  width: number;
  height: number;
  /** 1 inside the AOI polygon. */
  inside: Uint8Array;
  baseline: PeriodBlock;
  monitoring: PeriodBlock;
  /** The monitoring dates, cropped to the block; built on first call (only products that need dates pay). */
  monitoringDates(): readonly DateObservation[];
  /** A series product's observations of both periods, in time order, cropped to the block (empty for others). */
  series(): readonly SeriesObservation[];
}

/** A product's per-pixel result for one block, before its patch rules. */
export interface ProductPixels {
  classes: Uint8Array;
  /** {@link CONFIDENCE} codes, for a product with a confidence raster. */
  confidence?: Uint8Array;
  /** Day (since 1970-01-01 UTC) of the first clear observation showing the change, -1 for none. */
  firstDay?: Int32Array;
  /** Further per-pixel evidence a sink may keep (e.g. how many observations show the change). */
  layers?: Record<string, Uint8Array>;
  /** The product's value rasters' pixels, by {@link ValueRaster} key. */
  values?: Record<string, Float32Array | Uint16Array>;
  /**
   * Observations per pixel in the monitoring period by the product's own sensor (the polygons'
   * `clear_observations_min`); default: the optical composites' clear count.
   */
  monitoringCount?: Uint16Array;
  /** 1 where the product's sensor observed the pixel at least once in each period (its "observed" figures). */
  observed?: { baseline: Uint8Array; monitoring: Uint8Array };
}

/**
 * Another product that maps the same change from another sensor, whose findings this one's are compared with
 * pixel by pixel where both are computed (the summary's `agreement`).
 */
export interface Corroboration {
  product: string;
  /** The other product's change codes. */
  codes: readonly number[];
  /** Its code for ground it did not see. */
  notSeen: number;
  /** This product's change codes. */
  ownCodes: readonly number[];
}

/** Change pixels joined into 8-connected patches across blocks, and which patches a product keeps. */
export interface PatchRule<P> {
  /** What the patches are: the polygons' `class`. */
  name: string;
  /** The class codes that make up a patch (at most 8: a patch's flags hold one bit per code, in this order). */
  codes: readonly number[];
  /** The code a dropped patch's pixels take. */
  replacement: number;
  keep(patch: Patch, params: P): boolean;
  /** Codes whose pixels count as high confidence in a patch, for a product that grades by class, not by raster. */
  highCodes?: readonly number[];
}

/** What a product's caveats may look at. */
export interface CaveatContext<P> {
  params: P;
  /** Hectares per class code inside the AOI (after the patch rules). */
  hectares: (code: number) => number;
  /** Observation dates of each period with data over the AOI. */
  dates: { baseline: readonly string[]; monitoring: readonly string[] };
}

/** The lead product's overlay on the previews: display codes drawn over the monitoring NDVI, in priority order. */
export interface PreviewSpec {
  /** Lower-case name in titles: "forest loss". */
  noun: string;
  palette: ReadonlyArray<{ code: number; colour: string; label: string }>;
  /** Display codes of one block's pixels (codes not in the palette are not drawn). */
  display(pixels: ProductPixels): Uint8Array;
  /**
   * What the change is a share of, for the headline ("a third of the baseline forest"): the classes whose pixels
   * were that extent in the baseline (the change class among them), and its name.
   */
  extent?: { classes: readonly string[]; name: string };
}

export interface ProductDefinition<Type extends string, Key extends string, Schema extends z.ZodObject> {
  /** The AOI `analyses` value, the class raster's asset key and the summary's product key. */
  type: Type;
  /** Its parameters' key under `analysis` in the config (and `CHANGEWATCH_ANALYSIS_…` env vars). */
  configKey: Key;
  /** Title of the class raster and the report section. */
  title: string;
  /**
   * Bands every scene of its sensor must carry (the plan skips the product, saying why, otherwise) and indices
   * composited.
   */
  needs: { bands: readonly BandName[]; indices: readonly IndexName[] };
  /** NDVI is all it needs of red and NIR: scenes of an NDVI export (an `ndvi` band) stand in for them. */
  ndviStandsIn?: true;
  /** The scenes it reads: radar, or (default) optical. */
  sensor?: 'radar';
  /** It reads every observation of both periods (`ProductBlock.series`), not only the composites. */
  series?: SeriesSpec<z.infer<Schema>>;
  /** The product of another sensor mapping the same change: where both run, the summary says where they agree. */
  corroborates?: Corroboration;
  /** Value rasters besides the classes. */
  rasters?: readonly ValueRaster[];
  params: Schema;
  classes: readonly ClassInfo[];
  /** A confidence raster (`<type>-confidence`) grading the pixels of `changeClass`. */
  confidence?: { title: string; changeClass: number };
  classify(block: ProductBlock, params: z.infer<Schema>): ProductPixels;
  patches: ReadonlyArray<PatchRule<z.infer<Schema>>>;
  /** Sentences a reader must know before citing the product's figures, written from the data. */
  caveats(context: CaveatContext<z.infer<Schema>>): string[];
  /** When a site of this product counts as revegetating (forest loss: NDVI back above the forest threshold). */
  revegetating?: RevegetationRule<z.infer<Schema>>;
  /** The previews' overlay when this product leads the run (the first computed product that has one). */
  preview?: PreviewSpec;
  /** Computed for every AOI, asked for or not: the report's headline and history are its figures. */
  always?: true;
  /**
   * The parameters are in every item's inputs digest, not only where the product is asked for: true for the
   * products of the first digest format (forest loss, settlement change, mining expansion), so items published
   * before the registry stay current. A product added since enters the digest only where an AOI asks for it, so
   * adding a product does not recompute every AOI.
   */
  inEveryDigest?: true;
}

/** Any registered product, its parameter types erased (the registry's element type). */
export type AnyProduct = ProductDefinition<string, string, z.ZodObject>;

/** Declares a product; the identity function that keeps its literal types for the registry. */
export function defineProduct<const Type extends string, const Key extends string, Schema extends z.ZodObject>(
  definition: ProductDefinition<Type, Key, Schema>,
): ProductDefinition<Type, Key, Schema> {
  return definition;
}

/** A patch that reaches the minimum mapping unit. */
export const atLeastMmu = (patch: Patch, params: { minimumMappingUnitHa: number }): boolean =>
  patch.hectares >= params.minimumMappingUnitHa;
