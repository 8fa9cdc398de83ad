import { ChangewatchError, redactUrl } from '../errors.js';
import { fetchWithRetry, type RetryPolicy } from './http.retry.js';

/**
 * Planetary Computer SAS-token signing: one token per collection from the token endpoint, cached until shortly
 * before it expires, appended to blob hrefs. Tokens are secrets: they never appear in logs or messages.
 */
export const PLANETARY_COMPUTER_TOKEN_ENDPOINT = 'https://planetarycomputer.microsoft.com/api/sas/v1/token';

/** Renew this long before expiry, so a token does not lapse in the middle of a read. */
const RENEW_BEFORE_MS = 5 * 60_000;

export class PlanetaryComputerSigner {
  private readonly tokens = new Map<string, Promise<{ token: string; expiresAt: number }>>();

  constructor(
    private readonly endpoint = PLANETARY_COMPUTER_TOKEN_ENDPOINT,
    private readonly options: { policy?: Partial<RetryPolicy>; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private async token(collection: string): Promise<string> {
    const cached = this.tokens.get(collection);
    if (cached) {
      const value = await cached.catch(() => undefined);
      if (value && value.expiresAt - RENEW_BEFORE_MS > this.now()) return value.token;
    }
    const url = `${this.endpoint.replace(/\/$/, '')}/${encodeURIComponent(collection)}`;
    const request = fetchWithRetry(
      url,
      {},
      async (response) => {
        const body = (await response.json().catch(() => undefined)) as
          { token?: unknown; 'msft:expiry'?: unknown } | undefined;
        const expiresAt = Date.parse(String(body?.['msft:expiry']));
        if (typeof body?.token !== 'string' || Number.isNaN(expiresAt)) {
          throw new ChangewatchError('E_STAC', `${redactUrl(url)}: token answer has no token or msft:expiry`);
        }
        return { token: body.token.replace(/^\?/, ''), expiresAt };
      },
      { kind: 'E_STAC', ...(this.options.policy ? { policy: this.options.policy } : {}) },
    );
    this.tokens.set(collection, request);
    return (await request).token;
  }

  /** The href with the collection's SAS token as its query string. */
  async sign(href: string, collection: string): Promise<string> {
    const url = new URL(href);
    url.search = await this.token(collection);
    return url.href;
  }
}
