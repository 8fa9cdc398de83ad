import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChangewatchError } from '../../pipeline/errors.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { S3ObjectStore } from '../../pipeline/io/object.store.s3.js';
import type { ObjectStore } from '../../pipeline/ports.js';
import { s3ClientWithBucket, withWrongSecret } from '../helpers/s3.js';

const BUCKET = `cw-store-${Date.now()}`;
let client: S3Client;

beforeAll(async () => {
  client = await s3ClientWithBucket(BUCKET);
});

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out;
}

const stores: Array<[string, () => ObjectStore]> = [
  ['file', () => new FileObjectStore(mkdtempSync(join(tmpdir(), 'cw-store-')))],
  [
    's3 (Ceph radosgw on loopback)',
    () => new S3ObjectStore(client, `s3://${BUCKET}/run-${Math.random().toString(36).slice(2)}`, { pageSize: 2 }),
  ],
];

describe.each(stores)('ObjectStore contract: %s', (_name, make) => {
  it('puts, gets, overwrites, lists by prefix in order, deletes', async () => {
    const store = make();
    await store.put('aoi/kibali/summary.json', '{"a":1}', { contentType: 'application/json' });
    await store.put('aoi/kibali/forest-loss.tif', Uint8Array.from([1, 2, 3]), {
      contentType: 'image/tiff; application=geotiff; profile=cloud-optimized',
    });
    await store.put('aoi/bukavu-demo/summary.json', '{}', { contentType: 'application/json' });
    await store.put('catalog.json', '{}', { contentType: 'application/json' });
    await store.put('aoi/kibali/summary.json', '{"a":2}', { contentType: 'application/json' });
    expect(new TextDecoder().decode((await store.get('aoi/kibali/summary.json'))!)).toBe('{"a":2}');
    expect([...(await store.get('aoi/kibali/forest-loss.tif'))!]).toEqual([1, 2, 3]);
    expect(await store.get('aoi/nope.json')).toBeNull();
    expect(await collect(store.list('aoi/'))).toEqual([
      'aoi/bukavu-demo/summary.json',
      'aoi/kibali/forest-loss.tif',
      'aoi/kibali/summary.json',
    ]);
    expect(await collect(store.list(''))).toHaveLength(4);
    await store.delete('aoi/kibali/forest-loss.tif');
    expect(await store.get('aoi/kibali/forest-loss.tif')).toBeNull();
  });

  it('refuses keys that could climb out of the store', async () => {
    const store = make();
    for (const key of ['../escape.json', '/etc/passwd', 'a//b', 'a/./b', 'a\\b', '']) {
      const error = (await store
        .put(key, 'x', { contentType: 'text/plain' })
        .catch((e: unknown) => e)) as ChangewatchError;
      expect(error, key).toBeInstanceOf(ChangewatchError);
      expect(error.message).toContain('is not a safe relative key');
    }
  });
});

describe('FileObjectStore', () => {
  it('leaves no temporary file behind and resolves file://./relative against the working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-store-'));
    const store = new FileObjectStore(`file://${dir}`);
    await store.put('a/b.json', '{}', { contentType: 'application/json' });
    expect(readdirSync(join(dir, 'a'))).toEqual(['b.json']);
    // Into a folder that exists, from a file, only-if-absent (a hard link), into folders that do not exist yet.
    await store.put('a/c.json', { path: join(dir, 'a', 'b.json') }, { contentType: 'application/json' });
    expect(await store.putIfAbsent('a/d.json', '[]', { contentType: 'application/json' })).toBe(true);
    expect(await store.putIfAbsent('a/d.json', '{}', { contentType: 'application/json' })).toBe(false);
    await store.put('x/y/z.json', '1', { contentType: 'application/json' });
    expect(readdirSync(join(dir, 'a')).sort()).toEqual(['b.json', 'c.json', 'd.json']);
    expect(readFileSync(join(dir, 'a', 'd.json'), 'utf8')).toBe('[]');
    expect(readdirSync(join(dir, 'x', 'y'))).toEqual(['z.json']);
    // A source file that is not there is said as such, and makes no folder for the key.
    await expect(
      store.put('gone/a.tif', { path: join(dir, 'no-such.tif') }, { contentType: 'image/tiff' }),
    ).rejects.toMatchObject({ code: 'E_WRITE', message: /cannot write \(ENOENT\)/ });
    expect(readdirSync(dir).sort()).toEqual(['a', 'x']);
    // A put that cannot take its place (a folder has the name) fails as E_WRITE and leaves nothing beside it.
    mkdirSync(join(dir, 'a', 'e.json'));
    await expect(store.put('a/e.json', '{}', { contentType: 'application/json' })).rejects.toMatchObject({
      code: 'E_WRITE',
    });
    expect(readdirSync(join(dir, 'a')).sort()).toEqual(['b.json', 'c.json', 'd.json', 'e.json']);
    expect(new FileObjectStore('file://./out').root).toBe(join(process.cwd(), 'out'));
  });
});

describe('S3ObjectStore', () => {
  it('stores content type and cache headers, and uploads large objects in parts', async () => {
    const store = new S3ObjectStore(client, `s3://${BUCKET}/headers`);
    await store.put('x/preview.png', Uint8Array.from([137, 80, 78, 71]), {
      contentType: 'image/png',
      cacheControl: 'public, max-age=3600',
    });
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'headers/x/preview.png' }));
    expect(head.ContentType).toBe('image/png');
    expect(head.CacheControl).toBe('public, max-age=3600');
    const big = new Uint8Array(20 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
    await store.put('x/big.tif', big, { contentType: 'image/tiff' });
    const back = await store.get('x/big.tif');
    expect(Buffer.from(back!).equals(Buffer.from(big))).toBe(true);
  }, 120_000);

  it('fails with a clear E_WRITE on wrong credentials, never echoing them', async () => {
    const error = (await withWrongSecret('not-the-secret-123', (wrong) =>
      new S3ObjectStore(wrong, `s3://${BUCKET}/denied`).put('a.json', '{}', { contentType: 'application/json' }),
    ).catch((e: unknown) => e)) as ChangewatchError;
    expect(error.code).toBe('E_WRITE');
    expect(error.message).toMatch(
      /cannot write \(SignatureDoesNotMatch, HTTP 403\): check the bucket, its policy and the credentials/,
    );
    expect(error.message).not.toContain('not-the-secret-123');
  });
});

describe('what a writer killed mid-write leaves behind', () => {
  it('folder store: temporary files of dead processes go, a live writer’s stay; deletes leave no empty folders', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cw-store-left-'));
    const store = new FileObjectStore(root);
    await store.put('aoi/item/digest/a.tif', 'a', { contentType: 'image/tiff' });
    await store.put('aoi/item/item.json', '{}', { contentType: 'application/json' });
    writeFileSync(join(root, 'aoi', 'item', 'digest', 'b.tif.tmp-999999-0badc0de'), 'half');
    const live = `c.tif.tmp-${process.pid}-0123abcd`;
    writeFileSync(join(root, 'aoi', 'item', 'digest', live), 'writing');
    // The stripes' work folder is another lease's: the AOI's cleanup leaves it, the stripe's own takes it.
    mkdirSync(join(root, 'aoi', 'work', 'stripe-0-of-2'), { recursive: true });
    writeFileSync(join(root, 'aoi', 'work', 'stripe-0-of-2', 'block-0.bin.tmp-999999-0badc0de'), 'half');
    expect(await store.removeAbandoned('aoi/', 'aoi/work/')).toEqual(['aoi/item/digest/b.tif.tmp-999999-0badc0de']);
    expect(await store.removeAbandoned('aoi/work/stripe-0-of-2/')).toEqual([
      'aoi/work/stripe-0-of-2/block-0.bin.tmp-999999-0badc0de',
    ]);
    expect(readdirSync(join(root, 'aoi', 'item', 'digest')).sort()).toEqual(['a.tif', live]);
    rmSync(join(root, 'aoi', 'item', 'digest', live));
    await store.delete('aoi/item/digest/a.tif');
    expect(readdirSync(join(root, 'aoi', 'item'))).toEqual(['item.json']);
  });

  it('S3: multipart uploads never completed under the prefix are aborted, others are not', async () => {
    const prefix = `left-${Math.random().toString(36).slice(2)}`;
    const store = new S3ObjectStore(client, `s3://${BUCKET}/${prefix}`);
    const start = (key: string) =>
      client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${prefix}/${key}` }));
    await start('aoi/item/digest/big.tif');
    await start('other/item/digest/big.tif');
    await start('aoi/work/stripe-0-of-2/block-0.bin');
    expect(await store.removeAbandoned('aoi/', 'aoi/work/')).toEqual(['aoi/item/digest/big.tif']);
    const left = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${prefix}/` }));
    expect((left.Uploads ?? []).map((upload) => upload.Key).sort()).toEqual([
      `${prefix}/aoi/work/stripe-0-of-2/block-0.bin`,
      `${prefix}/other/item/digest/big.tif`,
    ]);
  });
});
