import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A static STAC catalog (a collection with item links) written from items a test helper describes: the items go
 * to `items/` and `catalog.json` links them, as `changewatch catalog build` lays a catalog out.
 */
export async function writeItemCatalog(
  dir: string,
  collection: { id: string; description: string; interval: [string, string] },
  items: ReadonlyArray<{ id: string; bbox: number[] } & Record<string, unknown>>,
): Promise<{ catalog: string; items: number }> {
  await mkdir(join(dir, 'items'), { recursive: true });
  for (const item of items)
    await writeFile(join(dir, 'items', `${item.id}.json`), `${JSON.stringify(item, null, 2)}\n`);
  const bboxes = items.map((item) => item.bbox);
  const catalog = join(dir, 'catalog.json');
  const document = {
    type: 'Collection',
    stac_version: '1.1.0',
    id: collection.id,
    description: collection.description,
    license: 'other',
    extent: {
      spatial: {
        bbox: [
          [
            Math.min(...bboxes.map((b) => b[0]!)),
            Math.min(...bboxes.map((b) => b[1]!)),
            Math.max(...bboxes.map((b) => b[2]!)),
            Math.max(...bboxes.map((b) => b[3]!)),
          ],
        ],
      },
      temporal: { interval: [collection.interval] },
    },
    links: [
      { rel: 'root', href: './catalog.json', type: 'application/json' },
      ...items.map((item) => ({ rel: 'item', href: `./items/${item.id}.json`, type: 'application/geo+json' })),
    ],
  };
  await writeFile(catalog, `${JSON.stringify(document, null, 2)}\n`);
  return { catalog, items: items.length };
}
