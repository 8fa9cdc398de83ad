import type { S3Client } from '@aws-sdk/client-s3';
import { ChangewatchError } from '../errors.js';
import type { ByteSource } from '../ports.js';
import { awsS3, parseS3Url } from './s3.client.js';

/**
 * S3 `GetObject` with `Range`, through the same seam as HTTP and files. Transient faults are retried by the SDK
 * (maxAttempts); what remains is classified into the error table.
 */
export class S3ByteSource implements ByteSource {
  private fileSize: number | undefined;
  private readonly bucket: string;
  private readonly key: string;

  constructor(
    private readonly client: S3Client,
    readonly url: string,
  ) {
    ({ bucket: this.bucket, key: this.key } = parseS3Url(url));
  }

  get size(): number | undefined {
    return this.fileSize;
  }

  async fetch(offset: number, length: number, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const range = `bytes=${offset}-${offset + length - 1}`;
    let response;
    try {
      response = await this.client.send(
        new (awsS3().GetObjectCommand)({ Bucket: this.bucket, Key: this.key, Range: range }),
        options.signal ? { abortSignal: options.signal } : {},
      );
    } catch (error) {
      throw this.classify(error, offset);
    }
    const contentRange = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.ContentRange ?? '');
    if (!contentRange || Number(contentRange[1]) !== offset) {
      await response.Body?.transformToByteArray().catch(() => undefined);
      throw new ChangewatchError(
        'E_READ',
        `${this.url}: answer to ${range} has Content-Range "${response.ContentRange ?? ''}": the server does not serve byte ranges`,
      );
    }
    this.fileSize = Number(contentRange[3]);
    const body = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
    const promised = Number(contentRange[2]) - Number(contentRange[1]) + 1;
    if (body.length !== promised) {
      throw new ChangewatchError('E_NETWORK', `${this.url}: body cut short (${body.length} of ${promised} bytes)`);
    }
    return body;
  }

  private classify(error: unknown, offset: number): ChangewatchError {
    const name = (error as { name?: string }).name ?? 'Error';
    const status = error instanceof awsS3().S3ServiceException ? error.$metadata.httpStatusCode : undefined;
    if (name === 'InvalidRange' || status === 416) {
      return new ChangewatchError(
        'E_READ',
        `${this.url}: read at byte ${offset} is past the end of the object: the object is truncated; upload it again`,
        { cause: error },
      );
    }
    if (name === 'NoSuchKey' || name === 'NoSuchBucket' || status === 404) {
      return new ChangewatchError('E_READ', `${this.url}: ${name}: check the bucket and key`, { cause: error });
    }
    if (
      status === 403 ||
      name === 'AccessDenied' ||
      name === 'InvalidAccessKeyId' ||
      name === 'SignatureDoesNotMatch'
    ) {
      return new ChangewatchError(
        'E_READ',
        `${this.url}: access denied (${name}): check the AWS credentials and bucket policy`,
        { cause: error },
      );
    }
    return new ChangewatchError('E_NETWORK', `${this.url}: ${name} after retries: check the endpoint and the network`, {
      cause: error,
    });
  }
}
