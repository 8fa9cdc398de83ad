import { z } from 'zod';
import { ANALYSES, AOI_KINDS, SLUG } from '../aoi/aoi.schema.js';
import { ZONE_STATUSES } from '../aoi/zone.versions.js';
import { SITE_STATES } from '../workers/sites.js';

/**
 * The summary a report author cites: the shape of `summary.json`, one per AOI and monitoring period. The zod schemas
 * below are the one source of truth: the types are inferred from them, and `reports/summary.schema.json` is generated
 * from `SummarySchema` by {@link summaryJsonSchemaText} (`npm run schema`; a unit test fails when it is stale).
 */

export const SUMMARY_SCHEMA_VERSION = 2;

/** Where the published JSON Schema says it lives; kept from the hand-written schema so validators' caches still match. */
export const SUMMARY_SCHEMA_ID = 'https://github.com/changewatch/changewatch/reports/summary.schema.json';

/** A share of an area, 0-1. */
const fraction = (description: string) => z.number().min(0).max(1).meta({ description });
/** A count of pixels or patches. */
const count = (description: string) => z.int().min(0).meta({ description });
/** Hectares: never negative. */
const hectares = (description: string) => z.number().min(0).meta({ description });

export const TallySchema = z
  .strictObject({
    pixels: count('Grid pixels, each counted once; equals a count of the class value in the raster.'),
    hectares: hectares('Hectares of those pixels, geodesic on WGS84, rounded to 4 decimals (`roundHa`).'),
  })
  .meta({ id: 'tally' });
export type Tally = z.infer<typeof TallySchema>;

/** Tallies keyed by class or confidence name. */
const TalliesSchema = z.record(z.string(), TallySchema).meta({ id: 'tallies' });

export const SceneRowSchema = z.strictObject({
  id: z.string().meta({ description: 'The STAC item id.' }),
  datetime: z.iso.datetime().meta({ description: "Acquisition time, ISO 8601 UTC, from the item's `datetime`." }),
  cloudCover: z
    .number()
    .min(0)
    .max(100)
    .nullable()
    .meta({ description: "The item's `eo:cloud_cover` in percent (0-100), or null when it has none." }),
  collection: z.string().meta({ description: 'The STAC collection id.' }),
  platform: z.string().nullable().meta({ description: "The item's `platform`, lowercased, or null when it has none." }),
  href: z.string().nullable().meta({ description: "The item's own link when the catalog gave one." }),
});
export type SceneRow = z.infer<typeof SceneRowSchema>;

export const PeriodSummarySchema = z
  .strictObject({
    window: z.string().meta({ description: 'The window as the AOI file or the run wrote it.' }),
    start: z.iso.datetime().meta({ description: 'Inclusive start, ISO 8601 UTC.' }),
    end: z.iso.datetime().meta({ description: 'Exclusive end, ISO 8601 UTC.' }),
    observationDates: z.array(z.iso.date()).meta({ description: 'Observation dates with data over the AOI.' }),
    clearFraction: fraction("Share (0-1) of the AOI's area seen clear at least once."),
    scenes: z.array(SceneRowSchema).meta({ description: 'Scenes that covered some of the AOI.' }),
    skipped: z
      .array(z.strictObject({ id: z.string(), reason: z.string() }))
      .optional()
      .meta({
        description:
          'Scenes the catalog offered that were not used, with why (a file that disagrees with its STAC item); absent when none.',
      }),
  })
  .meta({ id: 'period' });
export type PeriodSummary = z.infer<typeof PeriodSummarySchema>;

export const ZoneVersionSchema = z
  .strictObject({
    validFrom: z.iso.date().nullable().meta({ description: "The version's first valid day; null: open." }),
    validTo: z.iso.date().nullable().meta({ description: "The version's last valid day; null: open." }),
    status: z.enum(ZONE_STATUSES).meta({
      description:
        'What the zone was on the last day of the monitoring window: `in-force` (this version was valid), `expired` (its last version had ended: the figures are inside that expired version), `not-yet-valid` (its first version had not started).',
    }),
  })
  .meta({
    id: 'zoneVersion',
    description:
      "Which version of the zone the figures use: the one valid on the monitoring window's last day (a zone without dates is valid at all times).",
  });

export type ZoneVersion = z.infer<typeof ZoneVersionSchema>;

export const ZoneSummarySchema = z.strictObject({
  name: z.string().meta({ description: "The zone's name from the AOI file." }),
  version: ZoneVersionSchema,
  hectares: hectares('Area of the grid pixels whose centre lies in the zone.'),
  classes: TalliesSchema.meta({ description: 'Pixels and hectares per class name inside the zone.' }),
  confidence: TalliesSchema.meta({ description: 'Change pixels inside the zone by confidence name.' }),
  clearFraction: z
    .strictObject({
      baseline: fraction("Share (0-1) of the zone's area seen clear at least once in the baseline period."),
      monitoring: fraction("Share (0-1) of the zone's area seen clear at least once in the monitoring period."),
    })
    .meta({ description: 'Share (0-1) of the zone seen clear at least once, per period.' }),
});
export type ZoneSummary = z.infer<typeof ZoneSummarySchema>;

export const LastClearSchema = z
  .strictObject({
    pixels: count('Grid pixels of the area (inside the AOI).'),
    mostSeenOn: z.iso.date().nullable().meta({
      description:
        "The date by which most of the area was last seen clear: the median of its pixels' last clear dates in the monitoring window (the `last-clear` raster), a pixel never seen clear counting as older than any date, and for an even count the later of the two middle dates; so the latest date by which at least half of its pixels were seen clear. Null when fewer than half were seen clear in the window.",
    }),
    seenWithin: z
      .strictObject({
        days30: fraction("Share (0-1) of the area's pixels seen clear in the last 30 days before the window's end."),
        days60: fraction("Share (0-1) of the area's pixels seen clear in the last 60 days before the window's end."),
        days90: fraction("Share (0-1) of the area's pixels seen clear in the last 90 days before the window's end."),
      })
      .meta({
        description:
          "Share of the area's pixels whose last clear date in the monitoring window falls in the last 30, 60 or 90 days before the window's (exclusive) end.",
      }),
  })
  .meta({ id: 'lastClear' });
export type LastClearSummary = z.infer<typeof LastClearSchema>;

export const ZoneLastClearSchema = LastClearSchema.extend({
  name: z.string().meta({ description: "The zone's name from the AOI file." }),
  version: ZoneVersionSchema,
}).meta({ id: 'zoneLastClear' });

export const ProductSummarySchema = z
  .strictObject({
    classes: TalliesSchema.meta({
      description:
        'Pixels and hectares per class name inside the AOI; pixels equal a count of the class in the raster.',
    }),
    confidence: TalliesSchema.meta({ description: 'Change pixels by confidence name.' }),
    patches: z
      .strictObject({
        kept: count('Change patches at or above the minimum mapping unit: those in the polygons.'),
        belowMinimumMappingUnit: count('Change patches dropped for being smaller than the minimum mapping unit.'),
      })
      .meta({ description: 'Connected change patches, kept and dropped.' }),
    parameters: z
      .record(z.string(), z.unknown())
      .meta({ description: "The product's parameters as the run used them." }),
    zones: z
      .record(z.string(), ZoneSummarySchema)
      .meta({ description: 'The same figures per zone, keyed by zone id.' }),
    agreement: z
      .strictObject({
        with: z.string().meta({ description: 'The product of the other sensor mapping the same change.' }),
        both: TallySchema.meta({ description: 'Change in both products: both sensors saw it.' }),
        onlyThis: TallySchema.meta({
          description: 'Change in this product only, where the other saw the ground and found none.',
        }),
        onlyThisUnseenByOther: TallySchema.meta({
          description: 'Change in this product only, where the other did not see the ground (optical: cloud).',
        }),
        onlyOther: TallySchema.meta({ description: 'Change in the other product only.' }),
        independent: z.boolean().meta({
          description:
            "False when this product fused the other's observations into its own: then 'both' is not two sensors confirming each other.",
        }),
      })
      .optional()
      .meta({
        description:
          'Where the product this one corroborates (radar forest loss: optical forest loss) was computed too, their change pixels inside the AOI by which sensor saw them, from the final classes. Absent otherwise.',
      }),
    observed: z
      .strictObject({
        baseline: fraction("Share (0-1) of the AOI's area its sensor observed at least once in the baseline period."),
        monitoring: fraction(
          "Share (0-1) of the AOI's area its sensor observed at least once in the monitoring period.",
        ),
      })
      .optional()
      .meta({
        description:
          "Products with a sensor of their own (radar, which sees through cloud: every pass observes): the share of the AOI it observed, in place of the optical composites' clear coverage (`periods.*.clearFraction`). Absent for optical products.",
      }),
  })
  .meta({ id: 'product' });
export type ProductSummary = z.infer<typeof ProductSummarySchema>;

export const AssetDigestSchema = z.strictObject({
  href: z.string().meta({ description: "The asset's file, relative to the summary." }),
  type: z.string().meta({ description: 'Media type.' }),
  bytes: count('Size of the file in bytes.'),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .meta({ description: 'SHA-256 of the file, lowercase hex.' }),
});
export type AssetDigest = z.infer<typeof AssetDigestSchema>;

/**
 * Product names as keys. A regex rather than `z.enum(ANALYSES)`: a record keyed by an enum is exhaustive in zod 4
 * (every product required) and `z.partialRecord` would type each entry as possibly undefined; this keeps
 * `Record<string, ProductSummary>` for the code and emits `propertyNames.pattern` for the JSON Schema.
 */
const ProductNameSchema = z.string().regex(new RegExp(`^(?:${ANALYSES.join('|')})$`));

/** Site states as keys, as product names (a record keyed by an enum would require every state). */
const SiteStateKeySchema = z.string().regex(new RegExp(`^(?:${SITE_STATES.join('|')})$`));
const SitesByStateSchema = z.record(SiteStateKeySchema, count('Sites in that state.'));

export const SiteCountsSchema = z
  .strictObject({
    byState: SitesByStateSchema.meta({ description: 'Sites per state; states no site is in are left out.' }),
    byZone: z.record(z.string(), SitesByStateSchema).meta({
      description:
        'Per zone id, the sites whose footprint reaches into the zone, per state; zones no site reaches are left out.',
    }),
  })
  .meta({ id: 'siteCounts' });
export type SiteCounts = z.infer<typeof SiteCountsSchema>;

export const SummarySchema = z
  .strictObject({
    schemaVersion: z.literal(SUMMARY_SCHEMA_VERSION).meta({
      description: 'Version of this schema; raised when a field changes meaning or is removed.',
    }),
    software: z
      .strictObject({
        name: z.literal('changewatch').meta({ description: 'Always changewatch.' }),
        version: z.string().min(1).meta({ description: "changewatch's package version." }),
      })
      .meta({ description: 'The software that wrote the summary.' }),
    item: z.string().meta({ description: 'Id of the STAC item the summary belongs to.' }),
    inputs: z
      .string()
      .regex(/^[0-9a-f]{16}$/)
      .meta({ description: "Digest of the inputs (scenes, AOI, parameters, version); names the assets' folder." }),
    aoi: z
      .strictObject({
        id: z.string().regex(SLUG).meta({ description: "The AOI's id (a slug: lowercase letters, digits, hyphens)." }),
        name: z.string().meta({ description: "The AOI's name." }),
        kind: z.enum(AOI_KINDS).meta({ description: 'What the AOI is, for reports and default parameters.' }),
        hectares: hectares('Geodesic area of the AOI polygon on WGS84.'),
        gridHectares: hectares(
          'Area of the grid pixels whose centre lies in the AOI: what the class hectares add up to.',
        ),
        source: z.string().nullable().meta({ description: 'Where the boundary came from, or null when unsaid.' }),
      })
      .meta({ description: 'The area of interest.' }),
    grid: z
      .strictObject({
        epsg: z.int().min(1).meta({ description: 'EPSG code of the grid CRS.' }),
        width: z.int().min(1).meta({ description: 'Columns.' }),
        height: z.int().min(1).meta({ description: 'Rows.' }),
        transform: z.array(z.number()).length(6).meta({
          description:
            'GDAL geotransform: originX, pixelWidth, rowRotation, originY, columnRotation, pixelHeight (negative).',
        }),
        resolution: z.number().positive().meta({ description: 'Pixel size in CRS units (metres).' }),
        pixelArea: z.string().meta({ description: 'How the area of a pixel was computed.' }),
      })
      .meta({ description: 'The analysis grid every raster of the item shares.' }),
    periods: z
      .strictObject({ baseline: PeriodSummarySchema, monitoring: PeriodSummarySchema })
      .meta({ description: 'The baseline and monitoring periods compared.' }),
    analyses: z
      .strictObject({
        requested: z.array(z.string()).meta({ description: 'The analyses the AOI asked for.' }),
        notComputed: z
          .record(z.string(), z.string())
          .meta({ description: 'Why each requested analysis without a product has none, keyed by analysis.' }),
      })
      .meta({
        description:
          'The analyses the AOI asked for; notComputed names each one without a product and says why, so a missing product is never read as no change.',
      }),
    // zod records have no size check and refinements do not reach the JSON Schema: the rule is written once for
    // each (refine for parsing, minProperties for the schema), and the unit test checks that both refuse `{}`.
    products: z
      .record(ProductNameSchema, ProductSummarySchema)
      .refine((products) => Object.keys(products).length > 0, 'a summary has at least one product')
      .meta({ description: 'Figures per product computed, keyed by product name.', minProperties: 1 }),
    parameters: z.record(z.string(), z.unknown()).meta({ description: 'The run parameters behind the figures.' }),
    assets: z
      .record(z.string(), AssetDigestSchema)
      .meta({ description: 'Every other asset of the item, with its checksum, keyed by STAC asset key.' }),
    caveats: z.array(z.string()).meta({ description: 'Sentences a reader needs before citing the figures.' }),
    lastClear: z
      .strictObject({
        asset: z.literal('last-clear').meta({ description: 'The raster the figures are computed from.' }),
        windowEnd: z.iso
          .date()
          .meta({ description: "The monitoring window's exclusive end: the spans count back from it." }),
        aoi: LastClearSchema.meta({ description: 'The figures of the whole AOI.' }),
        zones: z
          .record(z.string(), ZoneLastClearSchema)
          .meta({ description: 'The figures of each zone (cut to the AOI), keyed by zone id.' }),
      })
      .meta({
        description:
          'What was not seen: when most of the AOI and of each zone was last seen clear in the monitoring window, and how much of it was seen lately. Ground not seen has no finding either way: it is never "no change".',
      }),
    sites: SiteCountsSchema.optional().meta({
      description:
        "The AOI's sites (`<aoi>/sites.geojson`, every feature, merged ones included) as folded when this item was published, from every published item and this one; later runs update sites.geojson, not this. Absent in summaries written before sites were counted.",
    }),
  })
  .meta({
    title: 'changewatch summary',
    description:
      'Figures for one AOI and monitoring period, with the scenes, parameters and software behind them. Published as the `summary` asset of each STAC item.',
  });
export type Summary = z.infer<typeof SummarySchema>;

/** The words of the caveat for windows in different seasons, which the report page also shows beside its headline. */
export const SEASONAL_MISMATCH = 'cover different times of the year';

export const roundHa = (hectares: number): number => Number(hectares.toFixed(4));

/**
 * `SummarySchema` as JSON Schema draft-07 (the draft of ajv's default `Ajv` class, which the tests validate real
 * summaries with), keeping the `$id` and title the hand-written schema had. `reports/summary.schema.json` is this
 * text once prettier has formatted it (`npm run schema` does both).
 */
export function summaryJsonSchemaText(): string {
  const { $schema, title, description, ...rest } = z.toJSONSchema(SummarySchema, { target: 'draft-07' });
  return `${JSON.stringify({ $schema, $id: SUMMARY_SCHEMA_ID, title, description, ...rest }, null, 2)}\n`;
}
