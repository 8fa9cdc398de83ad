import { pathToFileURL } from 'node:url';
import type { RasterOpener } from './raster.opener.js';

/** An open published raster: what the opener gives for a scene's asset. */
export type PublishedRaster = Awaited<ReturnType<RasterOpener['open']>>;

/** Opens a raster the store holds, by its key. */
export type PublishedRasters = (key: string) => Promise<PublishedRaster>;

/**
 * Published rasters (an item's COGs) read back through the composed opener: the store's URL and the key make an
 * href (`file:///…/key` or `s3://bucket/prefix/key`), and the opener picks the byte source for its scheme, as for a
 * scene (range reads, the S3 client of `store.s3`), so a chip of a large AOI reads only the tiles it shows.
 */
export function publishedRasters(opener: RasterOpener, storeUrl: string): PublishedRasters {
  const root = storeUrl.replace(/\/+$/, '');
  // The folder store's URL is `file://` and its path as is (not percent-encoded): made a proper file URL here.
  const hrefOf = root.startsWith('file://')
    ? (key: string) => pathToFileURL(`${root.slice('file://'.length)}/${key}`).href
    : (key: string) => `${root}/${key}`;
  return (key) => {
    const href = hrefOf(key);
    return opener.open(
      { key: 'published', href, band: 0, scale: 1, offset: 0 },
      { id: key, collection: 'changewatch', profile: 'published', datetime: '', bands: {} },
    );
  };
}
