import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangewatchError } from '../../pipeline/errors.js';
import { StacApiClient, type ItemQuery } from '../../pipeline/io/stac.client.js';
import { PlanetaryComputerSigner } from '../../pipeline/io/pc.signer.js';
import { readItem, type Scene, type StacItem } from '../../pipeline/scenes/stac.profiles.js';
import { CLI, ROOT, SHARED_DATA } from '../helpers/paths.js';
import { startStacServer, type StacServer } from '../helpers/stac.server.js';

/** A 4 km box inside Sentinel-2 tile 35MNM (DRC, near Manono), which the recorded Planetary Computer search covers. */
const MANONO = [
  [27.5, -7.72],
  [27.54, -7.72],
  [27.54, -7.68],
  [27.5, -7.68],
  [27.5, -7.72],
];
const QUERY: ItemQuery = {
  intersects: { type: 'Polygon', coordinates: [MANONO] },
  bbox: [27.5, -7.72, 27.54, -7.68],
  start: '2020-06-01T00:00:00.000Z',
  end: '2020-08-01T00:00:00.000Z',
  collections: ['sentinel-2-l2a'],
  maxCloudCover: 20,
};
const fast = { retries: 3, baseDelayMs: 10, maxDelayMs: 2_000, timeoutMs: 1_000 };

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

let server: StacServer;
beforeAll(async () => {
  server = await startStacServer({ pageSize: 4 });
});
afterAll(async () => {
  await server.close();
});

describe('StacApiClient against a loopback STAC API of recorded items', () => {
  it('searches with intersects, datetime, collections and the query extension, following POST next links', async () => {
    const client = new StacApiClient(server.url, { policy: fast });
    server.log.length = 0;
    const items = await collect(client.find(QUERY));
    // 13 recorded dates over 35MNM plus the 2020-06-06 strip; two dates are cloudier than 20 %.
    expect(items.map((item) => item.properties.datetime as string).every((d) => d >= '2020-06' && d < '2020-08')).toBe(
      true,
    );
    expect(items.every((item) => (item.properties['eo:cloud_cover'] as number) <= 20)).toBe(true);
    expect(items.length).toBeGreaterThanOrEqual(11);
    const searches = server.log.filter((entry) => entry.path === '/search');
    expect(searches.length).toBe(Math.ceil(items.length / 4) + (items.length % 4 === 0 ? 0 : 0));
    expect(searches[0]!.body).toMatchObject({
      collections: ['sentinel-2-l2a'],
      datetime: '2020-06-01T00:00:00.000Z/2020-08-01T00:00:00.000Z',
      query: { 'eo:cloud_cover': { lte: 20 } },
      intersects: { type: 'Polygon' },
    });
    expect(searches[1]!.body?.next).toBe('4');
    expect(client.stats.pages).toBe(searches.length);
  });

  it('uses CQL2 filter when the API conforms to it', async () => {
    const cql = await startStacServer({
      conformsTo: [
        'https://api.stacspec.org/v1.0.0/item-search',
        'https://api.stacspec.org/v1.0.0/item-search#filter',
        'http://www.opengis.net/spec/cql2/1.0/conf/cql2-json',
      ],
    });
    try {
      const client = new StacApiClient(cql.url, { policy: fast });
      const items = await collect(client.find(QUERY));
      expect(items.length).toBeGreaterThan(0);
      expect(cql.log.find((entry) => entry.path === '/search')!.body).toMatchObject({
        'filter-lang': 'cql2-json',
        filter: { op: '<=', args: [{ property: 'eo:cloud_cover' }, 20] },
      });
    } finally {
      await cql.close();
    }
  });

  it('follows GET next links', async () => {
    const get = await startStacServer({ pageSize: 3, nextMethod: 'GET' });
    try {
      const items = await collect(new StacApiClient(get.url, { policy: fast }).find(QUERY));
      expect(items.length).toBeGreaterThanOrEqual(11);
      expect(get.log.some((entry) => entry.method === 'GET' && entry.path.startsWith('/search?token='))).toBe(true);
    } finally {
      await get.close();
    }
  });

  it('retries a 503 and honours a 429 Retry-After', async () => {
    const retries: Array<{ delayMs: number; reason: string }> = [];
    const client = new StacApiClient(server.url, { policy: fast, onRetry: (event) => retries.push(event) });
    await client.conformsTo();
    server.misbehave({ kind: 'status', status: 503 }, { kind: 'status', status: 429, retryAfter: '1' });
    const items = await collect(client.find(QUERY));
    expect(items.length).toBeGreaterThan(0);
    expect(retries.map((retry) => retry.reason)).toEqual([
      expect.stringMatching(/\/search: HTTP 503/),
      expect.stringMatching(/\/search: HTTP 429/),
    ]);
    expect(retries[1]!.delayMs).toBe(1000);
  });

  it('turns a malformed answer into a clear error naming the URL, without query strings', async () => {
    const client = new StacApiClient(`${server.url}/?token=SECRET`, { policy: fast });
    server.misbehave({ kind: 'invalid-json' });
    const error = (await client.conformsTo().catch((e: unknown) => e)) as ChangewatchError;
    expect(error.code).toBe('E_STAC');
    expect(error.message).toMatch(/answer is not JSON .*starts with "<html>Gateway error/);
    expect(error.message).not.toContain('SECRET');

    const search = new StacApiClient(server.url, { policy: fast });
    await search.conformsTo();
    server.misbehave({ kind: 'not-a-collection' });
    const notCollection = (await collect(search.find(QUERY)).catch((e: unknown) => e)) as ChangewatchError;
    expect(notCollection.message).toMatch(/\/search: answer is not a STAC ItemCollection/);
  });

  it('gives up on an API that hangs past the timeout, after its retries', async () => {
    const client = new StacApiClient(server.url, { policy: { ...fast, retries: 1, timeoutMs: 300 } });
    server.misbehave({ kind: 'hang' }, { kind: 'hang' });
    const error = (await client.conformsTo().catch((e: unknown) => e)) as ChangewatchError;
    expect(error.code).toBe('E_NETWORK');
    expect(error.message).toMatch(/no complete answer within 300 ms: gave up after 2 attempts/);
  });

  it('stops a server that pages in a loop', async () => {
    const client = new StacApiClient(server.url, { policy: fast });
    await client.conformsTo();
    server.misbehave({ kind: 'loop' });
    const error = (await collect(client.find(QUERY)).catch((e: unknown) => e)) as ChangewatchError;
    expect(error.message).toMatch(/paging in a loop/);
  });
});

describe('a STAC API root with a query string (an API key: https://host/v1?apikey=K)', () => {
  it.each(['POST', 'GET'] as const)(
    'keeps the query on the landing page, the search and every %s next page, and never shows it',
    async (nextMethod) => {
      const keyed = await startStacServer({ pageSize: 3, nextMethod, prefix: '/v1', requireQuery: { apikey: 'K3Y' } });
      const shown: string[] = [];
      try {
        const client = new StacApiClient(`${keyed.url}?apikey=K3Y`, {
          policy: fast,
          onPage: (event) => shown.push(event.url),
          onRetry: (event) => shown.push(event.url, event.reason),
        });
        await client.conformsTo();
        keyed.misbehave({ kind: 'status', status: 503 });
        const items = await collect(client.find(QUERY));
        expect(items.length).toBeGreaterThanOrEqual(11);
        const paths = keyed.log.map((entry) => `${entry.method} ${entry.path}`);
        expect(paths[0]).toBe('GET /v1?apikey=K3Y');
        expect(paths[1]).toBe('POST /v1/search?apikey=K3Y');
        const pages = paths.slice(1);
        expect(pages.length).toBeGreaterThanOrEqual(5); // the 503, then at least four pages of three
        for (const path of pages)
          expect(path).toMatch(
            new RegExp(`^${nextMethod === 'GET' ? '(POST|GET)' : 'POST'} /v1/search\\?(token=\\d+&)?apikey=K3Y$`),
          );
        expect(shown.length).toBeGreaterThan(0);
        for (const line of shown) expect(line).not.toContain('K3Y');
      } finally {
        await keyed.close();
      }
    },
  );
});

/**
 * A raw node:net server in front of the loopback STAC API that answers as an HTTP/1.0-style server does: no
 * Content-Length, no chunking, the body ends when the connection closes. The answers `cut` picks are closed after
 * half their bytes, mid-JSON, as a dropped connection leaves them.
 */
async function startCloseDelimitedProxy(
  target: string,
  cut: (n: number, requestLine: string) => boolean,
): Promise<{ url: string; answers: number; close: () => Promise<void> }> {
  const state = { answers: 0 };
  const self = { url: '' };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = received.subarray(0, end).toString('latin1').split('\r\n');
      const length = Number(/^content-length:\s*(\d+)$/im.exec(head.join('\n'))?.[1] ?? 0);
      if (received.length < end + 4 + length) return;
      socket.removeAllListeners('data');
      const [method, path] = head[0]!.split(' ');
      const body = received.subarray(end + 4, end + 4 + length);
      void (async () => {
        const answer = await fetch(`${target}${path}`, {
          method: method!,
          ...(length > 0 ? { body, headers: { 'content-type': 'application/json' } } : {}),
        });
        // Links (next pages) lead back through the proxy.
        const bytes = Buffer.from((await answer.text()).replaceAll(target, self.url));
        const n = ++state.answers;
        socket.write(`HTTP/1.1 ${answer.status} OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n`);
        socket.end(cut(n, head[0]!) ? bytes.subarray(0, Math.floor(bytes.length / 2)) : bytes);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: self.url,
    get answers() {
      return state.answers;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a STAC answer cut short on a close-delimited body (no Content-Length, connection closed mid-JSON)', () => {
  it('is a transient E_NETWORK fault: retried, and the search completes with every item', async () => {
    const expected = await collect(new StacApiClient(server.url, { policy: fast }).find(QUERY));
    // Cut: the first landing page, the first search page and the third answer after it (a next page).
    const proxy = await startCloseDelimitedProxy(server.url, (n) => n === 1 || n === 3 || n === 6);
    const retries: string[] = [];
    try {
      const client = new StacApiClient(proxy.url, { policy: fast, onRetry: (event) => retries.push(event.reason) });
      const items = await collect(client.find(QUERY));
      expect(items.map((item) => item.id)).toEqual(expected.map((item) => item.id));
      expect(retries).toHaveLength(3);
      expect(proxy.answers).toBe(3 + Math.ceil(expected.length / 4) + 1);
      for (const reason of retries) {
        expect(reason).toMatch(
          /^http:\/\/127\.0\.0\.1:\d+\/(search)?: answer cut short \(\d+ bytes of unfinished JSON, no Content-Length\): the connection closed mid-body$/,
        );
      }
    } finally {
      await proxy.close();
    }
  });

  it('still refuses at once a complete answer that is not JSON (not retried)', async () => {
    const retries: string[] = [];
    const client = new StacApiClient(server.url, { policy: fast, onRetry: (event) => retries.push(event.reason) });
    server.misbehave({ kind: 'invalid-json' });
    const error = (await client.conformsTo().catch((e: unknown) => e)) as ChangewatchError;
    expect(error.code).toBe('E_STAC');
    expect(retries).toEqual([]);
  });
});

describe('Planetary Computer signing', () => {
  it('fetches one token per collection, caches it and appends it to hrefs', async () => {
    const signer = new PlanetaryComputerSigner(`${server.url}/api/sas/v1/token`, { policy: fast });
    const href = 'https://sentinel2l2a01.blob.core.windows.net/sentinel2-l2/35/M/NM/B04_10m.tif';
    const before = server.tokenRequests.length;
    const [a, b] = await Promise.all([signer.sign(href, 'sentinel-2-l2a'), signer.sign(href, 'sentinel-2-l2a')]);
    expect(a).toBe(b);
    expect(a).toMatch(/B04_10m\.tif\?st=2026&se=2027&sig=SIGNED\d+$/);
    await signer.sign(href, 'landsat-c2-l2');
    expect(server.tokenRequests.slice(before)).toEqual(['sentinel-2-l2a', 'landsat-c2-l2']);
  });

  it('signs a real sentinel-1-rtc item without a collection with the sentinel-1-rtc token', async () => {
    const signer = new PlanetaryComputerSigner(`${server.url}/api/sas/v1/token`, { policy: fast });
    const path = 'stac/sentinel-1/rtc-items/S1A_IW_GRDH_1SDV_20191215T003835_20191215T003904_030352_0378DC_rtc.json';
    const item = JSON.parse(readFileSync(join(SHARED_DATA, path), 'utf8')) as StacItem;
    expect(item.collection).toBeUndefined();
    const scene = readItem(item) as Scene;
    const before = server.tokenRequests.length;
    const signed = await signer.sign(scene.bands.vv!.href, scene.collection);
    expect(signed).toMatch(/\/measurement\/iw-vv\.rtc\.tiff\?st=2026&se=2027&sig=SIGNED\d+$/);
    expect(server.tokenRequests.slice(before)).toEqual(['sentinel-1-rtc']);
  });
});

describe('changewatch scenes', () => {
  function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('prints the scenes an AOI would use, against the loopback API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-scenes-'));
    const aoi = join(dir, 'manono.geojson');
    writeFileSync(
      aoi,
      JSON.stringify({
        type: 'Feature',
        properties: {
          id: 'manono-test',
          name: 'Manono test',
          kind: 'mining-site',
          analyses: ['mining-expansion'],
          maxCloudCover: 20,
        },
        geometry: { type: 'Polygon', coordinates: [MANONO] },
      }),
    );
    const result = await run([
      'scenes',
      '--aoi',
      aoi,
      '--from',
      '2020-06-01',
      '--to',
      '2020-07-31',
      '--stac',
      server.url,
    ]);
    expect(result.stderr).toContain('Scenes:Find:Done');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^DATE\s+TIME UTC\s+ID\s+CLOUD %\s+COLLECTION\s+TILE\s+PROFILE/m);
    expect(result.stdout).toMatch(
      /^2020-07-31\s+08:06:11\s+S2A_MSIL2A_20200731T080611_R078_T35MNM_20200818T062751\s+0\.0\s+sentinel-2-l2a\s+35MNM\s+planetary-computer-sentinel-2/m,
    );
    expect(result.stdout).toMatch(
      /scene\(s\) on \d+ observation date\(s\) for manono-test, 2020-06-01 to 2020-07-31, cloud cover ≤ 20%/,
    );

    const json = await run([
      'scenes',
      '--aoi',
      aoi,
      '--from',
      '2020-07-01',
      '--to',
      '2020-07-31',
      '--stac',
      server.url,
      '--json',
    ]);
    const parsed = JSON.parse(json.stdout) as {
      scenes: Array<{ id: string; cloudCover: number }>;
      skipped: Array<{ reason: string }>;
    };
    expect(parsed.scenes.map((scene) => scene.id)).toContain('S2B_MSIL2A_20200726T080609_R078_T35MNM_20200908T180357');
    expect(parsed.scenes.every((scene) => scene.cloudCover <= 20)).toBe(true);
  });

  it('exits 2 with one clear line for an unknown AOI id or bad dates', async () => {
    const unknown = await run([
      'scenes',
      '--aoi',
      'atlantis',
      '--from',
      '2020-06-01',
      '--to',
      '2020-07-31',
      '--stac',
      server.url,
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--aoi atlantis: no AOI with that id in aoi \(bukavu-demo, kahuzi-biega/);
    const dates = await run([
      'scenes',
      '--aoi',
      'bukavu-demo',
      '--from',
      '2020-07-31',
      '--to',
      '2020-06-01',
      '--stac',
      server.url,
    ]);
    expect(dates.code).toBe(2);
    expect(dates.stderr).toMatch(/--to 2020-06-01: before --from 2020-07-31: give a last day on or after the first/);
  });

  it('exits 1 naming the API when the STAC API is down', async () => {
    const port = await closedPort();
    const down = await run([
      'scenes',
      '--aoi',
      'bukavu-demo',
      '--from',
      '2021-06-01',
      '--to',
      '2021-06-30',
      '--stac',
      `http://127.0.0.1:${port}`,
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`http://127.0.0.1:${port}/: network error (ECONNREFUSED): gave up after 5 attempts`);
  }, 60_000);
});
