import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ChangewatchError, redactUrl } from '../errors.js';
import type { StacItem } from '../ports.js';
import { closeDelimited, fetchWithRetry, type RetryEvent, type RetryPolicy } from './http.retry.js';

/**
 * Finding items: a STAC API (`POST /search`, paged) or a static catalog (`catalog.json`, walked), behind one
 * interface. Both filter again locally (period, box; cloud cover in scene selection), so a server that ignores a
 * filter cannot sneak in an unwanted scene.
 */

export interface ItemQuery {
  /** GeoJSON geometry of the AOI (lon/lat). */
  intersects: { type: string; coordinates: unknown };
  /** Its bounding box [west, south, east, north], for local filtering. */
  bbox: readonly [number, number, number, number];
  /** Inclusive start, exclusive end (ISO 8601 UTC). */
  start: string;
  end: string;
  collections: readonly string[];
  maxCloudCover?: number;
}

export interface ItemFinder {
  readonly url: string;
  find(query: ItemQuery, options?: { signal?: AbortSignal }): AsyncIterable<StacItem>;
}

export interface HttpOptions {
  headers?: Record<string, string>;
  policy?: Partial<RetryPolicy>;
  onRetry?: (event: RetryEvent) => void;
  /** Called with the number of items of each page, for progress and logs. */
  onPage?: (event: { url: string; page: number; items: number }) => void;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** At most this many pages per search: a server looping on its `next` link must not run forever. */
const MAX_PAGES = 500;

/**
 * Where the local filter keeps an item: the query's collections, period and box. The cloud limit is left to
 * scene selection, which reports each scene it leaves out and why.
 */
export function itemMatches(item: StacItem, query: ItemQuery): boolean {
  if (query.collections.length > 0 && !query.collections.includes(item.collection ?? '')) return false;
  const datetime =
    typeof item.properties.datetime === 'string' ? new Date(item.properties.datetime).toISOString() : undefined;
  if (!datetime || datetime < query.start || datetime >= query.end) return false;
  const box = item.bbox;
  if (Array.isArray(box) && box.length >= 4) {
    const [west, south, east, north] = box.length === 6 ? [box[0]!, box[1]!, box[3]!, box[4]!] : (box as number[]);
    const [w, s, e, n] = query.bbox;
    if (west! > e || east! < w || south! > n || north! < s) return false;
  }
  return true;
}

/** Checks the shape of an item enough that the profiles can trust it; names the item and the URL otherwise. */
function checkItem(value: unknown, index: number, url: string): StacItem {
  const where = `${redactUrl(url)}: feature ${index}`;
  if (!isObject(value) || value.type !== 'Feature' || typeof value.id !== 'string') {
    throw new ChangewatchError(
      'E_STAC',
      `${where} is not a STAC Item (no "type": "Feature" or "id"): the server's answer is malformed`,
    );
  }
  if (
    !isObject(value.properties) ||
    typeof value.properties.datetime !== 'string' ||
    Number.isNaN(Date.parse(value.properties.datetime))
  ) {
    throw new ChangewatchError(
      'E_STAC',
      `${where} (${value.id}) has no valid properties.datetime: the server's answer is malformed`,
    );
  }
  if (!isObject(value.assets)) {
    throw new ChangewatchError('E_STAC', `${where} (${value.id}) has no assets: the server's answer is malformed`);
  }
  return value as StacItem;
}

/**
 * Whether `text` is the beginning of a JSON document that stops before its end: empty, inside a string, or with
 * objects or arrays left open. A complete document that is malformed (an HTML error page) is not.
 */
export function unfinishedJson(text: string): boolean {
  let depth = 0;
  let inString = false;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      started = true;
    } else if (c === '{' || c === '[') {
      depth++;
      started = true;
    } else if (c === '}' || c === ']') depth--;
    else if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') started = true;
  }
  return !started || inString || depth > 0;
}

async function readJson(response: Response, url: string): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    if (closeDelimited(response) && unfinishedJson(text)) {
      // The connection closed mid-body and nothing said how long the body was: transient, worth another attempt.
      throw new ChangewatchError(
        'E_NETWORK',
        `${redactUrl(url)}: answer cut short (${Buffer.byteLength(text)} bytes of unfinished JSON, no Content-Length): the connection closed mid-body`,
        { cause: error },
      );
    }
    throw new ChangewatchError(
      'E_STAC',
      `${redactUrl(url)}: answer is not JSON (${(error as Error).message}; starts with ${JSON.stringify(text.slice(0, 60))}): check the STAC URL`,
      { cause: error },
    );
  }
}

/**
 * The URL of `path` under an API root, built with the URL API so the root's query string (an API key:
 * `https://host/v1?apikey=K`) stays a query string: `https://host/v1/search?apikey=K`, not `…/v1?apikey=K/search`.
 * An empty path is the landing page (the root without a trailing slash).
 */
export function apiUrl(root: string, path: string): string {
  const url = new URL(root);
  const base = url.pathname.replace(/\/+$/, '');
  url.pathname = path ? `${base}/${path}` : base || '/';
  return url.href;
}

/**
 * A link the API handed out (a `next` page), with the root's query parameters it lacks added: an API key in the
 * root's query must reach every page, and servers often drop it from their links. Only for the root's own origin,
 * so a key never travels to another host.
 */
export function withRootQuery(href: string, root: string): string {
  const url = new URL(href);
  const rootUrl = new URL(root);
  if (url.origin !== rootUrl.origin) return url.href;
  for (const [name, value] of rootUrl.searchParams) {
    if (!url.searchParams.has(name)) url.searchParams.append(name, value);
  }
  return url.href;
}

/** A STAC API: landing page for conformance, then POST /search with paging. */
export class StacApiClient implements ItemFinder {
  private conformance: Promise<string[]> | undefined;
  readonly stats = { requests: 0, pages: 0, items: 0 };

  constructor(
    readonly url: string,
    private readonly options: HttpOptions = {},
  ) {}

  private async getJson(url: string, init: RequestInit = {}, signal?: AbortSignal): Promise<unknown> {
    this.stats.requests += 1;
    return fetchWithRetry(
      url,
      {
        ...init,
        headers: {
          accept: 'application/geo+json, application/json',
          ...this.options.headers,
          ...(init.headers as Record<string, string>),
        },
      },
      (response) => readJson(response, url),
      {
        kind: 'E_STAC',
        ...(this.options.policy ? { policy: this.options.policy } : {}),
        ...(this.options.onRetry ? { onRetry: this.options.onRetry } : {}),
        ...(signal ? { signal } : {}),
      },
    );
  }

  /** The API's conformance classes (landing page `conformsTo`), fetched once. */
  conformsTo(signal?: AbortSignal): Promise<string[]> {
    this.conformance ??= this.getJson(apiUrl(this.url, ''), {}, signal)
      .then((landing) => {
        if (!isObject(landing) || !Array.isArray(landing.conformsTo)) {
          throw new ChangewatchError(
            'E_STAC',
            `${redactUrl(this.url)}: landing page has no conformsTo list: is this a STAC API root? (for a static catalog give the catalog.json)`,
          );
        }
        return landing.conformsTo.map(String);
      })
      .catch((error: unknown) => {
        this.conformance = undefined;
        throw error;
      });
    return this.conformance;
  }

  /** The search body: CQL2 `filter` when the API conforms to it, else the `query` extension, else no cloud filter. */
  async searchBody(query: ItemQuery, signal?: AbortSignal): Promise<Json> {
    const classes = await this.conformsTo(signal);
    const body: Json = {
      intersects: query.intersects,
      datetime: `${query.start}/${query.end}`,
      collections: query.collections,
      limit: 100,
    };
    if (query.maxCloudCover !== undefined) {
      if (classes.some((c) => /item-search#filter$/.test(c)) && classes.some((c) => /cql2-json$/.test(c))) {
        body['filter-lang'] = 'cql2-json';
        body.filter = { op: '<=', args: [{ property: 'eo:cloud_cover' }, query.maxCloudCover] };
      } else if (classes.some((c) => /item-search#query$/.test(c))) {
        body.query = { 'eo:cloud_cover': { lte: query.maxCloudCover } };
      }
    }
    return body;
  }

  async *find(query: ItemQuery, options: { signal?: AbortSignal } = {}): AsyncIterable<StacItem> {
    let request: { url: string; method: 'GET' | 'POST'; body?: Json } | undefined = {
      url: apiUrl(this.url, 'search'),
      method: 'POST',
      body: await this.searchBody(query, options.signal),
    };
    const seen = new Set<string>();
    for (let page = 1; request; page++) {
      if (page > MAX_PAGES) {
        throw new ChangewatchError(
          'E_STAC',
          `${redactUrl(request.url)}: more than ${MAX_PAGES} pages: narrow the AOI or the period`,
        );
      }
      const fingerprint = `${request.method} ${request.url} ${JSON.stringify(request.body ?? null)}`;
      if (seen.has(fingerprint)) {
        throw new ChangewatchError(
          'E_STAC',
          `${redactUrl(request.url)}: the "next" link points at a page already read: the server is paging in a loop`,
        );
      }
      seen.add(fingerprint);
      const answer = await this.getJson(
        request.url,
        request.method === 'POST'
          ? { method: 'POST', body: JSON.stringify(request.body), headers: { 'content-type': 'application/json' } }
          : {},
        options.signal,
      );
      if (!isObject(answer) || answer.type !== 'FeatureCollection' || !Array.isArray(answer.features)) {
        throw new ChangewatchError(
          'E_STAC',
          `${redactUrl(request.url)}: answer is not a STAC ItemCollection (no "features" list): check the STAC URL`,
        );
      }
      this.stats.pages += 1;
      this.options.onPage?.({ url: redactUrl(request.url), page, items: answer.features.length });
      for (const [index, feature] of answer.features.entries()) {
        const item = checkItem(feature, index, request.url);
        this.stats.items += 1;
        if (itemMatches(item, query)) yield item;
      }
      request = nextRequest(answer, request, this.url);
    }
  }
}

/**
 * The request for the `next` link of a page (GET href, or POST body with `merge`), or undefined at the end; the
 * root's query parameters (an API key) are kept on it.
 */
function nextRequest(
  page: Json,
  previous: { url: string; method: 'GET' | 'POST'; body?: Json },
  root: string,
): { url: string; method: 'GET' | 'POST'; body?: Json } | undefined {
  const links = Array.isArray(page.links) ? page.links.filter(isObject) : [];
  const next = links.find((link) => link.rel === 'next');
  if (!next || typeof next.href !== 'string') return undefined;
  const url = withRootQuery(new URL(next.href, previous.url).href, root);
  if (String(next.method ?? 'GET').toUpperCase() === 'POST') {
    const body = isObject(next.body) ? next.body : {};
    return { url, method: 'POST', body: next.merge === true ? { ...previous.body, ...body } : body };
  }
  return { url, method: 'GET' };
}

/** A static catalog: `catalog.json` (local path, file:// or http(s)), child and item links walked depth-first. */
export class StaticCatalog implements ItemFinder {
  readonly stats = { requests: 0, pages: 0, items: 0 };

  constructor(
    readonly url: string,
    private readonly options: HttpOptions = {},
  ) {}

  private async load(location: string, signal?: AbortSignal): Promise<unknown> {
    this.stats.requests += 1;
    if (location.startsWith('http://') || location.startsWith('https://')) {
      return fetchWithRetry(
        location,
        { headers: { ...this.options.headers } },
        (response) => readJson(response, location),
        {
          kind: 'E_STAC',
          ...(this.options.policy ? { policy: this.options.policy } : {}),
          ...(this.options.onRetry ? { onRetry: this.options.onRetry } : {}),
          ...(signal ? { signal } : {}),
        },
      );
    }
    const path = location.startsWith('file:') ? fileURLToPath(location) : location;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new ChangewatchError('E_STAC', `${path}: cannot read (${code}): check the catalog path and its links`, {
        cause: error,
      });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ChangewatchError('E_STAC', `${path}: not JSON (${(error as Error).message})`, { cause: error });
    }
  }

  private absolute(location: string): string {
    if (/^(https?|file):/.test(location)) return location;
    return pathToFileURL(location).href;
  }

  async *find(query: ItemQuery, options: { signal?: AbortSignal } = {}): AsyncIterable<StacItem> {
    const visited = new Set<string>();
    const stack = [this.absolute(this.url)];
    while (stack.length > 0) {
      const location = stack.pop()!;
      if (visited.has(location)) continue;
      visited.add(location);
      const document = await this.load(location, options.signal);
      if (!isObject(document)) throw new ChangewatchError('E_STAC', `${redactUrl(location)}: not a STAC object`);
      if (document.type === 'Feature') {
        const item = checkItem(document, 0, location);
        this.stats.items += 1;
        // A static catalog is a curated set, used whole: the collections filter is for APIs.
        if (itemMatches(item, { ...query, collections: [] })) yield absolutiseAssets(item, location);
        continue;
      }
      if (document.type !== 'Catalog' && document.type !== 'Collection') {
        throw new ChangewatchError(
          'E_STAC',
          `${redactUrl(location)}: "type" is ${JSON.stringify(document.type)}, not Catalog, Collection or Feature`,
        );
      }
      this.stats.pages += 1;
      const links = Array.isArray(document.links) ? document.links.filter(isObject) : [];
      for (const link of links.reverse()) {
        if ((link.rel === 'child' || link.rel === 'item') && typeof link.href === 'string') {
          stack.push(new URL(link.href, location).href);
        }
      }
    }
  }
}

/**
 * Asset hrefs and link hrefs relative to the item file become absolute, so readers need not know where the item
 * was, and the `self` link a summary cites as the scene's provenance points at the item itself.
 */
function absolutiseAssets(item: StacItem, location: string): StacItem {
  const assets = Object.fromEntries(
    Object.entries(item.assets).map(([key, asset]) => [
      key,
      typeof asset.href === 'string' ? { ...asset, href: toReadable(new URL(asset.href, location).href) } : asset,
    ]),
  );
  const links = item.links?.map((link) =>
    typeof link.href === 'string' ? { ...link, href: new URL(link.href, location).href } : link,
  );
  return { ...item, assets, ...(links ? { links } : {}) };
}

/** file:// URLs become plain paths (what the file byte source takes); other URLs stay. */
function toReadable(href: string): string {
  return href.startsWith('file:') ? fileURLToPath(href) : href;
}

/** A STAC API root or a static catalog, chosen by the location: `*.json` or a local path means static. */
export function openItemFinder(location: string, options: HttpOptions = {}): ItemFinder {
  const isHttp = /^https?:\/\//.test(location);
  if (!isHttp || /\.json(\?.*)?$/.test(location)) return new StaticCatalog(location, options);
  return new StacApiClient(location, options);
}
