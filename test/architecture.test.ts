import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';

/**
 * The layering rules (README "Layout"): pure folders import no I/O and nothing from pipeline/;
 * only pipeline/ imports pipeline/io/.
 */
const PURE = ['workers', 'aoi', 'reports', 'config'];
const IO_MODULES = [
  /^node:(fs|fs\/promises|net|http|https|http2|child_process|dgram|dns|tls|worker_threads|cluster|readline)$/,
  /^(fs|net|http|https|child_process)$/,
  /^@aws-sdk\//,
  /^pino/,
  /^piscina$/,
  /^sharp$/,
  /^node-cron$/,
  /^undici$/,
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1] ?? match[2]!);
}

describe('architecture', () => {
  for (const folder of PURE) {
    it(`${folder}/ imports no I/O module and nothing from pipeline/`, () => {
      const offences: string[] = [];
      for (const file of sourceFiles(join(ROOT, folder))) {
        // The one thin piscina entry may import piscina (CONVENTIONS: "plus one thin piscina entry file").
        const allowed = relative(ROOT, file) === join('workers', 'pool.entry.ts') ? ['piscina'] : [];
        for (const specifier of importsOf(file)) {
          if (allowed.includes(specifier)) continue;
          if (IO_MODULES.some((pattern) => pattern.test(specifier)) || specifier.includes('pipeline/')) {
            offences.push(`${relative(ROOT, file)} imports ${specifier}`);
          }
        }
      }
      expect(offences).toEqual([]);
    });
  }

  it('only pipeline/ imports pipeline/io/', () => {
    const offences: string[] = [];
    for (const folder of ['workers', 'aoi', 'reports', 'config']) {
      for (const file of sourceFiles(join(ROOT, folder))) {
        for (const specifier of importsOf(file))
          if (specifier.includes('/io/')) offences.push(`${relative(ROOT, file)} → ${specifier}`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('finds the imports it checks (the scanner works)', () => {
    expect(importsOf(join(ROOT, 'pipeline', 'cli', 'cli.ts'))).toContain('commander');
    expect(sourceFiles(join(ROOT, 'aoi')).length).toBeGreaterThan(2);
  });
});
