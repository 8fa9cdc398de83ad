import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Real imagery and STAC JSON, read in place (never copied into the repo). */
export const SHARED_DATA = resolve(ROOT, '..', 'shared', 'data');
/** The compiled CLI, built by `npm test` before vitest runs. */
export const CLI = join(ROOT, 'dist', 'pipeline', 'main.js');
/** Debian's Python, which has GDAL and pyproj (the PATH one may be another interpreter). */
export const DEBIAN_PYTHON = '/usr/bin/python3';
