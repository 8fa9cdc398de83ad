import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, normalize } from 'node:path';

/** What the next request gets instead of a correct answer. */
export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'ignore-range' }
  | { kind: 'truncate'; bytes: number }
  | { kind: 'hang' };

export interface RangeServer {
  url: string;
  /** Every request: path and Range header. */
  log: Array<{ path: string; range: string | undefined }>;
  /** Queues faults, applied to the next requests in order. */
  misbehave(...faults: Fault[]): void;
  close(): Promise<void>;
}

/**
 * A static file server on 127.0.0.1 with real HTTP range semantics (206, Content-Range, 416), able to misbehave
 * on purpose. Serves files under `root` (read in place, e.g. ../shared/data).
 */
export async function startRangeServer(root: string): Promise<RangeServer> {
  const faults: Fault[] = [];
  const log: RangeServer['log'] = [];
  const sockets = new Set<Socket>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    log.push({ path, range: request.headers.range });
    const fault = faults.shift();
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'status') {
      response.writeHead(fault.status, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
      response.end(`fault ${fault.status}`);
      return;
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(normalize(root))) {
      response.writeHead(403).end();
      return;
    }
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      response.writeHead(404).end('not found');
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    if (!range || fault?.kind === 'ignore-range') {
      response.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes' });
      createReadStream(file).pipe(response);
      return;
    }
    const start = Number(range[1]);
    const end = Math.min(size - 1, range[2] ? Number(range[2]) : size - 1);
    if (start >= size) {
      response.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    response.writeHead(206, {
      'content-range': `bytes ${start}-${end}/${size}`,
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
    });
    if (fault?.kind === 'truncate') {
      createReadStream(file, { start, end: start + fault.bytes - 1 })
        .on('end', () => response.socket?.destroy())
        .pipe(response, { end: false });
      return;
    }
    createReadStream(file, { start, end }).pipe(response);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    misbehave: (...more) => faults.push(...more),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
