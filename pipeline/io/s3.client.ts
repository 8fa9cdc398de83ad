import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import { createRequire } from 'node:module';
import type { Config } from '../../config/config.schema.js';

const require = createRequire(import.meta.url);

/**
 * The AWS SDK, loaded when S3 is first used: imported at start-up it took 0.12-0.14 s of every command's start
 * (Node 24), a folder store's run or `--help` alike. Required synchronously so the adapters keep their synchronous
 * constructors; the packages have no `exports` map, so `import` and `require` load the same CommonJS build, one
 * instance (`instanceof S3ServiceException` holds for a client made either way).
 */
export const awsS3 = (): typeof ClientS3 => require('@aws-sdk/client-s3') as typeof ClientS3;
export const awsStorage = (): typeof LibStorage => require('@aws-sdk/lib-storage') as typeof LibStorage;

/**
 * One S3 client for a run. Credentials come from the standard AWS chain (env, profile, instance role) and are
 * never logged. Checksums only when required: Ceph radosgw and Swift refuse the SDK's default streaming
 * checksums (../shared/tools/s3/README.md), and AWS accepts either.
 */
export function createS3Client(s3: Config['store']['s3']): ClientS3.S3Client {
  return new (awsS3().S3Client)({
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
