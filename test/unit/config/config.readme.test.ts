import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_ALIASES, ENV_FIELDS, resolveConfig } from '../../../config/config.load.js';
import { ROOT } from '../../helpers/paths.js';

/**
 * The README's configuration table and the schema agree: every variable the table names is accepted, and every
 * config field (its derived variable name) is in the table. Rows may group fields as `analysis.cloud.{openPx,…}`.
 */
interface Row {
  fields: string[];
  envs: string[];
}

/** `a.b.{c,d}` → `a.b.c`, `a.b.d`; a plain path is itself. */
function expandFields(text: string): string[] {
  const match = /^(.*)\{([^}]*)\}(.*)$/.exec(text);
  if (!match) return [text];
  return match[2]!.split(',').flatMap((name) => expandFields(`${match[1]}${name.trim()}${match[3]}`));
}

function configurationTable(): Row[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('Configuration\n'));
  if (!section) throw new Error('README.md has no "## Configuration" section');
  const lines = section.split('\n').filter((line) => line.startsWith('|'));
  const cells = (line: string) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
  const header = cells(lines[0]!);
  expect(header.slice(0, 2)).toEqual(['field', 'env']);
  return lines.slice(2).map((line) => {
    const [field, env] = cells(line) as [string, string];
    return {
      fields: [...field.matchAll(/`([^`]+)`/g)].flatMap((match) => expandFields(match[1]!)),
      envs: [...env.matchAll(/CHANGEWATCH_[A-Z0-9_]+/g)].map((match) => match[0]),
    };
  });
}

describe('README configuration table', () => {
  const rows = configurationTable();

  it('expands the {a,b} notation', () => {
    expect(expandFields('analysis.cloud.{openPx,dilatePx}')).toEqual([
      'analysis.cloud.openPx',
      'analysis.cloud.dilatePx',
    ]);
    expect(expandFields('stac.url')).toEqual(['stac.url']);
  });

  it('names only variables changewatch accepts', () => {
    const documented = rows.flatMap((row) => row.envs);
    expect(documented).toContain('CHANGEWATCH_ANALYSIS_MEMORY_LIMIT_MIB');
    for (const name of documented) {
      // An empty value means "unset", so only the name is checked.
      const result = resolveConfig({ env: { [name]: '' } });
      expect(result.ok ? [] : result.problems, name).toEqual([]);
    }
  });

  it('documents every config field, and each variable it spells is the one derived from its row', () => {
    const documented = rows.flatMap((row) => row.fields);
    expect(ENV_FIELDS.map((field) => field.path.join('.')).filter((path) => !documented.includes(path))).toEqual([]);
    expect(documented.filter((path) => !ENV_FIELDS.some((field) => field.path.join('.') === path))).toEqual([]);
    for (const row of rows) {
      const derived = ENV_FIELDS.filter((field) => row.fields.includes(field.path.join('.'))).map((f) => f.env);
      for (const name of row.envs) expect(derived, name).toContain(ENV_ALIASES[name] ?? name);
    }
  });
});
