import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { createS3Client } from '../../pipeline/io/s3.client.js';

/**
 * A client of the S3 server the global setup started (credentials through the standard env variables, as
 * changewatch reads them), with a fresh bucket for the calling test file.
 */
export async function s3ClientWithBucket(bucket: string): Promise<S3Client> {
  const s3 = inject('s3');
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
  const client = createS3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return client;
}

/** Runs `use` with a client signing with a wrong secret key; the real key is restored afterwards. */
export async function withWrongSecret<T>(secret: string, use: (client: S3Client) => Promise<T>): Promise<T> {
  const s3 = inject('s3');
  const saved = process.env.AWS_SECRET_ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = secret;
  try {
    return await use(createS3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true }));
  } finally {
    process.env.AWS_SECRET_ACCESS_KEY = saved;
  }
}
