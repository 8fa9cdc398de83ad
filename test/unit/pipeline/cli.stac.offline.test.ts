import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../pipeline/cli/cli.js';
import type { RunReport } from '../../../pipeline/run/run.js';
import { ROOT } from '../../helpers/paths.js';

/** A loopback port nothing listens on: connections are refused at once, as with a STAC API out of reach. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function cli(args: string[], cwd = ROOT): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--log-level', 'silent', ...args], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: {},
    cwd,
  });
  return { code, out, err };
}

const GAVE_UP =
  'network error (ECONNREFUSED): gave up after 5 attempts: check the network or the server, the next run retries';

describe('an unreachable STAC API: the message says which --stac works offline', () => {
  it('in the run report reason and the run table, after the retries', async () => {
    const stac = `http://127.0.0.1:${await closedPort()}`;
    const store = mkdtempSync(join(tmpdir(), 'cw-offline-'));
    const result = await cli(['--stac', stac, '--store', `file://${store}`, 'run', '--aoi', 'bukavu-demo']);
    expect(result.code).toBe(1);
    const [file] = readdirSync(join(store, 'runs'));
    const report = JSON.parse(readFileSync(join(store, 'runs', file!), 'utf8')) as RunReport;
    // The hint names the demo catalog as a path relative to the clone (the run's working directory here).
    expect(report.aois[0]!.reason).toContain(
      `${stac}/: ${GAVE_UP}; to work offline, give --stac out/inputs/s2-bukavu/catalog.json (the demo's catalog of the Bukavu scenes`,
    );
    expect(result.out.find((line) => line.startsWith('bukavu-demo'))).toContain(
      '; to work offline, give --stac out/inputs/s2-bukavu/catalog.json',
    );
  }, 30_000);

  it('from scenes and a dry run, saying how to build the catalog when it is not there', async () => {
    const stac = `http://127.0.0.1:${await closedPort()}`;
    const elsewhere = mkdtempSync(join(tmpdir(), 'cw-offline-cwd-'));
    const aoi = join(ROOT, 'aoi', 'bukavu-demo.geojson');
    const scenes = await cli(
      ['--stac', stac, 'scenes', '--aoi', aoi, '--from', '2021-06-01', '--to', '2021-06-30'],
      elsewhere,
    );
    expect(scenes.code).toBe(1);
    expect(scenes.err).toEqual([
      `${stac}/: ${GAVE_UP}; to work offline, give --stac out/inputs/s2-bukavu/catalog.json (the demo's catalog of the Bukavu scenes, which "npm run demo" builds)`,
    ]);
    const dryRun = await cli(
      ['--stac', stac, '--store', `file://${elsewhere}/out`, 'run', '--dry-run', '--aoi', aoi],
      elsewhere,
    );
    expect(dryRun.code).toBe(1);
    expect(dryRun.out.find((line) => line.startsWith('bukavu-demo'))).toMatch(
      /failed .*; to work offline, give --stac /,
    );
  }, 30_000);

  it('not for an answer the server gave (a 404 is E_STAC): its own advice stands', async () => {
    const server = createHttpServer((_request, response) => response.writeHead(404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const stac = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const result = await cli([
        '--stac',
        stac,
        'scenes',
        '--aoi',
        'bukavu-demo',
        '--from',
        '2021-06-01',
        '--to',
        '2021-06-30',
      ]);
      expect(result.code).toBe(1);
      expect(result.err).toEqual([`${stac}/: HTTP 404 Not Found: not found: check the URL`]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
