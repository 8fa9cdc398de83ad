import type { S3Client } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { ChangewatchError } from '../errors.js';
import type { ObjectBody, ObjectStore } from '../ports.js';
import { checkKey } from './object.store.key.js';
import { awsS3, awsStorage, parseS3Url } from './s3.client.js';

/**
 * Where the AWS SDK's default credential chain looks, in its order (AWS SDK for JavaScript v3,
 * `@aws-sdk/credential-provider-node`: env, SSO, shared ini files, process, web identity token, ECS/EC2 roles).
 */
export const CREDENTIALS_LOOKED_FOR =
  'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE naming a profile in ~/.aws/credentials or ~/.aws/config, or run where an instance or container role provides them';

/** Objects above this go up in parts (S3's minimum part is 5 MiB). */
export const MULTIPART_THRESHOLD = 8 * 1024 * 1024;

/**
 * An S3 bucket prefix as an object store. PutObject replaces an object whole, and a multipart upload only becomes
 * visible when completed, so readers never see a part; a failed upload is aborted so no parts linger.
 */
export class S3ObjectStore implements ObjectStore {
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(
    private readonly client: S3Client,
    readonly url: string,
    private readonly options: { pageSize?: number } = {},
  ) {
    const { bucket, key } = parseS3Url(url);
    this.bucket = bucket;
    this.prefix = key.replace(/\/+$/, '');
  }

  private key(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private fail(action: string, key: string, error: unknown): ChangewatchError {
    const name = (error as { name?: string }).name ?? 'Error';
    if (name === 'CredentialsProviderError') {
      // The SDK's default chain found nothing to sign with: a setup problem no retry fixes.
      return new ChangewatchError(
        'E_CONFIG',
        `${this.url}/${key}: cannot ${action}: no AWS credentials (${name}): ${CREDENTIALS_LOOKED_FOR}`,
        { cause: error },
      );
    }
    const status = error instanceof awsS3().S3ServiceException ? error.$metadata.httpStatusCode : undefined;
    const transient = status === undefined || status >= 500 || status === 429;
    return new ChangewatchError(
      transient ? 'E_NETWORK' : action === 'read' ? 'E_READ' : 'E_WRITE',
      `${this.url}/${key}: cannot ${action} (${name}${status ? `, HTTP ${status}` : ''}): ${transient ? 'the store is unreachable or failing; the next run retries' : 'check the bucket, its policy and the credentials'}`,
      { cause: error },
    );
  }

  async put(key: string, body: ObjectBody, options: { contentType: string; cacheControl?: string }): Promise<void> {
    // A file goes up as a stream: lib-storage buffers one part at a time (queueSize parts in flight).
    const bytes =
      typeof body === 'string'
        ? new TextEncoder().encode(body)
        : body instanceof Uint8Array
          ? body
          : createReadStream(body.path);
    try {
      const upload = new (awsStorage().Upload)({
        client: this.client,
        params: {
          Bucket: this.bucket,
          Key: this.key(key),
          Body: bytes,
          ContentType: options.contentType,
          ...(options.cacheControl ? { CacheControl: options.cacheControl } : {}),
        },
        partSize: MULTIPART_THRESHOLD,
        queueSize: 2,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (error) {
      if (error instanceof ChangewatchError) throw error;
      throw this.fail('write', key, error);
    }
  }

  /**
   * A conditional PutObject (`If-None-Match: *`): AWS, Ceph radosgw and MinIO answer 412 when the key exists
   * (../shared/tools/s3/README.md lists which servers enforce it); 409 is a concurrent conditional write.
   */
  async putIfAbsent(key: string, body: string, options: { contentType: string }): Promise<boolean> {
    try {
      await this.client.send(
        new (awsS3().PutObjectCommand)({
          Bucket: this.bucket,
          Key: this.key(key),
          Body: body,
          ContentType: options.contentType,
          IfNoneMatch: '*',
        }),
      );
      return true;
    } catch (error) {
      const status = error instanceof awsS3().S3ServiceException ? error.$metadata.httpStatusCode : undefined;
      if (status === 412 || status === 409) return false;
      if (status === 501) {
        // Swift's s3api answers 501 to conditional writes: fall back to look-then-write, which two processes
        // starting within the same second can both pass. The lease re-reads its object to catch that case.
        if (await this.get(key)) return false;
        await this.put(key, body, options);
        return true;
      }
      throw this.fail('write', key, error);
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const response = await this.client.send(
        new (awsS3().GetObjectCommand)({ Bucket: this.bucket, Key: this.key(key) }),
      );
      return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return null;
      if (error instanceof ChangewatchError) throw error;
      throw this.fail('read', key, error);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const full = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new (awsS3().ListObjectsV2Command)({
            Bucket: this.bucket,
            Prefix: full,
            ...(token ? { ContinuationToken: token } : {}),
            ...(this.options.pageSize ? { MaxKeys: this.options.pageSize } : {}),
          }),
        );
      } catch (error) {
        throw this.fail('list', prefix, error);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key) yield this.prefix ? object.Key.slice(this.prefix.length + 1) : object.Key;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new (awsS3().DeleteObjectCommand)({ Bucket: this.bucket, Key: this.key(key) }));
    } catch (error) {
      throw this.fail('delete', key, error);
    }
  }

  /** Multipart uploads under the prefix that were started and never completed (a writer killed mid-upload). */
  async removeAbandoned(prefix: string, except?: string): Promise<string[]> {
    const removed: string[] = [];
    let keyMarker: string | undefined;
    let uploadMarker: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new (awsS3().ListMultipartUploadsCommand)({
            Bucket: this.bucket,
            Prefix: this.prefix ? `${this.prefix}/${prefix}` : prefix,
            ...(keyMarker ? { KeyMarker: keyMarker, UploadIdMarker: uploadMarker } : {}),
          }),
        );
      } catch (error) {
        throw this.fail('list uploads of', prefix, error);
      }
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId) continue;
        if (except && upload.Key.startsWith(this.prefix ? `${this.prefix}/${except}` : except)) continue;
        await this.client
          .send(
            new (awsS3().AbortMultipartUploadCommand)({
              Bucket: this.bucket,
              Key: upload.Key,
              UploadId: upload.UploadId,
            }),
          )
          .catch((error: unknown) => {
            throw this.fail('abort the upload of', upload.Key!, error);
          });
        removed.push(this.prefix ? upload.Key.slice(this.prefix.length + 1) : upload.Key);
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return removed;
  }
}
