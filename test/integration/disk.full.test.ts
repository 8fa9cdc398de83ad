import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangewatchError } from '../../pipeline/errors.js';
import { FileByteSource } from '../../pipeline/io/byte.source.file.js';
import { RasterReader } from '../../pipeline/io/cog.reader.js';
import { writeCog } from '../../pipeline/io/cog.writer.js';
import { BUKAVU_SERIES } from '../helpers/bukavu.js';
import { childEnv, CLI } from '../helpers/paths.js';
import { bukavuItems, startRunSite, type RunSite } from '../helpers/run.site.js';

/**
 * Issue 13: a full TMPDIR said "unexpected error: ENOSPC …" with no path. A real full disk: a 1 MiB tmpfs mounted
 * for the test (root, as `npm test` runs; skipped, saying so, where mounting is not allowed). The unit test
 * test/unit/pipeline/disk.space.test.ts checks the same mapping on /dev/full without root.
 */
const MESSAGE = ': no space left on the device: free space or point TMPDIR at a larger disk';
let tiny: string;
let mounted = false;
let site: RunSite | undefined;

beforeAll(() => {
  tiny = mkdtempSync(join(tmpdir(), 'cw-tinyfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', tiny], { stdio: 'pipe' });
    mounted = true;
  } catch (error) {
    console.warn(`disk.full.test: cannot mount a tmpfs (${(error as Error).message.split('\n')[0]}): tests skipped`);
  }
});

afterAll(async () => {
  await site?.stac.close();
  if (mounted) execFileSync('umount', [tiny]);
  rmSync(tiny, { recursive: true, force: true });
});

describe('a full disk where rasters are written', () => {
  it.skipIf(!process.getuid || process.getuid() !== 0)('the tmpfs was mounted (root)', () => {
    expect(mounted).toBe(true);
  });

  it('writing a real raster into a full folder fails with E_WRITE naming the folder, and leaves nothing behind', async (context) => {
    if (!mounted) context.skip();
    const reader = await RasterReader.open(
      new FileByteSource(join(BUKAVU_SERIES, '20210825T080611_20210825T082711_T35MPT.tif')),
    );
    const { width, height, transform } = reader.info;
    const read = await reader.readWindow({ x0: 0, y0: 0, x1: width, y1: height }, { bands: [0] });
    await reader.close();
    const work = join(tiny, 'changewatch-work');
    mkdirSync(work);
    let error: unknown;
    try {
      await writeCog(join(work, 'red.tif'), {
        width,
        height,
        dataType: 'float32',
        epsg: 32735,
        transform,
        nodata: NaN,
        resampling: 'average',
        bands: [read.bands[0] as Float32Array],
      });
    } catch (caught) {
      error = caught;
    }
    expect((error as ChangewatchError).code).toBe('E_WRITE');
    expect((error as Error).message).toBe(`${work}${MESSAGE}`);
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(readdirSync(work)).toEqual([]);
    rmSync(work, { recursive: true });
  });

  it('a run with TMPDIR on the full disk fails its AOI with that message, not "unexpected error: ENOSPC"', async (context) => {
    if (!mounted) context.skip();
    const { collection, items } = await bukavuItems();
    site = await startRunSite({
      aois: [{ id: 'bukavu-demo', copyOf: 'bukavu-demo' }],
      items,
      collections: [collection],
    });
    const result = await new Promise<{ status: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, '--config', site!.configFile, 'run'], {
        env: childEnv({ TMPDIR: tiny }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('exit', (status) => resolve({ status, output }));
    });
    expect(result.status).toBe(1);
    expect(result.output).not.toMatch(/unexpected error/);
    expect(result.output).toMatch(
      new RegExp(`${tiny.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/changewatch-\\d+-bukavu-demo-\\w+${MESSAGE}`),
    );
    // The work folder is removed after the failure: the disk is free again.
    expect(readdirSync(tiny)).toEqual([]);
  }, 180_000);
});
