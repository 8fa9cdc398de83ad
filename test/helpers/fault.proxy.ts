import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP proxy on loopback in front of the real S3 server, to inject the faults a network and a server produce:
 * 503 SlowDown answers to chosen requests, and the server going away (listener closed, open connections cut)
 * and coming back on the same port. Requests are forwarded unchanged (Host included), so SigV4 signatures made
 * for the proxy's address verify at the server.
 */
export interface FaultProxy {
  endpoint: string;
  /** Requests seen, by method. */
  readonly requests: { total: number; failed: number };
  /** Answer 503 SlowDown to the requests for which this returns true (1-based request number). */
  fail(rule: ((n: number, method: string, url: string) => boolean) | null): void;
  /** Cut every connection and stop listening: the server is gone. */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  restart(): Promise<void>;
  /** Stop when the request matching the rule arrives (the request is cut, not answered). */
  stopOn(rule: (n: number, method: string, url: string) => boolean): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let failRule: ((n: number, method: string, url: string) => boolean) | null = null;
  let stopRule: ((n: number, method: string, url: string) => boolean) | null = null;
  const requests = { total: 0, failed: 0 };
  let server: Server;
  let port = 0;
  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((req, res) => {
        const n = ++requests.total;
        const method = req.method ?? 'GET';
        const url = req.url ?? '/';
        if (stopRule?.(n, method, url)) {
          stopRule = null;
          void proxy.stop();
          return;
        }
        if (failRule?.(n, method, url)) {
          requests.failed++;
          req.resume();
          req.on('end', () => {
            res.writeHead(503, { 'content-type': 'application/xml' });
            res.end(
              '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>injected by the test proxy</Message></Error>',
            );
          });
          return;
        }
        const forward = request(
          {
            hostname: upstream.hostname,
            port: upstream.port,
            method,
            path: url,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        forward.on('error', () => res.destroy());
        req.pipe(forward);
      });
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  const proxy: FaultProxy = {
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    requests,
    fail(rule) {
      failRule = rule;
    },
    stopOn(rule) {
      stopRule = rule;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        cutAll();
      }),
    restart: () => listen(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        cutAll();
      }),
  };
  return proxy;
}
