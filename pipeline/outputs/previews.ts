import sharp from 'sharp';
import type { Picture } from '../../workers/render.js';

/**
 * PNG previews with sharp (libvips): the pictures `workers/render.ts` colours, a legend drawn as SVG under them,
 * and thumbnails. PNG encoding is deterministic for the same pixels, so re-running a period rewrites identical
 * files.
 */

export const PREVIEW_MAX_SIDE = 2048;
export const THUMBNAIL_MAX_SIDE = 256;

export interface LegendEntry {
  /** RRGGBB. */
  colour: string;
  label: string;
}

function raw(picture: Picture) {
  return sharp(Buffer.from(picture.rgba.buffer, picture.rgba.byteOffset, picture.rgba.byteLength), {
    raw: { width: picture.width, height: picture.height, channels: 4 },
  });
}

/**
 * zlib level 6 without adaptive row filters: measured on the Rusizi tile's four 919 × 1103 previews, 43-60 ms and
 * 646-735 KB each, against 250-288 ms and 845-964 KB at level 9 with adaptive filtering (the filters suit
 * photographs, not flat class colours and smooth ramps). The dossiers' chips are encoded in the workers
 * (workers/png.ts, level 3).
 */
const png = { compressionLevel: 6, adaptiveFiltering: false } as const;

export async function encodePng(picture: Picture): Promise<Uint8Array> {
  return new Uint8Array(await raw(picture).png(png).toBuffer());
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const ROW = 22;
const LEGEND_WIDTH = 420;

/** The picture on a white page with a title and a legend under it (swatch and label per entry). */
export async function pngWithLegend(
  picture: Picture,
  title: string,
  entries: readonly LegendEntry[],
): Promise<Uint8Array> {
  const width = Math.max(picture.width, LEGEND_WIDTH);
  const legendHeight = ROW * (entries.length + 1) + 8;
  const rows = entries
    .map(
      (entry, k) =>
        `<rect x="8" y="${ROW * (k + 1) + 4}" width="16" height="16" fill="#${entry.colour}" stroke="#555"/>` +
        `<text x="32" y="${ROW * (k + 1) + 17}">${escapeXml(entry.label)}</text>`,
    )
    .join('');
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${legendHeight}">` +
    `<g font-family="DejaVu Sans, sans-serif" font-size="13" fill="#222">` +
    `<text x="8" y="16" font-weight="bold">${escapeXml(title)}</text>${rows}</g></svg>`;
  const page = sharp({
    create: {
      width,
      height: picture.height + legendHeight,
      channels: 4,
      background: { r: 255, g: 255, b: 255, alpha: 1 },
    },
  });
  const image = await raw(picture).png().toBuffer();
  return new Uint8Array(
    await page
      .composite([
        { input: image, top: 0, left: 0 },
        { input: Buffer.from(svg), top: picture.height, left: 0 },
      ])
      .png(png)
      .toBuffer(),
  );
}

/** At most `maxSide` on the longer side, aspect kept. */
export async function thumbnailPng(picture: Picture, maxSide = THUMBNAIL_MAX_SIDE): Promise<Uint8Array> {
  return new Uint8Array(
    await raw(picture)
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true, kernel: 'nearest' })
      .png(png)
      .toBuffer(),
  );
}
