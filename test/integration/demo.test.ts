import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Summary } from '../../reports/summary.js';
import { verifyItem } from '../../pipeline/publish/publish.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { childEnv, ROOT } from '../helpers/paths.js';

const GOLDEN = join(ROOT, 'test', 'golden', 'demo.assets.sha256');

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/**
 * The sha256 of every published file that does not name the run (item, assets, collection, catalog), as
 * `sha256sum` prints them: the demo's outputs must stay byte-identical across refactors. The summary names each
 * scene's STAC item by absolute path (under the checkout), and the item carries the summary's checksum and size, so
 * those two are hashed with the checkout's path written `<root>` (and the item with the summary's checksum and size
 * of that form): the list holds wherever the repository is cloned. Regenerate with UPDATE_GOLDEN=1 only when a
 * change of figures or formats is intended, and say so in the commit.
 */
function publishedDigests(store: string): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(relative(store, path));
    }
  };
  walk(store);
  // A site dossier's evidence, manifest and zip name the run and the scenes' absolute hrefs, and the dossiers'
  // index holds their checksums: of the dossiers, the chips and their sidecars are kept.
  const namesRun = (file: string) =>
    /\/sites\/([^/]+\/(evidence\.json|manifest\.sha256|dossier\.zip)|dossiers\.json)$/.test(file);
  // Report pages and their map script are presentation, not outputs: the browser tests check them.
  const kept = files.filter(
    (file) =>
      !file.startsWith('runs/') &&
      !/\/reports\//.test(file) &&
      !file.endsWith('.html') &&
      !file.endsWith('state.json') &&
      !namesRun(file),
  );
  const bytes = new Map(kept.map((file) => [file, readFileSync(join(store, file))]));
  const summaryFile = kept.find((file) => file.endsWith('/summary.json'))!;
  const raw = bytes.get(summaryFile)!;
  const summary = raw.toString('utf8').replaceAll(`file://${ROOT}/`, 'file://<root>/');
  const normalised = (file: string): Uint8Array | string => {
    if (file === summaryFile) return summary;
    const text = bytes.get(file)!.toString('utf8');
    if (!text.includes(sha256(raw))) return bytes.get(file)!;
    return text
      .replace(`"file:size": ${raw.length},`, `"file:size": ${Buffer.byteLength(summary)},`)
      .replace(sha256(raw), sha256(summary));
  };
  return kept
    .sort()
    .map((file) => `${sha256(normalised(file))}  ${file}\n`)
    .join('');
}

describe('npm run demo (dist/pipeline/tools/demo.js)', () => {
  it('runs the offline Bukavu demo, publishes to the store and prints figures that match its summary', async () => {
    const store = mkdtempSync(join(tmpdir(), 'cw-demo-'));
    const env = childEnv({ CHANGEWATCH_STORE_URL: `file://${store}` });
    const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'pipeline', 'tools', 'demo.js')], {
      cwd: ROOT,
      encoding: 'utf8',
      env,
    });
    expect(result.stderr).toContain('"msg":"Run:Done"');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^changewatch \d+\.\d+\.\d+: forest loss for Bukavu \(offline demo\) \(bukavu-demo\), 5,521 ha$/m,
    );
    expect(result.stdout).toMatch(/baseline +2021-06-01\/2021-07-15: \d+ scenes, \d+\.\d % of the AOI seen clear/);
    const itemKey = /^ {2}item +(\S+)$/m.exec(result.stdout)![1]!;
    const summaryKey = /^ {2}summary +(\S+)$/m.exec(result.stdout)![1]!;
    expect(await verifyItem(new FileObjectStore(store), itemKey)).toEqual([]);
    const summary = JSON.parse(readFileSync(join(store, summaryKey), 'utf8')) as Summary;
    const loss = summary.products['forest-loss']!.classes['forest-loss']!;
    expect(result.stdout).toMatch(new RegExp(`forest-loss +${loss.hectares.toFixed(2)} +${loss.pixels}`));
    // Every class together covers the AOI (pixel-centre rasterisation: within 0.1 % of its geodesic area).
    const total = Object.values(summary.products['forest-loss']!.classes).reduce(
      (sum, tally) => sum + tally.hectares,
      0,
    );
    expect(Math.abs(total - 5521.17) / 5521.17).toBeLessThan(0.001);
    expect(summary.periods.baseline.scenes.every((scene) => (scene.cloudCover ?? 0) <= 60)).toBe(true);
    expect(summary.software.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(result.stdout).toMatch(/^bukavu-demo +ok +bukavu-demo-2021-08-15-2021-09-30 /m);
    // The golden bytes are libdeflate 1.14's (native/inflate, built by test/setup.sh; Debian bookworm's): node:zlib,
    // or another libdeflate, compresses the same pixels to other bytes.
    expect(result.stderr, 'the golden checksums are of libdeflate 1.14’s output').toContain(
      '"inflate":"libdeflate 1.14 ',
    );
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, publishedDigests(store));
    expect(publishedDigests(store)).toBe(readFileSync(GOLDEN, 'utf8'));

    // The commands it prints next work exactly as printed, from the folder it ran in, in a shell without its
    // environment: `npx changewatch` finds the package's bin (npm ci puts no changewatch on the PATH).
    const next = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('  npx changewatch '))
      .map((line) => line.trim());
    expect(next).toEqual([
      `npx changewatch status --store file://${store}`,
      `npx changewatch run --dry-run --stac out/inputs/s2-bukavu/catalog.json --aoi bukavu-demo --store file://${store}`,
      'npx changewatch aoi list',
    ]);
    const outputs = next.map((command) => {
      const shell = spawnSync('sh', ['-c', command], { cwd: ROOT, encoding: 'utf8', env: childEnv() });
      expect(shell.status, `${command}\n${shell.stderr}`).toBe(0);
      return shell.stdout;
    });
    expect(outputs[0]).toMatch(/^bukavu-demo +\S+ +\S+ +ok +bukavu-demo-2021-08-15-2021-09-30 /m);
    expect(outputs[1]).toMatch(/^bukavu-demo +nothing-new +bukavu-demo-2021-08-15-2021-09-30 /m);
    expect(outputs[2]).toMatch(/^bukavu-demo +custom +5,521 ha /m);

    // The second run finds nothing new and leaves every published file as it was.
    const itemBefore = statSync(join(store, itemKey)).mtimeMs;
    const summaryBefore = statSync(join(store, summaryKey)).mtimeMs;
    const second = spawnSync(process.execPath, [join(ROOT, 'dist', 'pipeline', 'tools', 'demo.js')], {
      cwd: ROOT,
      encoding: 'utf8',
      env,
    });
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/^bukavu-demo +nothing-new +bukavu-demo-2021-08-15-2021-09-30 /m);
    expect(statSync(join(store, itemKey)).mtimeMs).toBe(itemBefore);
    expect(statSync(join(store, summaryKey)).mtimeMs).toBe(summaryBefore);
    expect(second.stdout).toMatch(new RegExp(`forest-loss +${loss.hectares.toFixed(2)} +${loss.pixels}`));
  }, 120_000);
});
