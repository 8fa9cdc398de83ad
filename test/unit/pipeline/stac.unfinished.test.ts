import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unfinishedJson } from '../../../pipeline/io/stac.client.js';
import { SHARED_DATA } from '../../helpers/paths.js';

/** Real STAC API answers (Earth Search v1 landing page and a search page with escapes in its strings). */
const ANSWERS = ['pystac-client-cassettes/es1_collections_00.json', 'pystac-client-cassettes/es1_multi_00.json'].map(
  (name) => readFileSync(join(SHARED_DATA, 'stac', name), 'utf8'),
);

describe('unfinishedJson (a close-delimited STAC answer cut mid-body)', () => {
  it('says every proper prefix of a real answer is unfinished, and the whole answer is not', () => {
    for (const text of ANSWERS) {
      const whole = text.trimEnd();
      expect(unfinishedJson(whole)).toBe(false);
      // Every 97th cut, and the cuts around the end, where a closing brace is all that is missing.
      const cuts = [...Array(Math.floor(whole.length / 97)).keys()].map((i) => i * 97);
      for (const cut of [...cuts, whole.length - 3, whole.length - 2, whole.length - 1]) {
        expect(unfinishedJson(whole.slice(0, cut)), `cut at ${cut}`).toBe(true);
      }
    }
  });

  it('does not call a complete but malformed answer unfinished (an HTML gateway page is not retried)', () => {
    expect(unfinishedJson('<html>Gateway error</html>')).toBe(false);
    expect(unfinishedJson('{"a": 1}}')).toBe(false);
    expect(unfinishedJson('{"say": "a \\" quote and a } brace"}')).toBe(false);
    expect(unfinishedJson('{"say": "a \\" quote and a } brace')).toBe(true);
  });
});
