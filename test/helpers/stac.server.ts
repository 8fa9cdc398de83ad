import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { SHARED_DATA } from './paths.js';

/**
 * A STAC API on 127.0.0.1 serving real recorded items from ../shared/data/stac: landing page (Earth Search v1's,
 * conformance classes included), POST and GET /search with intersects/bbox, datetime, collections, the `query`
 * extension and CQL2 `filter` on eo:cloud_cover, paging by `next` tokens as Earth Search does, and the Planetary
 * Computer SAS token endpoint. It misbehaves on purpose when told to.
 */

type Json = Record<string, unknown>;
export type StacFault =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'invalid-json' }
  | { kind: 'not-a-collection' }
  | { kind: 'hang' }
  | { kind: 'loop' };

export interface StacServer {
  url: string;
  log: Array<{ method: string; path: string; body?: Json }>;
  tokenRequests: string[];
  misbehave(...faults: StacFault[]): void;
  /** Publishes more items, as a catalog does when new scenes arrive. */
  addItems(items: Json[]): void;
  close(): Promise<void>;
}

const STAC = join(SHARED_DATA, 'stac');
const readJson = (path: string) => JSON.parse(readFileSync(join(STAC, path), 'utf8')) as Json;

/** Every recorded item the server knows, deduplicated by collection and id. */
export function recordedItems(): Json[] {
  const sources = [
    'pystac-client-cassettes/es1_multi_00.json',
    'pystac-client-cassettes/es1_filter_01.json',
    'pystac-client-cassettes/es1_filter_02.json',
    'pystac-client-cassettes/pc_landsat_c2_l2_02.json',
    'odc-stac/site2-2020_jun_jul-35MNM.geojson',
    'odc-stac/site1-20200606-tall-strip-africa.geojson',
  ];
  const items = new Map<string, Json>();
  for (const source of sources) {
    for (const feature of readJson(source).features as Json[]) {
      items.set(`${String(feature.collection)}/${String(feature.id)}`, feature);
    }
  }
  return [...items.values()];
}

function bboxOfGeometry(geometry: { type: string; coordinates: unknown }): [number, number, number, number] {
  const flat: number[][] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value) && typeof value[0] === 'number') flat.push(value as number[]);
    else if (Array.isArray(value)) value.forEach(walk);
  };
  walk(geometry.coordinates);
  return [
    Math.min(...flat.map((p) => p[0]!)),
    Math.min(...flat.map((p) => p[1]!)),
    Math.max(...flat.map((p) => p[0]!)),
    Math.max(...flat.map((p) => p[1]!)),
  ];
}

function matches(item: Json, search: Json): boolean {
  const properties = item.properties as Json;
  const collections = search.collections as string[] | undefined;
  if (collections && !collections.includes(String(item.collection))) return false;
  if (typeof search.datetime === 'string') {
    const [start, end] = search.datetime.split('/');
    const t = Date.parse(String(properties.datetime));
    if (start && start !== '..' && t < Date.parse(start)) return false;
    if (end && end !== '..' && t > Date.parse(end)) return false;
  }
  const box = search.intersects
    ? bboxOfGeometry(search.intersects as { type: string; coordinates: unknown })
    : (search.bbox as number[] | undefined);
  const itemBox = item.bbox as number[] | undefined;
  if (
    box &&
    itemBox &&
    (itemBox[0]! > box[2]! || itemBox[2]! < box[0]! || itemBox[1]! > box[3]! || itemBox[3]! < box[1]!)
  )
    return false;
  const cloud = properties['eo:cloud_cover'];
  const query = (search.query as Json | undefined)?.['eo:cloud_cover'] as Json | undefined;
  if (query && typeof query.lte === 'number' && typeof cloud === 'number' && cloud > query.lte) return false;
  const filter = search.filter as { op?: string; args?: unknown[] } | undefined;
  if (
    filter &&
    (filter.op === '<=' || filter.op === 'lte') &&
    typeof filter.args?.[1] === 'number' &&
    typeof cloud === 'number' &&
    cloud > filter.args[1]
  ) {
    return false;
  }
  return true;
}

export async function startStacServer(
  options: {
    pageSize?: number;
    nextMethod?: 'GET' | 'POST';
    conformsTo?: string[];
    /** Items to serve instead of the recorded Earth Search ones. */
    items?: Json[];
    /** Serve the API under this path (`/v1`, as Earth Search does) instead of the root. */
    prefix?: string;
    /** Query parameters every request must carry (an API key: `{ apikey: 'K' }`); 401 without them. */
    requireQuery?: Record<string, string>;
  } = {},
): Promise<StacServer> {
  const items = options.items ? [...options.items] : recordedItems();
  const landing = readJson('pystac-client-cassettes/es1_collections_00.json');
  if (options.conformsTo) landing.conformsTo = options.conformsTo;
  const pageSize = options.pageSize ?? 10;
  const faults: StacFault[] = [];
  const log: StacServer['log'] = [];
  const tokenRequests: string[] = [];
  const searches = new Map<string, Json>();
  const sockets = new Set<Socket>();
  let origin = '';
  let base = '';
  const prefix = options.prefix ?? '';

  const send = (response: ServerResponse, status: number, body: unknown, type = 'application/geo+json') => {
    response.writeHead(status, { 'content-type': type });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  const page = (response: ServerResponse, search: Json, offset: number) => {
    const matched = items.filter((item) => matches(item, search));
    const limit = Math.min(Number(search.limit ?? pageSize), pageSize);
    const features = matched.slice(offset, offset + limit);
    const links: Json[] = [{ rel: 'root', href: base }];
    if (offset + limit < matched.length) {
      const token = `${offset + limit}`;
      if (options.nextMethod === 'GET') {
        searches.set(token, search);
        links.push({ rel: 'next', method: 'GET', href: `${base}/search?token=${token}` });
      } else {
        links.push({
          rel: 'next',
          method: 'POST',
          href: `${base}/search`,
          merge: false,
          body: { ...search, next: token },
        });
      }
    }
    send(response, 200, {
      type: 'FeatureCollection',
      features,
      links,
      numberMatched: matched.length,
      numberReturned: features.length,
    });
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', origin);
      const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json) : undefined;
      log.push({ method: request.method ?? 'GET', path: url.pathname + url.search, ...(body ? { body } : {}) });
      const tokenMatch = /^\/api\/sas\/v1\/token\/([\w-]+)$/.exec(url.pathname);
      if (tokenMatch) {
        tokenRequests.push(tokenMatch[1]!);
        send(
          response,
          200,
          {
            'msft:expiry': new Date(Date.now() + 3_600_000).toISOString(),
            token: `st=2026&se=2027&sig=SIGNED${tokenRequests.length}`,
          },
          'application/json',
        );
        return;
      }
      const missing = Object.entries(options.requireQuery ?? {}).filter(
        ([name, value]) => url.searchParams.get(name) !== value,
      );
      if (missing.length > 0) {
        return send(
          response,
          401,
          { code: 'Unauthorized', missing: missing.map(([name]) => name) },
          'application/json',
        );
      }
      if (prefix && !url.pathname.startsWith(prefix)) return send(response, 404, { code: 'NotFound' });
      url.pathname = url.pathname.slice(prefix.length);
      const fault = faults.shift();
      if (fault?.kind === 'hang') return;
      if (fault?.kind === 'status') {
        response.writeHead(fault.status, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
        response.end(JSON.stringify({ code: 'fault' }));
        return;
      }
      if (fault?.kind === 'invalid-json') return send(response, 200, '<html>Gateway error</html>', 'text/html');
      if (fault?.kind === 'not-a-collection') return send(response, 200, { hello: 'world' });
      if (url.pathname === '/' || url.pathname === '') return send(response, 200, landing, 'application/json');
      if (url.pathname === '/search') {
        if (fault?.kind === 'loop') {
          return send(response, 200, {
            type: 'FeatureCollection',
            features: [],
            links: [{ rel: 'next', method: 'GET', href: `${base}/search?token=loop` }],
          });
        }
        if (request.method === 'POST') return page(response, body ?? {}, Number(body?.next ?? 0));
        const token = url.searchParams.get('token');
        if (token === 'loop')
          return send(response, 200, {
            type: 'FeatureCollection',
            features: [],
            links: [{ rel: 'next', method: 'GET', href: `${base}/search?token=loop` }],
          });
        if (token && searches.has(token)) return page(response, searches.get(token)!, Number(token));
        return send(response, 400, { code: 'BadRequest' });
      }
      send(response, 404, { code: 'NotFound' });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  base = `${origin}${prefix}`;
  return {
    url: base,
    log,
    tokenRequests,
    misbehave: (...more) => faults.push(...more),
    addItems: (more) => items.push(...more),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
