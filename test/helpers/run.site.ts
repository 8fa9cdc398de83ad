import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { buildBukavuCatalog } from './bukavu.js';
import { ROOT } from './paths.js';
import { startStacServer, type StacServer } from './stac.server.js';

/**
 * A small deployment for run tests: AOI files in a folder, a STAC API on loopback serving the real Bukavu scenes
 * (items built from ../shared/data, asset hrefs absolute as an API serves them), and a config file pointing at
 * them and at a store.
 */

type Json = Record<string, unknown>;

export const WINDOWS = { baseline: '2021-06-01/2021-07-15', monitoring: '2021-08-15/2021-09-30' };

/** A rectangle AOI file's GeoJSON: forest loss over `windows`. */
export function rectangleAoi(id: string, [west, south, east, north]: number[], windows = WINDOWS): Json {
  return {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: { role: 'aoi', id, name: `Test ${id}`, kind: 'custom', analyses: ['forest-loss'], windows },
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [west, south],
              [east, south],
              [east, north],
              [west, north],
              [west, south],
            ],
          ],
        },
      },
    ],
  };
}

export interface RunSite {
  dir: string;
  aoiDir: string;
  stac: StacServer;
  items: Json[];
  configFile: string;
  storeUrl: string;
}

/** The Bukavu items, hrefs made absolute; `withhold` ids are left out of the server at first. */
export async function bukavuItems(): Promise<{ collection: string; items: Json[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-site-catalog-'));
  const catalog = await buildBukavuCatalog(dir);
  const itemDir = join(dirname(catalog.catalog), 'items');
  const items = readdirSync(itemDir).map((name) => {
    const item = JSON.parse(readFileSync(join(itemDir, name), 'utf8')) as Json & {
      assets: Record<string, { href: string }>;
      links: Array<{ rel: string; href: string }>;
    };
    for (const asset of Object.values(item.assets)) asset.href = resolve(itemDir, asset.href);
    item.links = item.links.filter((link) => link.rel !== 'self' && link.rel !== 'root' && link.rel !== 'parent');
    return item;
  });
  return { collection: String(items[0]!.collection), items };
}

export async function startRunSite(input: {
  aois: Array<{ id: string; bbox?: number[]; copyOf?: string }>;
  items: Json[];
  collections: string[];
  storeUrl?: string;
  extraConfig?: Json;
}): Promise<RunSite> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-site-'));
  const aoiDir = join(dir, 'aoi');
  mkdirSync(aoiDir);
  for (const aoi of input.aois) {
    if (aoi.copyOf) {
      const text = readFileSync(join(ROOT, 'aoi', `${aoi.copyOf}.geojson`), 'utf8');
      writeFileSync(join(aoiDir, `${aoi.id}.geojson`), text.replace(`"id":"${aoi.copyOf}"`, `"id":"${aoi.id}"`));
    } else {
      writeFileSync(join(aoiDir, `${aoi.id}.geojson`), JSON.stringify(rectangleAoi(aoi.id, aoi.bbox!)));
    }
  }
  const stac = await startStacServer({ items: input.items, pageSize: 50 });
  const storeUrl = input.storeUrl ?? `file://${join(dir, 'store')}`;
  const configFile = join(dir, 'changewatch.config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      stac: { url: stac.url, collections: input.collections },
      store: { url: storeUrl },
      aoi: { dir: aoiDir },
      log: { level: 'warn' },
      schedule: { heartbeatFile: join(dir, 'heartbeat.json') },
      ...input.extraConfig,
    }),
  );
  return { dir, aoiDir, stac, items: input.items, configFile, storeUrl };
}
