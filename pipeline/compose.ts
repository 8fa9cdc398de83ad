import type { Config } from '../config/config.schema.js';
import { ComputePool } from './analysis/pool.js';
import { openAlertChannels } from './io/alert.channels.js';
import { loadAoiDir, loadAoiFiles, type AoiLoad } from './io/aoi.repository.js';
import { openObjectStore } from './io/object.store.js';
import { PlanetaryComputerSigner } from './io/pc.signer.js';
import { createS3Client } from './io/s3.client.js';
import { openItemFinder, type ItemFinder } from './io/stac.client.js';
import type { Logger } from './log.js';
import type { AlertChannel, ObjectStore } from './ports.js';
import { createRasterOpener, type RasterOpener } from './scenes/raster.opener.js';

/**
 * The composition root: every adapter a command needs, built from the configuration in one place. The CLI, the
 * scheduler, the demo and the tests take their store, STAC finder, raster opener and worker pool from here, so an
 * adapter is configured one way only. The opener and the pool are made on first use (most commands need neither)
 * and `close()` releases whatever was made.
 */
export interface Adapters {
  readonly config: Config;
  readonly log: Logger;
  /** Where outputs, state and reports go (`store.url`). */
  readonly store: ObjectStore;
  /** The STAC API or static catalog (`stac.url`), retrying transient faults. */
  readonly finder: ItemFinder;
  /**
   * The AOI files of `aoi.dir`, parsed and checked (`aoi.maxAreaKm2`); given `files`, those files instead (an AOI
   * named by path on the command line), checked alike.
   */
  loadAois(files?: readonly string[]): Promise<AoiLoad>;
  /** Range reads of scene rasters over HTTP(S), S3 and files; Planetary Computer hrefs signed. */
  opener(): RasterOpener;
  /** The worker pool (`analysis.maxThreads`). */
  pool(): ComputePool;
  /**
   * The alert channels of `alerts.webhook` and `alerts.email` (none: alerts are off), their secrets read now from
   * the environment variables the config names; made anew on each call, closed by the caller.
   */
  alertChannels(): AlertChannel[];
  close(): Promise<void>;
}

/** Replacements for tests and tools: a store or finder other than the configured one, another worker entry. */
export interface AdapterOverrides {
  store?: ObjectStore;
  finder?: ItemFinder;
  /** The compiled worker entry; default `dist/workers/pool.entry.js` beside this module's build. */
  poolEntry?: string | URL;
  /** Where alert channels read their secrets; default `process.env`. */
  env?: Record<string, string | undefined>;
}

export const DEFAULT_POOL_ENTRY = new URL('../workers/pool.entry.js', import.meta.url);

export function compose(config: Config, log: Logger, overrides: AdapterOverrides = {}): Adapters {
  let opener: RasterOpener | undefined;
  let pool: ComputePool | undefined;
  const finder =
    overrides.finder ??
    openItemFinder(config.stac.url, {
      headers: config.stac.headers,
      policy: { timeoutMs: config.stac.timeoutMs },
      onRetry: (event) => log.warn(event, 'Stac:Request:Retry'),
      onPage: (event) => log.debug(event, 'Stac:Page:Done'),
    });
  return {
    config,
    log,
    store: overrides.store ?? openObjectStore(config.store),
    finder,
    loadAois: (files) =>
      files
        ? loadAoiFiles(files, { maxAreaKm2: config.aoi.maxAreaKm2 })
        : loadAoiDir(config.aoi.dir, { maxAreaKm2: config.aoi.maxAreaKm2 }),
    opener: () =>
      (opener ??= createRasterOpener({
        signer: new PlanetaryComputerSigner(),
        s3: () => createS3Client(config.store.s3),
        onRetry: (event) => log.warn(event, 'Raster:Request:Retry'),
      })),
    pool: () =>
      (pool ??= new ComputePool({
        entry: overrides.poolEntry ?? DEFAULT_POOL_ENTRY,
        ...(config.analysis.maxThreads ? { maxThreads: config.analysis.maxThreads } : {}),
      })),
    alertChannels: () =>
      openAlertChannels(config.alerts, overrides.env ?? process.env, {
        onRetry: (event) => log.warn(event, 'Alerts:Send:Retry'),
      }),
    async close() {
      await pool?.destroy();
      await opener?.close();
      pool = undefined;
      opener = undefined;
    },
  };
}
