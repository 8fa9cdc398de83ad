import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_NODE_FLAGS } from '../../pipeline/node.flags.js';
import { ROOT } from '../helpers/paths.js';

/**
 * Docker cannot build on these machines, so the Dockerfile is checked against the build output instead: the entry
 * point it runs exists in dist/, what it copies exists, and it runs as a non-root user.
 */
describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('runs an entry point the build produces, as a non-root user', () => {
    const entrypoint = /^ENTRYPOINT\s+(\[.*\])$/m.exec(dockerfile);
    expect(entrypoint).not.toBeNull();
    const [node, ...rest] = JSON.parse(entrypoint![1]!) as string[];
    expect(node).toBe('node');
    // node starts with the CLI's V8 flags, as the CLI's shebang does (test/unit/node.flags.test.ts).
    const script = rest.pop();
    expect(rest).toEqual(CLI_NODE_FLAGS);
    expect(script).toMatch(/^\/app\//);
    expect(existsSync(join(ROOT, script!.replace(/^\/app\//, '')))).toBe(true);
    expect(dockerfile).toMatch(/^USER\s+node$/m);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(`/app/${pkg.bin.changewatch!}`).toBe(script);
  });

  it('schedules by default and checks the scheduler heartbeat with a command the CLI has', async () => {
    expect(/^CMD\s+(\[.*\])$/m.exec(dockerfile)?.[1]).toBe('["schedule"]');
    const health = /^\s+CMD\s+(\[.*\])$/m.exec(dockerfile.slice(dockerfile.indexOf('HEALTHCHECK')));
    const [node, script, ...args] = JSON.parse(health![1]!) as string[];
    expect([node, script]).toEqual(['node', '/app/dist/pipeline/main.js']);
    // The health command exists and says "unhealthy" (exit 1) when there is no heartbeat.
    const result = spawnSync(process.execPath, [join(ROOT, 'dist/pipeline/main.js'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, CHANGEWATCH_SCHEDULE_HEARTBEAT_FILE: join(ROOT, 'no-such-heartbeat.json') },
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^unhealthy: .*no heartbeat/);
    // Every CHANGEWATCH_* variable it sets is one the configuration knows.
    for (const match of dockerfile.matchAll(/(CHANGEWATCH_[A-Z_]+)=/g)) {
      const check = spawnSync(process.execPath, [join(ROOT, 'dist/pipeline/main.js'), 'config', 'check'], {
        encoding: 'utf8',
        env: { ...process.env, [match[1]!]: match[1]!.endsWith('URL') ? 'file:///data/out' : '/tmp/x.json' },
      });
      expect(check.status, `${match[1]!}: ${check.stderr}`).toBe(0);
    }
  });

  it('copies only what exists in the build stage', () => {
    for (const match of dockerfile.matchAll(/^COPY --from=build \/app\/(\S+) /gm)) {
      const source = match[1]!;
      if (source.includes('*')) {
        const [folder, pattern] = [source.slice(0, source.lastIndexOf('/')), source.slice(source.lastIndexOf('/') + 1)];
        const suffix = pattern.replace('*', '');
        expect(
          readdirSync(join(ROOT, folder)).some((name) => name.endsWith(suffix)),
          source,
        ).toBe(true);
      } else {
        expect(existsSync(join(ROOT, source)), source).toBe(true);
      }
    }
  });

  it('builds with the same scripts the repository defines', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const match of dockerfile.matchAll(/npm run (\S+)/g)) expect(pkg.scripts[match[1]!], match[1]).toBeDefined();
  });
});

/** `>=22.13.0`, `^22.13.0 || >=24.0.0`: the forms package.json's engines uses. */
function satisfies(version: string, range: string): boolean {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
  const at = (v: number[]) => major * 1e6 + minor * 1e3 + patch - (v[0]! * 1e6 + (v[1] ?? 0) * 1e3 + (v[2] ?? 0));
  return range.split('||').some((part) => {
    const match = /^\s*(\^|>=)(\d+(?:\.\d+){0,2})\s*$/.exec(part);
    if (!match) throw new Error(`engines range part not understood: ${part}`);
    const floor = match[2]!.split('.').map(Number);
    return at(floor) >= 0 && (match[1] === '>=' || major === floor[0]);
  });
}

/**
 * The runtime is Node 24 LTS everywhere: the Docker image, .nvmrc and the build scripts/node24 brings (and CI runs the
 * tests on); package.json's engines admits it and Node 22 (the CLI's dependencies need only Node 20; 22.13 is what
 * the dev tooling needs).
 */
describe('Node runtime', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const pinned = /^NODE_VERSION=(\d+\.\d+\.\d+)$/m.exec(readFileSync(join(ROOT, 'scripts/node24'), 'utf8'))![1]!;
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } })
    .engines.node;

  it('is the same major in the Docker stages, .nvmrc and scripts/node24, and package.json admits it and Node 22', () => {
    const bases = [...dockerfile.matchAll(/^FROM node:(\d+)-/gm)].map((match) => match[1]);
    expect(bases).toEqual(['24', '24']);
    expect(readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim()).toBe('24');
    expect(pinned.split('.')[0]).toBe('24');
    expect(satisfies(pinned, engines), engines).toBe(true);
    expect(satisfies('22.13.0', engines), engines).toBe(true);
    expect(satisfies('20.19.0', engines), engines).toBe(false);
  });

  // Under scripts/node24 (CI): the test workers, what they start with process.execPath and `node` on PATH are its build.
  it.runIf(process.env.PINNED_NODE_VERSION)('runs the tests and the processes they start on the pinned Node', () => {
    expect(process.env.PINNED_NODE_VERSION).toBe(pinned);
    expect(process.version).toBe(`v${pinned}`);
    const script = 'process.stdout.write(process.version)';
    expect(spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' }).stdout).toBe(`v${pinned}`);
    expect(spawnSync('node', ['-e', script], { encoding: 'utf8' }).stdout).toBe(`v${pinned}`);
  });
});
