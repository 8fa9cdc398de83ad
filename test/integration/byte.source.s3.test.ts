import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChangewatchError } from '../../pipeline/errors.js';
import { openByteSource } from '../../pipeline/io/byte.source.js';
import { RasterReader } from '../../pipeline/io/cog.reader.js';
import { gdalWindow } from '../helpers/gdal.js';
import { SHARED_DATA } from '../helpers/paths.js';
import { s3ClientWithBucket, withWrongSecret } from '../helpers/s3.js';
import { RecordingSource } from '../helpers/recording.source.js';

const B04 = join(SHARED_DATA, 's2l2a-morocco', 'B04.tif');
const BUCKET = `cw-read-${Date.now()}`;
let client: S3Client;

beforeAll(async () => {
  client = await s3ClientWithBucket(BUCKET);
  const bytes = readFileSync(B04);
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inputs/B04.tif', Body: bytes }));
  await client.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: 'inputs/B04-truncated.tif', Body: bytes.subarray(0, 900_000) }),
  );
});

describe('S3 byte source against Ceph radosgw on loopback', () => {
  it('reads a window of a COG from s3:// equal to GDAL, header plus one tile', async () => {
    const recording = new RecordingSource(openByteSource(`s3://${BUCKET}/inputs/B04.tif`, { s3: () => client }));
    const reader = await RasterReader.open(recording);
    const window = { x0: 520, y0: 520, x1: 600, y1: 600 };
    const ours = await reader.readWindow(window);
    expect(recording.requests).toHaveLength(2);
    const peer = gdalWindow(B04, window, { bytesPerSample: 2 })[0]!;
    expect(Buffer.from(ours.bands[0]!.buffer).equals(Buffer.from(peer))).toBe(true);
    expect(recording.size).toBe(readFileSync(B04).length);
  });

  it('reports a truncated object as E_READ', async () => {
    const reader = await RasterReader.open(
      openByteSource(`s3://${BUCKET}/inputs/B04-truncated.tif`, { s3: () => client }),
    );
    const error = (await reader
      .readWindow({ x0: 600, y0: 600, x1: 1098, y1: 1098 })
      .catch((e: unknown) => e)) as ChangewatchError;
    expect(error.code).toBe('E_READ');
    expect(error.message).toMatch(/truncated/);
  });

  it('names a missing key', async () => {
    const source = openByteSource(`s3://${BUCKET}/inputs/nope.tif`, { s3: () => client });
    const error = (await source.fetch(0, 16).catch((e: unknown) => e)) as ChangewatchError;
    expect(error.code).toBe('E_READ');
    expect(error.message).toBe(`s3://${BUCKET}/inputs/nope.tif: NoSuchKey: check the bucket and key`);
  });

  it('says access is denied with wrong credentials, without printing them', async () => {
    const error = (await withWrongSecret('wrong-secret-value', (wrong) =>
      openByteSource(`s3://${BUCKET}/inputs/B04.tif`, { s3: () => wrong }).fetch(0, 16),
    ).catch((e: unknown) => e)) as ChangewatchError;
    expect(error.message).toMatch(/access denied \(SignatureDoesNotMatch\)|access denied/);
    expect(error.message).not.toContain('wrong-secret-value');
  });
});
