import type { S3Client } from '@aws-sdk/client-s3';
import { openByteSource } from '../io/byte.source.js';
import { RasterReader } from '../io/cog.reader.js';
import type { RetryEvent, RetryPolicy } from '../io/http.retry.js';
import type { PlanetaryComputerSigner } from '../io/pc.signer.js';
import type { ReadStats } from '../ports.js';
import { totalStats } from './scene.read.js';
import type { Scene, SceneAsset } from './stac.profiles.js';

/**
 * Opens the rasters of scenes: signs hrefs whose provider needs it, picks the byte source by scheme, and keeps one
 * reader per href (multi-band assets share a file) so the header is read once.
 */
export interface RasterOpener {
  open(asset: SceneAsset, scene: Scene): Promise<RasterReader>;
  /** Requests and bytes of every raster opened so far. */
  stats(): ReadStats;
  close(): Promise<void>;
}

export function createRasterOpener(options: {
  s3?: () => S3Client;
  signer?: PlanetaryComputerSigner;
  policy?: Partial<RetryPolicy>;
  onRetry?: (event: RetryEvent) => void;
}): RasterOpener {
  const readers = new Map<string, Promise<RasterReader>>();
  const opened: RasterReader[] = [];
  return {
    open(asset, scene) {
      const cached = readers.get(asset.href);
      if (cached) return cached;
      const opening = (async () => {
        const href =
          scene.signing === 'planetary-computer' && options.signer
            ? await options.signer.sign(asset.href, scene.collection)
            : asset.href;
        const reader = await RasterReader.open(
          openByteSource(href, {
            ...(options.s3 ? { s3: options.s3 } : {}),
            ...(options.policy ? { policy: options.policy } : {}),
            ...(options.onRetry ? { onRetry: options.onRetry } : {}),
          }),
        );
        opened.push(reader);
        return reader;
      })();
      readers.set(asset.href, opening);
      opening.catch(() => readers.delete(asset.href));
      return opening;
    },
    stats() {
      return totalStats(opened);
    },
    async close() {
      await Promise.allSettled(readers.values());
      await Promise.all(opened.map((reader) => reader.close()));
      readers.clear();
    },
  };
}
