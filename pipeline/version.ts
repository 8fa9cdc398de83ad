import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * changewatch's version, from its package.json: every summary records it so that a figure can be traced to
 * the code that made it. Found by walking up from this module (it runs from `pipeline/` and `dist/pipeline/`).
 */
function readVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'changewatch' && pkg.version) return pkg.version;
    } catch {
      // not here: look one folder up
    }
    dir = dirname(dir);
  }
  throw new Error('changewatch: package.json not found next to the code: reinstall changewatch');
}

export const VERSION = readVersion();
