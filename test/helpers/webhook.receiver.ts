import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';

/**
 * A webhook receiver on loopback, as a user would write one: it checks `X-Changewatch-Signature` against its own
 * HMAC-SHA256 of the raw body with the shared secret (constant-time compare) and answers 401 when it does not
 * match; it can fail on purpose (`failNext` answers 503 that many times before accepting, `status` answers a fixed
 * status) and records every request with whether its signature verified.
 */

export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  body: string;
  signatureOk: boolean;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  requests: ReceivedHook[];
  /** The bodies of the requests it accepted (2xx), parsed. */
  accepted(): Array<Record<string, unknown>>;
  /** Answer 503 to the next `n` requests. */
  failNext(n: number): void;
  /** Answer this status to every request from now on (undefined: accept). */
  answer(status: number | undefined): void;
  close(): Promise<void>;
}

/** The receiver's side of the signature check: recompute and compare in constant time. */
export function verifySignature(body: Buffer, header: string | undefined, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startWebhookReceiver(secret: string, port = 0): Promise<WebhookReceiver> {
  const requests: ReceivedHook[] = [];
  let failures = 0;
  let fixed: number | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const signatureOk = verifySignature(body, request.headers['x-changewatch-signature'] as string, secret);
      let status = signatureOk ? 200 : 401;
      if (fixed !== undefined) status = fixed;
      else if (failures > 0) {
        failures--;
        status = 503;
      }
      requests.push({ headers: request.headers, body: body.toString('utf8'), signatureOk, status });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${bound}/hooks/changewatch`,
    port: bound,
    requests,
    accepted: () =>
      requests
        .filter((entry) => entry.status === 200)
        .map((entry) => JSON.parse(entry.body) as Record<string, unknown>),
    failNext: (n) => {
      failures = n;
    },
    answer: (status) => {
      fixed = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
