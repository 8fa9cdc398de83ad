/**
 * The seams between changewatch and the outside world. One method each where possible, as cogeotiff's Source:
 * adapters in `pipeline/io/` implement them, tests substitute recording or misbehaving ones.
 */

/** Random access to the bytes of one file: local, HTTP(S) or S3. */
export interface ByteSource {
  /** Where the bytes come from, for messages (query strings are redacted before logging). */
  readonly url: string;
  /**
   * Reads `length` bytes at `offset`. Resolves with fewer bytes only when the range runs past the end of the file
   * (then {@link ByteSource.size} is known); rejects with E_READ when the offset lies beyond the end, with
   * E_NETWORK for transient faults (after the adapter's own retries), and when a server ignores the range.
   */
  fetch(offset: number, length: number, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  /** The file size in bytes, once a read has revealed it. */
  readonly size: number | undefined;
  /** Releases what the source holds open (a file handle); reads after it reopen. */
  close?(): Promise<void>;
}

/** Counts of what reading cost, per source or per run: how a COG read whole gets noticed. */
export interface ReadStats {
  requests: number;
  bytes: number;
}

export type ObjectBody = Uint8Array | string | { path: string };

/** Where outputs, state and reports live: a local folder or an S3 bucket prefix. Keys use `/` separators. */
export interface ObjectStore {
  /** `file:///abs/path` or `s3://bucket/prefix`, for messages. */
  readonly url: string;
  /**
   * Writes an object whole: readers see the old object or the new one, never a part. A `{ path }` body is a local
   * file streamed from disk (large rasters), never read into memory whole.
   */
  put(key: string, body: ObjectBody, options: { contentType: string; cacheControl?: string }): Promise<void>;
  /**
   * Creates the object only if there is none: true when this call created it, false when one existed. Atomic
   * (S3 `If-None-Match: *`, a hard link on a folder), so two processes racing for one key cannot both win.
   */
  putIfAbsent(key: string, body: string, options: { contentType: string }): Promise<boolean>;
  /** The object's bytes, or null when there is none. */
  get(key: string): Promise<Uint8Array | null>;
  /** Keys under a prefix, in lexicographic order. */
  list(prefix: string): AsyncIterable<string>;
  /** Removes the object; a folder store also removes the folders it leaves empty. */
  delete(key: string): Promise<void>;
  /**
   * Removes what writers killed mid-write left under a prefix, invisible to `list`: temporary files of processes
   * gone from this host (folder store), multipart uploads never completed (S3). Call it holding the prefix's lease,
   * so no live writer's upload is taken for abandoned; `except`, a prefix inside it that other leases cover, is left
   * alone. Returns what was removed, for the log.
   */
  removeAbandoned(prefix: string, except?: string): Promise<string[]>;
}

/** A STAC item as a STAC API or static catalog serves it: what the STAC port (io/stac.client.ts) returns. */
export interface StacItem extends Record<string, unknown> {
  id: string;
  type: 'Feature';
  collection?: string;
  properties: Record<string, unknown>;
  assets: Record<string, Record<string, unknown>>;
  bbox?: number[];
  links?: Array<{ rel: string; href: string }>;
}

/** One digest of alerts as a channel sends it: text in the configured language, and the JSON a webhook posts. */
export interface AlertMessage {
  /** Unique per digest and stable across retries: the webhook's `Idempotency-Key`, the email's Message-ID. */
  id: string;
  subject: string;
  /** Plain-text body. */
  text: string;
  /** The webhook's JSON document. */
  json: unknown;
  language: string;
}

/**
 * What became of a send: `accepted` (the channel took it: never send it there again), `unreachable` (refused,
 * timed out, 5xx or a transient SMTP reply, after the adapter's retries: try again next run) or `rejected` (4xx, a
 * permanent SMTP reply, a missing secret: the user must fix something; `status` says what the channel answered).
 */
export type AlertDelivery =
  | { outcome: 'accepted'; attempts: number; detail: string }
  | { outcome: 'unreachable'; attempts: number; detail: string }
  | { outcome: 'rejected'; attempts: number; status: string; detail: string };

/** Where alert digests go: a webhook, an SMTP relay (pipeline/io/alert.*.ts, built by compose.ts). */
export interface AlertChannel {
  readonly name: 'webhook' | 'email';
  /** Where it sends, for logs and messages: a URL without its query, `smtp://host:port`. */
  readonly target: string;
  /** Sends one digest, retrying transient faults within the call; never rejects for a channel fault. */
  send(message: AlertMessage, options?: { signal?: AbortSignal }): Promise<AlertDelivery>;
  /** Releases connections. */
  close?(): Promise<void>;
}
