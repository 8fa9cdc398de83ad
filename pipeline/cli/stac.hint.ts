import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Adapters } from '../compose.js';
import { ChangewatchError } from '../errors.js';
import type { ItemFinder } from '../io/stac.client.js';

/** The static catalog `npm run demo` builds (pipeline/tools/demo.ts), relative to the clone's root. */
export const DEMO_CATALOG = 'out/inputs/s2-bukavu/catalog.json';

/** What works without the network: the demo's catalog, and how to make it when it is not there yet. */
export function offlineHint(cwd: string): string {
  const made = existsSync(resolve(cwd, DEMO_CATALOG));
  return `to work offline, give --stac ${DEMO_CATALOG} (the demo's catalog of the Bukavu scenes${made ? '' : ', which "npm run demo" builds'})`;
}

/**
 * The finder, with the offline hint added to the error when a STAC API could not be reached (network errors,
 * timeouts and 5xx after the retries: E_NETWORK; a 4xx answer is E_STAC and keeps its own advice). The message
 * is what the run report's reason and the CLI show. Static catalogs are returned unchanged.
 */
export function withOfflineHint(finder: ItemFinder, cwd: string): ItemFinder {
  if (!/^https?:\/\//.test(finder.url)) return finder;
  return {
    url: finder.url,
    async *find(query, options) {
      try {
        yield* finder.find(query, options);
      } catch (error) {
        if (!(error instanceof ChangewatchError) || error.code !== 'E_NETWORK') throw error;
        throw new ChangewatchError('E_NETWORK', `${error.message}; ${offlineHint(cwd)}`, { cause: error });
      }
    },
  };
}

/** The adapters of a CLI command, their STAC finder giving the offline hint. */
export function withStacHint(adapters: Adapters, cwd: string): Adapters {
  return { ...adapters, finder: withOfflineHint(adapters.finder, cwd) };
}
