import { z } from 'zod';
import { DEFAULT_CLOUD_CLEANUP } from '../workers/change.block.js';
import { PRODUCTS } from '../workers/products/index.js';
import { SITE_STATES } from '../workers/sites.js';

/**
 * Fields whose values are secrets: `changewatch config check` prints them as `<redacted>` and logs never
 * carry them. Mark a field with {@link secret} and redaction follows; there is no second list to keep in step.
 */
export const secretFields = z.registry<{ secret: true }>();

function secret<T extends z.ZodType>(schema: T): T {
  secretFields.add(schema, { secret: true });
  return schema;
}

/** Earth Search v1 by Element 84: public Sentinel-2 L2A and Landsat C2 L2 STAC API (no key needed). */
export const EARTH_SEARCH_V1 = 'https://earth-search.aws.element84.com/v1';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** An absolute http(s) URL, or a path or file:// URL of a local static catalog. */
const StacLocation = z.string().min(1, 'must not be empty');

/** `file://PATH` (a local folder) or `s3://BUCKET[/PREFIX]`. */
const StoreUrl = z.string().regex(/^(file:\/\/.+|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?)$/, {
  message: 'must be file://PATH or s3://BUCKET[/PREFIX] (bucket names: lowercase letters, digits, dots, hyphens)',
});

export const StacConfigSchema = z.strictObject({
  /** STAC API root, or a static `catalog.json` (path or URL). Default: Earth Search v1. */
  url: StacLocation.default(EARTH_SEARCH_V1),
  /**
   * Collections searched, in order of preference. Default: Sentinel-2 L2A on Earth Search v1.
   * Landsat C2 L2 on Earth Search lives in requester-pays buckets and is not in the default.
   */
  collections: z.array(z.string().min(1)).min(1).default(['sentinel-2-l2a']),
  /** Scenes whose `eo:cloud_cover` (percent, 0-100) exceeds this are not used. Default 60. AOIs may override. */
  maxCloudCover: z.number().min(0).max(100).default(60),
  /** Extra HTTP headers for the STAC API (e.g. `Authorization` of a private catalog). Secret. */
  headers: secret(z.record(z.string(), z.string())).default({}),
  /** Timeout of one STAC request, in milliseconds. Default 30000. */
  timeoutMs: z.number().int().positive().default(30_000),
});

export const S3ConfigSchema = z.strictObject({
  /**
   * Endpoint of an S3-compatible server (MinIO, Ceph, Swift), e.g. `http://127.0.0.1:9000`. Unset: AWS.
   * Credentials never live in this file: they come from the standard AWS chain (env, profile, instance role).
   */
  endpoint: z.url().optional(),
  /** Region. Default `us-east-1`. */
  region: z.string().min(1).default('us-east-1'),
  /** Path-style addressing (`endpoint/bucket/key`), needed by most self-hosted servers. Default false. */
  forcePathStyle: z.boolean().default(false),
});

export const StoreConfigSchema = z.strictObject({
  /** Where outputs, state and reports go: `file://PATH` or `s3://BUCKET[/PREFIX]`. Default `file://./out`. */
  url: StoreUrl.default('file://./out'),
  s3: S3ConfigSchema.prefault({}),
});

export const AoiConfigSchema = z.strictObject({
  /** Folder holding one GeoJSON file per AOI (`*.geojson`). Default `aoi` (the seed AOIs). */
  dir: z.string().min(1).default('aoi'),
  /**
   * AOIs larger than this (km², geodesic on WGS84) are refused: a typo in a polygon should not order a
   * continent's worth of scenes. Default 10000 km² (Kahuzi-Biega National Park is about 6,000 km²).
   */
  maxAreaKm2: z.number().positive().default(10_000),
});

export const LogConfigSchema = z.strictObject({
  /** pino level. Default `info`. */
  level: z.enum(LOG_LEVELS).default('info'),
});

type Products = (typeof PRODUCTS)[number];

/**
 * `analysis.<product>`: each registered product's parameters under its config key (`forestLoss`,
 * `settlementChange`…), with the product's own defaults, ranges and doc comments (workers/products/).
 */
function productParameters(): { [P in Products as P['configKey']]: z.ZodPrefault<P['params']> } {
  return Object.fromEntries(
    PRODUCTS.map((product) => [product.configKey, (product.params as z.ZodObject).prefault({})]),
  ) as never;
}

export const AnalysisConfigSchema = z.strictObject({
  /**
   * Output pixel size, metres, or `auto` (the default): 30 m when every scene of a period is Landsat, else 10 m
   * (Sentinel-2, and exports whose sensor the catalog does not say).
   */
  resolution: z.union([z.literal('auto'), z.number().positive()]).default('auto'),
  /** Block edge, pixels, for block-wise processing. Default 512. */
  blockSize: z.number().int().min(64).max(4096).default(512),
  /** Worker threads. Default: the machine's parallelism. */
  maxThreads: z.number().int().min(1).optional(),
  /**
   * AOIs whose computation would need more memory than this (MiB, estimated before reading anything) fail with a
   * clear reason instead of exhausting the machine. Default: 75 % of the machine's memory.
   */
  memoryLimitMiB: z.number().int().min(256).optional(),
  cloud: z
    .strictObject({
      /** Opening radius of the cloud/shadow mask, pixels. Default 2 (Open Data Cube geomedian). */
      openPx: z.number().int().min(0).max(50).default(DEFAULT_CLOUD_CLEANUP.openPx),
      /** Dilation radius after the opening, pixels. Default 5 (Open Data Cube geomedian). */
      dilatePx: z.number().int().min(0).max(100).default(DEFAULT_CLOUD_CLEANUP.dilatePx),
      /** Exclude snow/ice (SCL 11, QA_PIXEL bit 5, Fmask 3). Default true. */
      excludeSnow: z.boolean().default(DEFAULT_CLOUD_CLEANUP.excludeSnow),
    })
    .prefault({}),
  ...productParameters(),
});

export const RunConfigSchema = z.strictObject({
  /** Length of the rolling monitoring window of AOIs without explicit windows, days up to the run date. Default 90. */
  monitoringDays: z.number().int().min(1).max(366).default(90),
  /** The baseline is the same calendar window this many years earlier (same season). Default 1. */
  baselineYearsBack: z.number().int().min(1).max(10).default(1),
  /** How long an AOI lease lasts without renewal, minutes; a crashed holder blocks the AOI at most this long. Default 60. */
  leaseMinutes: z.number().int().min(1).max(1440).default(60),
  /**
   * How many array tasks share the night's work units, for engines whose task index comes without a count
   * (Kubernetes Indexed Jobs' `JOB_COMPLETION_INDEX`: set it to the Job's `completions`; a run that sees that index
   * without this count stops). `--shard I/N` and the Slurm and AWS Batch variables carry their own count (README
   * "Scaling out"). Default unset.
   */
  shardCount: z.number().int().min(1).max(100_000).optional(),
  /**
   * An AOI whose grid has more pixels than this is planned as stripes of whole block rows, each about this many
   * pixels and a work unit of its own, plus a reduce unit (README "Scaling out"). Default 200,000,000 (20,000 km² at
   * 10 m: Kahuzi-Biega's 170 Mpx stays one unit).
   */
  stripeMinPixels: z.number().int().min(1).default(200_000_000),
});

export const SitesConfigSchema = z.strictObject({
  /**
   * A change patch joins a site when it overlaps the site's footprint or lies within this distance of it, metres
   * (rounded up to whole pixels, Chebyshev: at 10 m the default is 3 pixels, at 30 m one, so diagonal neighbours
   * join). Default 30.
   */
  matchDistanceM: z.number().min(0).max(1000).default(30),
  /** A site that has not grown by its product's minimum mapping unit for this many periods is inactive. Default 2. */
  inactiveAfterPeriods: z.number().int().min(1).max(100).default(2),
});

export const ScheduleConfigSchema = z.strictObject({
  /**
   * Cron expression (node-cron: optional seconds field first). Default nightly at 02:00. Checked with node-cron's
   * own parser when the configuration is loaded.
   */
  cron: z.string().min(1).default('0 2 * * *'),
  /** IANA time zone of the cron expression. Default Africa/Lubumbashi (eastern DR Congo, UTC+2). */
  timezone: z
    .string()
    .refine(
      (zone) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      },
      { message: 'is not an IANA time zone, e.g. "Africa/Lubumbashi"' },
    )
    .default('Africa/Lubumbashi'),
  /** File the scheduler touches every minute and after each run; the container health check reads it. */
  heartbeatFile: z.string().min(1).default('/tmp/changewatch.heartbeat.json'),
});

/**
 * The name of an environment variable holding a secret (a webhook's HMAC key, an SMTP password): the secret itself
 * never lives in the config. `CHANGEWATCH_*` names are refused: changewatch reads those as config fields.
 */
const SecretEnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name (letters, digits, _)' })
  .refine((name) => !name.startsWith('CHANGEWATCH_'), {
    message: 'must not start with CHANGEWATCH_ (those are config fields): name a variable such as ALERTS_SECRET',
  });

/** One alert rule: a site matches when it meets every condition given. */
export const AlertRuleSchema = z.strictObject({
  /** Only sites of this product (a registry type: `forest-loss`…). Default: any product. */
  product: z.enum(PRODUCTS.map((product) => product.type) as [Products['type'], ...Products['type'][]]).optional(),
  /** Site states that alert. Default `["new", "expanding"]`. */
  states: z.array(z.enum(SITE_STATES)).min(1).default(['new', 'expanding']),
  /** Only sites of at least this many hectares (geodesic footprint). Default: any size. */
  minHectares: z.number().min(0).optional(),
  /** Only sites reaching this zone of the AOI (its `id`). Default: anywhere in the AOI. */
  zone: z.string().min(1).optional(),
});

/** When a zone (or the AOI) has gone unseen too long: most of it without a clear view for more than `afterDays`. */
export const UnseenRuleSchema = z.strictObject({
  /**
   * Days, counted back from the monitoring window's end, that most of an area may go without a clear view before it
   * alerts (most of it: the median of its pixels' last clear dates, README "Outputs").
   */
  afterDays: z.int().min(1),
  /** Only these zones (their `id`). Default: every zone of the AOI. */
  zones: z.array(z.string().min(1)).min(1).optional(),
  /** Whether the whole AOI alerts too. Default true. */
  aoi: z.boolean().default(true),
});

export const ReportsConfigSchema = z.strictObject({
  /**
   * Colour composites of both periods for the map and figures (true colour where every scene has blue, green and
   * red, else NIR-red-green false colour): the run reads those bands too, about half again as many bytes for
   * Sentinel-2. Default true; none is made from red and NIR alone.
   */
  composites: z.boolean().default(true),
  /**
   * An online basemap under the report page's map: an XYZ tile URL template and the credit its provider asks for.
   * Default: none (the pages fetch nothing outside the store). Off until the reader ticks it, so a page read offline
   * never asks for tiles.
   */
  basemap: z
    .strictObject({
      url: z
        .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
        .refine((url) => ['{z}', '{x}', '{y}'].every((part) => decodeURI(url).includes(part)), {
          message: 'must hold {z}, {x} and {y} (an XYZ tile template)',
        }),
      attribution: z.string().min(1),
    })
    .optional(),
});

export const AlertsConfigSchema = z.strictObject({
  /**
   * A site alerts when it matches any rule. Default one rule: new or expanding sites of any product, size and zone.
   * Alerts go nowhere until a channel (`webhook`, `email`) is configured.
   */
  rules: z.array(AlertRuleSchema).min(1).prefault([{}]),
  /** Alert when most of a zone or of the AOI has had no clear view for too long. Default: unset (no such alert). */
  unseen: UnseenRuleSchema.optional(),
  /** Language of the digests: `en` or `fr` (field staff in Goma and Bukavu read French). Default `en`. */
  language: z.enum(['en', 'fr']).default('en'),
  /**
   * Public base URL of the store (an S3 static-website endpoint, a CDN), so digests link to report pages
   * (`<publicUrl>/<aoi>/reports/<run>.html`). Default: the store URL and the page's key.
   */
  publicUrl: z.url().optional(),
  /** JSON POST of each digest, signed with HMAC-SHA256 (`X-Changewatch-Signature`). Default: none. */
  webhook: z
    .strictObject({
      /**
       * Where digests are POSTed (http or https). Secret: receivers often put their token in the path or query, so
       * `config check` redacts it and logs show only its origin.
       */
      url: secret(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })),
      /** Name of the environment variable holding the HMAC secret (never the secret itself). */
      secretEnv: SecretEnvName,
      /** Timeout of one POST, milliseconds. Default 10000. Failures are retried with backoff within the run. */
      timeoutMs: z.number().int().positive().default(10_000),
    })
    .optional(),
  /** Email over SMTP (nodemailer). Default: none. */
  email: z
    .strictObject({
      /** SMTP relay host name or address. */
      host: z.string().min(1),
      /** SMTP port. Default 587 (submission with STARTTLS; 465 for `tls`). */
      port: z.number().int().min(1).max(65_535).default(587),
      /**
       * `starttls` (the default: upgrade on the submission port, refuse to send without it), `tls` (TLS from the
       * first byte, port 465) or `none` (plain text: only for a relay on the same host).
       */
      security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
      /** PEM file of a certificate authority to trust besides the system ones (a relay with a private CA). */
      caFile: z.string().min(1).optional(),
      /** Sender address (`changewatch@example.org` or `"Changewatch" <changewatch@example.org>`). */
      from: z.string().min(3),
      /** Recipient addresses. */
      to: z.array(z.email()).min(1),
      /** Name of the environment variable holding the SMTP user name; unset: no authentication. */
      userEnv: SecretEnvName.optional(),
      /** Name of the environment variable holding the SMTP password (with `userEnv`). */
      passwordEnv: SecretEnvName.optional(),
      /** Timeout of connecting, greeting and each SMTP command, milliseconds. Default 10000. */
      timeoutMs: z.number().int().positive().default(10_000),
    })
    .refine((email) => !email.passwordEnv || email.userEnv, {
      message: 'needs userEnv too (the variable holding the SMTP user name)',
      path: ['passwordEnv'],
    })
    .optional(),
});

/** The whole configuration: the single source of truth for its types. */
export const ConfigSchema = z.strictObject({
  stac: StacConfigSchema.prefault({}),
  store: StoreConfigSchema.prefault({}),
  aoi: AoiConfigSchema.prefault({}),
  analysis: AnalysisConfigSchema.prefault({}),
  log: LogConfigSchema.prefault({}),
  run: RunConfigSchema.prefault({}),
  sites: SitesConfigSchema.prefault({}),
  schedule: ScheduleConfigSchema.prefault({}),
  alerts: AlertsConfigSchema.prefault({}),
  reports: ReportsConfigSchema.prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
/** What a config file, env vars or flags may say: any subset of {@link Config}. */
export type ConfigInput = z.input<typeof ConfigSchema>;
