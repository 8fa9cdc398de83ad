import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileByteSource } from '../../pipeline/io/byte.source.file.js';
import { RasterReader } from '../../pipeline/io/cog.reader.js';
import { CLOUD, sclStates } from '../../workers/masks.js';
import { dilate, open } from '../../workers/morphology.js';
import { DEBIAN_PYTHON, SHARED_DATA } from '../helpers/paths.js';

/**
 * Cloud-mask cleanup against scipy.ndimage on a real Sentinel-2 SCL layer (the Morocco L2A sample): opening by
 * disk(2) with skimage's border convention (outside counts as foreground when eroding) then dilation by disk(5).
 */
const PEER = `
import sys
import numpy as np
from scipy import ndimage
w, h = int(sys.argv[2]), int(sys.argv[3])
mask = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(h, w).astype(bool)
def disk(r):
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= r * r
eroded = ndimage.binary_erosion(mask, structure=disk(2), border_value=1)
opened = ndimage.binary_dilation(eroded, structure=disk(2), border_value=0)
grown = ndimage.binary_dilation(opened, structure=disk(5), border_value=0)
opened.astype(np.uint8).tofile(sys.argv[1] + ".opened")
grown.astype(np.uint8).tofile(sys.argv[1] + ".grown")
`;

describe('cloud cleanup against scipy.ndimage on a real SCL layer', () => {
  it('opening (disk 2) then dilation (disk 5) agree pixel for pixel', async () => {
    const reader = await RasterReader.open(new FileByteSource(join(SHARED_DATA, 's2l2a-morocco', 'SCL.tif')));
    const { width, height } = reader.info;
    const scl = (await reader.readWindow({ x0: 0, y0: 0, x1: width, y1: height })).bands[0]!;
    const states = sclStates(scl);
    const cloud = new Uint8Array(states.length);
    for (let i = 0; i < states.length; i++) cloud[i] = states[i] === CLOUD ? 1 : 0;
    const clouds = cloud.reduce((sum, value) => sum + value, 0);
    expect(clouds).toBeGreaterThan(100);
    const opened = open(cloud, width, height, 2);
    const grown = dilate(opened, width, height, 5);

    const dir = mkdtempSync(join(tmpdir(), 'cw-morph-'));
    const file = join(dir, 'cloud.bin');
    writeFileSync(file, cloud);
    execFileSync(DEBIAN_PYTHON, ['-c', PEER, file, String(width), String(height)]);
    const peerOpened = new Uint8Array(readFileSync(`${file}.opened`));
    const peerGrown = new Uint8Array(readFileSync(`${file}.grown`));
    expect(Buffer.from(opened).equals(Buffer.from(peerOpened))).toBe(true);
    expect(Buffer.from(grown).equals(Buffer.from(peerGrown))).toBe(true);
    // The opening removed specks and the dilation grew the rest: both did something on this scene.
    const count = (mask: Uint8Array) => mask.reduce((sum, value) => sum + value, 0);
    expect(count(opened)).toBeLessThan(clouds);
    expect(count(grown)).toBeGreaterThan(count(opened));
    console.log(JSON.stringify({ width, height, cloud: clouds, opened: count(opened), grown: count(grown) }));
  });
});
