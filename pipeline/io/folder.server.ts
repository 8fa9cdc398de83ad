import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';

/**
 * A local folder over HTTP the way an S3 static-website endpoint serves a store: GET and HEAD, single byte ranges
 * (RFC 9110 §14: `bytes=a-b`, `bytes=a-`, `bytes=-n`; 206 with Content-Range, 416 when unsatisfiable), so the
 * report page's map reads the COGs by range requests. Loopback only; nothing outside the folder is served.
 */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.geojson': 'application/geo+json',
  '.png': 'image/png',
  // A dossier's NDVI time-series chart: browsers draw an <img> of SVG only when it is served as SVG.
  '.svg': 'image/svg+xml',
  '.tif': 'image/tiff; application=geotiff; profile=cloud-optimized',
  '.csv': 'text/csv; charset=utf-8',
  '.zip': 'application/zip',
};

export interface FolderServer {
  url: string;
  close(): Promise<void>;
}

/** The byte range asked for, or 'unsatisfiable', or undefined for the whole file (no or an unparsed Range). */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    return suffix === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return start >= size || end < start ? 'unsatisfiable' : { start, end };
}

async function serve(root: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  let path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
  if (path.endsWith('/')) path += 'index.html';
  const file = resolve(join(root, path));
  const info = file.startsWith(root + sep) ? await stat(file).catch(() => undefined) : undefined;
  if (!info?.isFile()) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
    return;
  }
  const headers = {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'accept-ranges': 'bytes',
    'cache-control': 'no-cache',
    'last-modified': info.mtime.toUTCString(),
  };
  const range = byteRange(request.headers.range, info.size);
  if (range === 'unsatisfiable') {
    response.writeHead(416, { ...headers, 'content-range': `bytes */${info.size}` }).end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: info.size - 1 };
  response.writeHead(range ? 206 : 200, {
    ...headers,
    'content-length': Math.max(0, end - start + 1),
    ...(range ? { 'content-range': `bytes ${start}-${end}/${info.size}` } : {}),
  });
  if (request.method === 'HEAD' || info.size === 0) response.end();
  else createReadStream(file, { start, end }).pipe(response);
}

export interface ServeOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Called for every request: its path and Range header (tests count range reads with it). */
  onRequest?: (path: string, range: string | undefined) => void;
}

export async function serveFolder(folder: string, options: ServeOptions = {}): Promise<FolderServer> {
  const { port = 0, host = '127.0.0.1' } = options;
  const root = resolve(folder);
  const server = createServer((request, response) => {
    options.onRequest?.(
      decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname),
      request.headers.range,
    );
    serve(root, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, done);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
