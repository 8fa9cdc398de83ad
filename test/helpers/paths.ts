import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder up with changewatch's package.json (tests run from source or dist-bench). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'changewatch'
    ) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('test/helpers/paths: changewatch package.json not found');
    dir = parent;
  }
}

export const ROOT = findRoot();
/** Real imagery and STAC JSON, read in place (never copied into the repo). */
export const SHARED_DATA = resolve(ROOT, '..', 'shared', 'data');
/** The compiled CLI, built by `npm test` before vitest runs. */
export const CLI = join(ROOT, 'dist', 'pipeline', 'main.js');
/** Debian's Python, which has GDAL and pyproj (the PATH one may be another interpreter). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** The environment for a child process: this one's without any CHANGEWATCH_* variable, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CHANGEWATCH_'))),
    ...extra,
  };
}
