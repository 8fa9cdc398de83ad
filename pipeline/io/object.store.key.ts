import { ChangewatchError } from '../errors.js';

/**
 * Object keys: `/`-separated segments of printable characters, no empty, `.` or `..` segment, no leading slash or
 * backslash, so that a key can never climb out of the store's folder or prefix.
 */
export function checkKey(key: string): string {
  const segments = key.split('/');
  if (
    key === '' ||
    key.startsWith('/') ||
    key.includes('\\') ||
    [...key].some((character) => character.charCodeAt(0) < 0x20) ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    throw new ChangewatchError(
      'E_WRITE',
      `object key ${JSON.stringify(key)} is not a safe relative key: use segments like "aoi/kibali/summary.json"`,
    );
  }
  return key;
}
