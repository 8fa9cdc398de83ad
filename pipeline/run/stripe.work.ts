import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Grid } from '../../aoi/rasterize.js';
import type { ChangeBlockResult } from '../../workers/change.block.js';
import type { StoredReads, StripeReplay } from '../analysis/analysis.js';
import { ChangewatchError } from '../errors.js';
import type { ObjectStore } from '../ports.js';

/**
 * Stripes of a large AOI (README "Scaling out"): which bands of block rows an AOI is cut into, and what a stripe
 * leaves in the store for the reduce. A stripe stores each computed block's result (ChangeBlockResult, its typed
 * arrays as v8 serializes them, gzipped) under the AOI's work prefix for the item and inputs digest, then its
 * manifest (the blocks' sha256 and what its reads found): a stripe is finished when its manifest is there, so one
 * killed half-way is redone whole. The reduce replays the blocks in raster order through the single run's path.
 */

/** One stripe of an AOI: block rows `rows[0]` to `rows[1]` (excluded) of `count` stripes. */
export interface Stripe {
  index: number;
  count: number;
  rows: [number, number];
}

/**
 * The stripes of a grid cut into `blockSize` blocks: none (an empty list) when the grid has at most `minPixels`
 * pixels or `minPixels` is unset; else ⌈pixels / minPixels⌉ bands of whole block rows (at most one per block row),
 * their row counts differing by at most one. Pure: every task computes the same stripes from the same plan.
 */
export function stripesOf(grid: Pick<Grid, 'width' | 'height'>, blockSize: number, minPixels?: number): Stripe[] {
  const pixels = grid.width * grid.height;
  if (minPixels === undefined || pixels <= minPixels) return [];
  const blockRows = Math.ceil(grid.height / blockSize);
  const count = Math.min(blockRows, Math.ceil(pixels / minPixels));
  if (count < 2) return [];
  return Array.from({ length: count }, (_, index) => ({
    index,
    count,
    rows: [Math.floor((index * blockRows) / count), Math.floor(((index + 1) * blockRows) / count)],
  }));
}

/** Everything the stripes of one item and inputs digest leave, under the AOI. */
export const workPrefix = (aoiId: string, itemId: string, digest: string) => `${aoiId}/work/${itemId}/${digest}/`;
const stripeName = (stripe: Pick<Stripe, 'index' | 'count'>) => `stripe-${stripe.index}-of-${stripe.count}`;
/** A stripe's lease and block results live under its folder; its manifest next to it, written last. */
export const stripeFolder = (prefix: string, stripe: Stripe) => `${prefix}${stripeName(stripe)}`;
export const manifestKey = (prefix: string, stripe: Stripe) => `${prefix}${stripeName(stripe)}.json`;
const blockKey = (prefix: string, stripe: Stripe, index: number) =>
  `${stripeFolder(prefix, stripe)}/block-${index}.bin`;

export interface StripeManifest {
  stripe: Stripe;
  blockSize: number;
  /** Each computed block's index and the sha256 of its stored bytes, in raster order. */
  blocks: Array<{ index: number; sha256: string; bytes: number }>;
  reads: Record<'baseline' | 'monitoring', StoredReads>;
  /** The run that computed the stripe. */
  runId: string;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export function encodeBlock(result: ChangeBlockResult): Buffer {
  return gzipSync(serialize(result), { level: 1 });
}

export function decodeBlock(bytes: Uint8Array): ChangeBlockResult {
  return deserialize(gunzipSync(bytes)) as ChangeBlockResult;
}

/** Stores one block's result of a stripe; returns its manifest entry. */
export async function putBlock(
  store: ObjectStore,
  prefix: string,
  stripe: Stripe,
  index: number,
  result: ChangeBlockResult,
) {
  const bytes = encodeBlock(result);
  await store.put(blockKey(prefix, stripe, index), bytes, { contentType: 'application/octet-stream' });
  return { index, sha256: sha256(bytes), bytes: bytes.length };
}

export async function putManifest(store: ObjectStore, prefix: string, manifest: StripeManifest): Promise<void> {
  await store.put(manifestKey(prefix, manifest.stripe), JSON.stringify(manifest), { contentType: 'application/json' });
}

async function manifestOf(store: ObjectStore, prefix: string, stripe: Stripe): Promise<StripeManifest | undefined> {
  const bytes = await store.get(manifestKey(prefix, stripe));
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as StripeManifest;
  } catch {
    return undefined;
  }
}

export const stripeDone = async (store: ObjectStore, prefix: string, stripe: Stripe) =>
  (await manifestOf(store, prefix, stripe)) !== undefined;

/**
 * The reduce's source when every stripe's manifest is there (with the block size the plan uses), else undefined.
 * A stored block that does not match its manifest's sha256 stops the reduce with an error saying what to remove.
 */
export async function stripeReplay(
  store: ObjectStore,
  prefix: string,
  stripes: readonly Stripe[],
  blockSize: number,
): Promise<StripeReplay | undefined> {
  if (stripes.length === 0) return undefined;
  const manifests: StripeManifest[] = [];
  for (const stripe of stripes) {
    const manifest = await manifestOf(store, prefix, stripe);
    if (!manifest || manifest.blockSize !== blockSize) return undefined;
    manifests.push(manifest);
  }
  const where = new Map(
    manifests.flatMap((manifest) => manifest.blocks.map((block) => [block.index, { manifest, block }] as const)),
  );
  return {
    reads: manifests.map((manifest) => manifest.reads),
    async result(index) {
      const found = where.get(index);
      const key = found && blockKey(prefix, found.manifest.stripe, index);
      const bytes = key ? await store.get(key) : null;
      if (!found || !bytes || sha256(bytes) !== found.block.sha256) {
        throw new ChangewatchError(
          'E_COMPUTE',
          `${prefix}: block ${index} is missing or does not match its stripe's manifest: delete ${prefix} so the stripes are computed again`,
        );
      }
      return decodeBlock(bytes);
    },
  };
}

/** Removes every stripe's work of an item (all digests): called once the item is published. */
export async function removeWork(store: ObjectStore, aoiId: string, itemId: string): Promise<number> {
  const keys: string[] = [];
  for await (const key of store.list(`${aoiId}/work/${itemId}/`)) keys.push(key);
  // Manifests first: a stripe without its manifest is unfinished, never a reduce's source.
  keys.sort((a, b) => Number(b.endsWith('.json')) - Number(a.endsWith('.json')));
  for (const key of keys) await store.delete(key);
  return keys.length;
}
