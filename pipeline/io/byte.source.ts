import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ByteSource } from '../ports.js';
import { FileByteSource } from './byte.source.file.js';
import { HttpByteSource } from './byte.source.http.js';
import { S3ByteSource } from './byte.source.s3.js';
import type { RetryEvent, RetryPolicy } from './http.retry.js';

export interface ByteSourceOptions {
  /** Needed for s3:// hrefs. */
  s3?: () => S3Client;
  headers?: Record<string, string>;
  policy?: Partial<RetryPolicy>;
  onRetry?: (event: RetryEvent) => void;
}

/** The byte source for an href: http(s) range requests, s3:// GetObject ranges, or a local path / file:// URL. */
export function openByteSource(href: string, options: ByteSourceOptions = {}): ByteSource {
  if (/^https?:\/\//.test(href)) {
    return new HttpByteSource(href, {
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
  }
  if (href.startsWith('s3://')) {
    if (!options.s3) throw new RangeError(`openByteSource: ${href} needs an S3 client`);
    return new S3ByteSource(options.s3(), href);
  }
  return new FileByteSource(href.startsWith('file://') ? fileURLToPath(href) : href);
}
