/**
 * One error type for changewatch, with a code from one table and one place that maps codes to outcomes.
 *
 * Messages follow `<subject>: <what> <value>: <what to do>`; URLs in them lose their query strings and
 * credentials (see {@link redactUrl}) so that signed tokens never reach a log.
 */

/** What the run does when an error with this code reaches it. */
export type ErrorOutcome =
  /** A usage or configuration problem: nothing can run, so the run stops (the AOIs after it do not start); exit 2. */
  | 'usage'
  /**
   * Worth another try (network faults, 5xx, 429): adapters retry with backoff before giving up; one that still
   * fails fails its AOI, which the next run tries again.
   */
  | 'retry'
  /** This AOI cannot be processed this time; the others go on; exit code 1. */
  | 'fail-aoi'
  /** No usable scene covers the AOI in a period: nothing to compute yet; not a failure. */
  | 'no-scenes';

/** The error-code table: every code, what it means and what the run does about it. */
export const ERROR_CODES = {
  E_USAGE: { outcome: 'usage', meaning: 'the command line is wrong' },
  E_CONFIG: { outcome: 'usage', meaning: 'the configuration is invalid' },
  E_AOI: { outcome: 'usage', meaning: 'an area-of-interest file is invalid' },
  E_STAC: { outcome: 'fail-aoi', meaning: 'a STAC API or catalog answered something unusable' },
  E_NETWORK: { outcome: 'retry', meaning: 'a transient network or server fault' },
  E_READ: { outcome: 'fail-aoi', meaning: 'a raster could not be read' },
  E_DECODE: { outcome: 'fail-aoi', meaning: 'raster bytes could not be decoded' },
  E_COMPUTE: { outcome: 'fail-aoi', meaning: 'a computation failed' },
  E_WRITE: { outcome: 'fail-aoi', meaning: 'an output could not be written' },
  E_NO_SCENES: { outcome: 'no-scenes', meaning: 'no usable scene covers the AOI and period' },
} as const satisfies Record<string, { outcome: ErrorOutcome; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ChangewatchError extends Error {
  override readonly name = 'ChangewatchError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get outcome(): ErrorOutcome {
    return ERROR_CODES[this.code].outcome;
  }
}

/** What the run does about an error: its code's outcome; an error without a code fails its AOI. */
export function outcomeOf(error: unknown): ErrorOutcome {
  return error instanceof ChangewatchError ? error.outcome : 'fail-aoi';
}

/** Exit codes of the CLI: 0 all good, 1 some AOI failed, 2 usage or configuration error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * A URL fit for logs and messages: no user info, no query string (signed tokens live there), no fragment.
 * Strings that are not URLs (local paths) are returned unchanged.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    return String(url);
  }
  if (parsed.protocol === 'file:') return parsed.href;
  const hadQuery = parsed.search !== '';
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return hadQuery ? `${parsed.href}?<redacted>` : parsed.href;
}
