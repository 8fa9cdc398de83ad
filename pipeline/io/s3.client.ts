import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../config/config.schema.js';

/**
 * One S3 client for a run. Credentials come from the standard AWS chain (env, profile, instance role) and are
 * never logged. Checksums only when required: Ceph radosgw and Swift refuse the SDK's default streaming
 * checksums (../shared/tools/s3/README.md), and AWS accepts either.
 */
export function createS3Client(s3: Config['store']['s3']): S3Client {
  return new S3Client({
    region: s3.region,
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    forcePathStyle: s3.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 5,
  });
}

/** `s3://bucket/key/parts` → bucket and key. */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new RangeError(`parseS3Url: "${url}" is not s3://bucket/key`);
  return { bucket: match[1]!, key: match[2]! };
}
