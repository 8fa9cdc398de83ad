import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_NODE_FLAGS } from '../../pipeline/node.flags.js';
import { ROOT } from '../helpers/paths.js';

describe("the CLI's V8 flags", () => {
  // The image's entry point passes them too: test/integration/dockerfile.test.ts.
  it('are the ones its shebang starts node with', () => {
    const shebang = readFileSync(join(ROOT, 'pipeline', 'main.ts'), 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${CLI_NODE_FLAGS.join(' ')}`);
  });
});
