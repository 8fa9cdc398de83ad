import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';

/**
 * The layering rules (README "Layout"): pure folders import no I/O and nothing from pipeline/; only pipeline/
 * imports pipeline/io/; and inside pipeline/, each stage imports only the stages below it (STAGE_IMPORTS).
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

/**
 * What each folder of pipeline/ may import besides the shared files at its root (errors, log, version, ports,
 * config.read) and the pure folders. The stages run top to bottom: cli → tools → assess → run → alerts → publish → outputs →
 * analysis → scenes → io. A stage reaches the outside world through the adapters the composition root builds
 * (compose.ts, the ports in ports.ts); only the stages that read or write raster bytes themselves (scenes: the COG
 * reader and byte sources; outputs: the COG writer; tools: catalog build) and the CLI name io/ modules directly.
 */
const STAGE_IMPORTS: Record<string, readonly string[]> = {
  cli: ['compose', 'tools', 'assess', 'run', 'alerts', 'publish', 'outputs', 'analysis', 'scenes', 'io'],
  tools: ['compose', 'run', 'publish', 'outputs', 'scenes', 'io'],
  assess: ['publish', 'outputs', 'analysis', 'scenes'],
  run: ['compose', 'alerts', 'publish', 'outputs', 'analysis', 'scenes'],
  alerts: ['publish', 'outputs'],
  publish: ['outputs'],
  outputs: ['analysis', 'scenes', 'io/cog.writer'],
  analysis: ['scenes'],
  scenes: ['io'],
  io: [],
};
/** The composition root builds the adapters; main.ts starts the CLI. */
const ROOT_IMPORTS: Record<string, readonly string[]> = {
  'compose.ts': ['io', 'scenes', 'analysis'],
  'main.ts': ['cli'],
};

/** `<stage>/<file>` or `<file>` (at the root) of an import of `file` resolved inside `pipeline`, else undefined. */
function pipelineTarget(file: string, specifier: string, pipeline = join(ROOT, 'pipeline')): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = relative(pipeline, join(file, '..', specifier));
  return target.startsWith('..') ? undefined : target.replace(/\.js$/, '');
}

/** The stage (folder) of a target, `compose` for the composition root, undefined for the shared root files. */
function stageOf(target: string): string | undefined {
  if (target.includes('/')) return target.split('/')[0];
  return target === 'compose' || target === 'main' ? target : undefined;
}

function stageOffences(pipeline = join(ROOT, 'pipeline')): string[] {
  const offences: string[] = [];
  for (const file of sourceFiles(pipeline)) {
    const own = relative(pipeline, file);
    const stage = own.includes('/') ? own.split('/')[0]! : undefined;
    const allowed = (stage ? STAGE_IMPORTS[stage] : ROOT_IMPORTS[own]) ?? [];
    for (const specifier of importsOf(file)) {
      const target = pipelineTarget(file, specifier, pipeline);
      const targetStage = target === undefined ? undefined : stageOf(target);
      if (target === undefined || targetStage === undefined || targetStage === stage) continue;
      if (allowed.some((rule) => rule === targetStage || rule === target)) continue;
      offences.push(
        `pipeline/${own} imports ${specifier}: ${stage ?? own} may import ${allowed.join(', ') || 'no stage'}`,
      );
    }
  }
  return offences;
}

describe('architecture', () => {
  it('inside pipeline/, each stage imports only the stages below it, and io/ only where written down', () => {
    expect(stageOffences()).toEqual([]);
  });

  it('every folder of pipeline/ has its import rules written down', () => {
    const folders = readdirSync(join(ROOT, 'pipeline'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'types')
      .map((entry) => entry.name);
    expect(folders.filter((name) => !STAGE_IMPORTS[name])).toEqual([]);
  });

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

  it('catches a stage importing one above it, io/ or the composition root (the stage check works)', () => {
    const pipeline = mkdtempSync(join(tmpdir(), 'cw-architecture-'));
    const write = (path: string, text: string) => {
      mkdirSync(join(pipeline, path, '..'), { recursive: true });
      writeFileSync(join(pipeline, path), text);
    };
    write('analysis/a.ts', "import { x } from '../run/run.js';\nimport { y } from '../errors.js';\n");
    write('publish/p.ts', "import { z } from '../io/object.store.js';\nimport { c } from '../compose.js';\n");
    write('outputs/o.ts', "import { w } from '../io/cog.writer.js';\nimport { v } from '../scenes/s.js';\n");
    expect(stageOffences(pipeline).map((offence) => offence.split(':')[0])).toEqual([
      'pipeline/analysis/a.ts imports ../run/run.js',
      'pipeline/publish/p.ts imports ../io/object.store.js',
      'pipeline/publish/p.ts imports ../compose.js',
    ]);
  });

  it('finds the imports it checks (the scanner works)', () => {
    expect(importsOf(join(ROOT, 'pipeline', 'cli', 'cli.ts'))).toContain('commander');
    expect(sourceFiles(join(ROOT, 'aoi')).length).toBeGreaterThan(2);
  });
});
