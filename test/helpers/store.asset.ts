import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The file of an asset of the AOI's one published item in a folder store, found by the item's own href. */
export function storedAssetPath(storeDir: string, aoiId: string, asset: string): string {
  const itemId = readdirSync(join(storeDir, aoiId)).find((name) => name.startsWith(`${aoiId}-`))!;
  const itemFile = join(storeDir, aoiId, itemId, `${itemId}.json`);
  const item = JSON.parse(readFileSync(itemFile, 'utf8')) as { assets: Record<string, { href: string }> };
  return join(dirname(itemFile), item.assets[asset]!.href);
}
