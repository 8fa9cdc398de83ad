import type { Config } from '../../config/config.schema.js';
import type { ObjectStore } from '../ports.js';
import { FileObjectStore } from './object.store.file.js';
import { S3ObjectStore } from './object.store.s3.js';
import { createS3Client } from './s3.client.js';

/** The store a `store.url` names: `file://…` (the embedded default) or `s3://bucket/prefix`. */
export function openObjectStore(store: Config['store']): ObjectStore {
  if (store.url.startsWith('s3://')) return new S3ObjectStore(createS3Client(store.s3), store.url);
  return new FileObjectStore(store.url);
}
