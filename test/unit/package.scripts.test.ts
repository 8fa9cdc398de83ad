import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

/**
 * npm 11 lists, after every install, the dependencies whose install scripts package.json's `allowScripts` does not
 * cover ("npm warn install-scripts … sharp@0.34.5 (install: node install/check.js || npm run build)"). Every package
 * the lockfile marks `hasInstallScript` is reviewed there, so `npm ci` prints no such warning. Entries are by name:
 * the lockfile carries no `resolved` URLs (omit-lockfile-registry-resolved), so npm cannot match a pinned `name@version`.
 */
describe('package.json allowScripts', () => {
  it('covers every dependency with an install script in package-lock.json', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      allowScripts?: Record<string, boolean>;
    };
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts).toContain('sharp');
    expect(withScripts.filter((name) => manifest.allowScripts?.[name] === undefined)).toEqual([]);
  });
});
