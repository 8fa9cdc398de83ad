import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, truncateSync, copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { compose } from '../../pipeline/compose.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { S3ObjectStore } from '../../pipeline/io/object.store.s3.js';
import { createLogger } from '../../pipeline/log.js';
import { itemKey } from '../../pipeline/outputs/layout.js';
import type { ObjectStore } from '../../pipeline/ports.js';
import { verifyItem } from '../../pipeline/publish/publish.js';
import { pullReport } from '../../pipeline/publish/report.pull.js';
import { runAll, type RunReport } from '../../pipeline/run/run.js';
import { loadState, stateKey } from '../../pipeline/publish/aoi.state.js';
import { leaseKey } from '../../pipeline/run/lease.js';
import { childEnv, CLI, ROOT } from '../helpers/paths.js';
import { bukavuItems, startRunSite, type RunSite } from '../helpers/run.site.js';
import { s3ClientWithBucket } from '../helpers/s3.js';
import { storeProblems } from '../helpers/store.check.js';
import type { Summary } from '../../reports/summary.js';

/**
 * The nightly run end to end, with real parts: the real Bukavu scenes behind a STAC API on loopback, the file
 * store and a real S3 server (Ceph radosgw), the compiled CLI in child processes for exit codes, SIGKILL and
 * concurrency.
 */
type Json = Record<string, unknown>;
let collection: string;
let items: Json[];
const sites: RunSite[] = [];
const quiet = createLogger('silent');
const POOL_ENTRY = join(ROOT, 'dist', 'workers', 'pool.entry.js');

/** A second AOI inside the Bukavu tile, smaller than the demo's. */
const SMALL = { id: 'bukavu-b', bbox: [28.83, -2.5, 28.86, -2.46] };

beforeAll(async () => {
  ({ collection, items } = await bukavuItems());
}, 60_000);

afterAll(async () => {
  await Promise.all(sites.map((site) => site.stac.close()));
});

async function site(input: Omit<Parameters<typeof startRunSite>[0], 'collections'>): Promise<RunSite> {
  const started = await startRunSite({ ...input, collections: [collection] });
  sites.push(started);
  return started;
}

function configOf(site: RunSite) {
  return loadConfig({ config: site.configFile }, {}, ROOT).config;
}

/** The CLI in a child process; asynchronous, since the STAC API it talks to lives in this process. */
function cli(
  site: RunSite,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--config', site.configFile, ...args], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out;
}

/** Every published output (not state, leases, run reports or the run-level index page) with its size and mtime. */
function outputsOf(storeDir: string, keys: string[]): Record<string, string> {
  return Object.fromEntries(
    keys
      .filter(
        (key) =>
          !key.startsWith('runs/') &&
          key !== 'index.html' &&
          !key.endsWith('/state.json') &&
          !key.endsWith('/lease.json'),
      )
      .map((key) => {
        const stat = statSync(join(storeDir, key));
        return [key, `${stat.size}@${stat.mtimeMs}`];
      }),
  );
}

const latestMonitoringScene = () =>
  items
    .filter((item) => {
      const datetime = String((item.properties as Json).datetime);
      return datetime >= '2021-08-15' && datetime < '2021-10-01';
    })
    .map((item) => String(item.id))
    .sort()
    .at(-1)!;

describe('changewatch run: incremental', () => {
  it('processes everything first, then nothing, then exactly the period of one new scene', async () => {
    const withheld = latestMonitoringScene();
    const s = await site({ aois: [SMALL], items: items.filter((item) => item.id !== withheld) });
    const config = configOf(s);
    const storeDir = join(s.dir, 'store');
    const store = new FileObjectStore(storeDir);

    const first = await runAll(compose(config, quiet, { poolEntry: POOL_ENTRY }));
    expect(first.aois.map((a) => [a.aoi, a.outcome])).toEqual([['bukavu-b', 'ok']]);
    expect(first.aois[0]!.newScenes).not.toContain(withheld);
    const itemId = first.aois[0]!.itemId!;
    expect(await verifyItem(store, itemKey('bukavu-b', itemId))).toEqual([]);
    const before = outputsOf(storeDir, await collect(store.list('')));

    const second = await runAll(compose(config, quiet, { poolEntry: POOL_ENTRY }));
    expect(second.aois.map((a) => [a.outcome, a.newScenes])).toEqual([['nothing-new', []]]);
    expect(outputsOf(storeDir, await collect(store.list('')))).toEqual(before);

    s.stac.addItems(items.filter((item) => item.id === withheld));
    const third = await runAll(compose(config, quiet, { poolEntry: POOL_ENTRY }));
    expect(third.aois.map((a) => [a.outcome, a.itemId, a.newScenes])).toEqual([['ok', itemId, [withheld]]]);
    expect(third.aois[0]!.scenes!.monitoring).toContain(withheld);
    expect(await verifyItem(store, itemKey('bukavu-b', itemId))).toEqual([]);
    const { state } = await loadState(store, 'bukavu-b');
    expect(state.history.map((record) => record.outcome)).toEqual(['ok', 'nothing-new', 'ok']);
    expect(state.items[itemId]!.scenes).toContain(withheld);
    // Every run left its report in the store.
    const reports = await collect(store.list('runs/'));
    expect(reports).toHaveLength(3);
    const report = JSON.parse(readFileSync(join(storeDir, `runs/${third.runId}.json`), 'utf8')) as RunReport;
    expect(reports.at(-1)).toBe(`runs/${third.runId}.json`);
    expect(report.aois[0]!.bytesRead).toBeGreaterThan(0);
    expect(report.software.version).toMatch(/^\d+\.\d+\.\d+/);
  }, 120_000);

  it('rebuilds a lost or corrupt state from the published items, report page and index links included', async () => {
    const s = await site({ aois: [SMALL], items });
    const config = configOf(s);
    const store = new FileObjectStore(join(s.dir, 'store'));
    await runAll(compose(config, quiet, { poolEntry: POOL_ENTRY }));
    await store.put(stateKey('bukavu-b'), '{"stateVersion": 1, "aoi": "bukavu-b", "items": ', {
      contentType: 'application/json',
    });
    const corrupt = await runAll(compose(config, quiet, { poolEntry: POOL_ENTRY }));
    // Not recomputed: the item stands; its state record and report page (the index's figures and link) are redone.
    expect(corrupt.aois.map((a) => [a.outcome, a.stateRebuilt])).toEqual([['repaired', 'corrupt']]);
    expect(await storeProblems(store, 'bukavu-b')).toEqual([]);
    await store.delete(stateKey('bukavu-b'));
    const lost = await runAll(compose(config, quiet, { poolEntry: POOL_ENTRY }));
    expect(lost.aois.map((a) => [a.outcome, a.stateRebuilt])).toEqual([['repaired', 'lost']]);
    expect(await storeProblems(store, 'bukavu-b')).toEqual([]);
    const rest = await runAll(compose(config, quiet, { poolEntry: POOL_ENTRY }));
    expect(rest.aois.map((a) => [a.outcome, a.stateRebuilt])).toEqual([['nothing-new', undefined]]);
    const { state } = await loadState(store, 'bukavu-b');
    expect(Object.values(state.items)[0]!.scenes.length).toBe(
      lost.aois[0]!.scenes!.baseline.length + lost.aois[0]!.scenes!.monitoring.length,
    );
  }, 120_000);
});

describe('changewatch run: the plan is what runs', () => {
  it('a dry run lists exactly the assets the run then publishes, in order, under the same item and digest', async () => {
    const s = await site({ aois: [SMALL], items });
    const config = configOf(s);
    const store = new FileObjectStore(join(s.dir, 'store'));
    const dry = await runAll(compose(config, quiet, { poolEntry: POOL_ENTRY }), { dryRun: true });
    const plan = dry.plans[0]!;
    expect(plan.action).toBe('compute');
    expect(await collect(store.list(''))).toEqual([]);
    const ran = await runAll(compose(config, quiet, { poolEntry: POOL_ENTRY }));
    expect(ran.aois.map((entry) => [entry.outcome, entry.itemId, entry.digest])).toEqual([
      ['ok', plan.itemId, plan.digest],
    ]);
    const item = JSON.parse(readFileSync(join(s.dir, 'store', itemKey('bukavu-b', plan.itemId)), 'utf8')) as {
      assets: Record<string, unknown>;
    };
    expect(Object.keys(item.assets)).toEqual(plan.outputs);
  }, 120_000);
});

describe('changewatch run: a scene that disagrees with its STAC item', () => {
  it('is skipped and said so in the summary, its caveats and the run report, never listed as used', async () => {
    const wrong = latestMonitoringScene();
    const edited = items.map((item) => {
      if (item.id !== wrong) return item;
      const copy = structuredClone(item) as Json & { properties: Json };
      delete copy.properties['proj:epsg'];
      copy.properties['proj:code'] = 'EPSG:32635';
      return copy;
    });
    const s = await site({ aois: [SMALL], items: edited });
    const report = await runAll(compose(configOf(s), quiet, { poolEntry: POOL_ENTRY }));
    const entry = report.aois[0]!;
    expect(entry.outcome).toBe('ok');
    expect(entry.skipped?.map((skip) => skip.id)).toEqual([wrong]);
    expect(entry.skipped![0]!.reason).toMatch(/differs from the item's proj:code EPSG:32635/);
    const store = new FileObjectStore(join(s.dir, 'store'));
    const item = JSON.parse(new TextDecoder().decode((await store.get(itemKey('bukavu-b', entry.itemId!)))!)) as {
      assets: Record<string, { href: string }>;
    };
    const summaryKey = `bukavu-b/${entry.itemId}/${item.assets['summary']!.href.replace('./', '')}`;
    const summary = JSON.parse(new TextDecoder().decode((await store.get(summaryKey))!)) as Summary;
    expect(summary.periods.monitoring.scenes.map((scene) => scene.id)).not.toContain(wrong);
    expect(summary.periods.monitoring.skipped?.map((skip) => skip.id)).toEqual([wrong]);
    expect(summary.caveats.some((caveat) => caveat.startsWith(`Scene ${wrong} was not used:`))).toBe(true);
  }, 120_000);
});

describe('changewatch run: errors decide outcomes in one table', () => {
  it('a configuration error (no built worker) stops the run: the AOIs after it do not start', async () => {
    const s = await site({ aois: [SMALL, { id: 'bukavu-c', bbox: [28.84, -2.49, 28.85, -2.48] }], items });
    const adapters = compose(configOf(s), quiet, { poolEntry: join(s.dir, 'missing', 'pool.entry.js') });
    const report = await runAll(adapters);
    expect(report.aois.map((entry) => [entry.aoi, entry.outcome])).toEqual([
      ['bukavu-b', 'failed'],
      ['bukavu-c', 'failed'],
    ]);
    expect(report.aois[0]!.reason).toMatch(/pool\.entry\.js does not exist: run "npm run build" first/);
    expect(report.aois[1]!.reason).toMatch(/^not started: the run stopped on a configuration error/);
    expect(report.stopped).toMatch(/npm run build/);
  }, 120_000);
});

describe('changewatch run: CLI', () => {
  it('--dry-run prints the plan and writes nothing; a truncated COG fails its AOI only (exit 1)', async () => {
    // AOI "broken" lies elsewhere; its only scenes are truncated copies of real ones.
    const brokenDir = mkdtempSync(join(tmpdir(), 'cw-broken-'));
    const broken = items.slice(0, 2).map((item, index) => {
      const copy = structuredClone(item) as Json & { assets: Record<string, { href: string }>; properties: Json };
      const file = join(brokenDir, `broken-${index}.tif`);
      copyFileSync(copy.assets.data!.href, file);
      truncateSync(file, 600);
      copy.assets.data!.href = file;
      copy.id = `broken-${index}`;
      copy.properties.datetime = index === 0 ? '2021-06-10T08:00:00Z' : '2021-09-10T08:00:00Z';
      copy.properties['eo:cloud_cover'] = 5;
      copy.geometry = {
        type: 'Polygon',
        coordinates: [
          [
            [29.5, 3.0],
            [29.7, 3.0],
            [29.7, 3.2],
            [29.5, 3.2],
            [29.5, 3.0],
          ],
        ],
      };
      copy.bbox = [29.5, 3.0, 29.7, 3.2];
      return copy;
    });
    const s = await site({
      aois: [SMALL, { id: 'broken', bbox: [29.55, 3.05, 29.6, 3.1] }],
      items: [...items, ...broken],
    });
    const dry = await cli(s, ['run', '--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(
      /^bukavu-b +compute +bukavu-b-2021-08-15-2021-09-30 +\d+\+\d+ +\d+ +[\d.]+ MiB +[\d.]+ MiB +14 assets/m,
    );
    expect(dry.stdout).toMatch(/nothing was read or written/);
    expect(await collect(new FileObjectStore(join(s.dir, 'store')).list(''))).toEqual([]);

    const run = await cli(s, ['run']);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^broken +failed .*broken-\d\.tif/m);
    expect(run.stdout).toMatch(/^bukavu-b +ok +/m);
    expect(run.stderr).not.toMatch(/AWS_SECRET|secret/i);

    const unknown = await cli(s, ['run', '--aoi', 'nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/--aoi nope: no AOI with that id/);

    const status = await cli(s, ['status']);
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/^broken +\S+ +\S+ +failed/m);
    expect(status.stdout).toMatch(/^bukavu-b +\S+ +\S+ +ok +bukavu-b-2021-08-15-2021-09-30 +\d+ +1/m);
    expect(status.stdout).toMatch(
      /next scheduled run: \d{4}-\d\d-\d\dT00:00:00.000Z \(0 2 \* \* \*, Africa\/Lubumbashi\)/,
    );
  }, 180_000);

  it('killed (SIGKILL) mid-run, the next run completes; nothing partial is published, nothing is processed twice', async () => {
    const s = await site({ aois: [{ id: 'bukavu-a', copyOf: 'bukavu-demo' }, SMALL], items });
    const storeDir = join(s.dir, 'store');
    const store = new FileObjectStore(storeDir);
    // The runs' scratch folders go to a TMPDIR of this test, to see what the killed one leaves.
    const scratch = mkdtempSync(join(tmpdir(), 'cw-scratch-'));
    const child = spawn(process.execPath, [CLI, '--config', s.configFile, '--log-level', 'debug', 'run'], {
      env: childEnv({ TMPDIR: scratch }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const killed = await new Promise<boolean>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // Killed while bukavu-b computes, after bukavu-a was published.
        if (/"aoi":"bukavu-b".*"msg":"Block:Compute:Done"/.test(stderr) && !child.killed) {
          child.kill('SIGKILL');
        }
      });
      child.on('exit', (_code, signal) => resolve(signal === 'SIGKILL'));
    });
    expect(killed).toBe(true);
    // The dead run's lease is still there; its pid is gone, so the next run takes it over at once.
    expect(await store.get(leaseKey('bukavu-b'))).not.toBeNull();
    const itemB = itemKey('bukavu-b', 'bukavu-b-2021-08-15-2021-09-30');
    const itemA = itemKey('bukavu-a', 'bukavu-a-2021-08-15-2021-09-30');
    expect(await verifyItem(store, itemA)).toEqual([]);
    const partial = await store.get(itemB);
    if (partial) expect(await verifyItem(store, itemB)).toEqual([]);

    const left = readdirSync(scratch);
    if (!partial) expect(left.filter((name) => name.startsWith(`changewatch-${child.pid}-bukavu-b-`))).toHaveLength(1);

    const resumed = await cli(s, ['run'], { TMPDIR: scratch });
    expect(resumed.status).toBe(0);
    // The next run removed what the killed one left, and its own folders are gone too.
    expect(readdirSync(scratch)).toEqual([]);
    expect(resumed.stdout).toMatch(/^bukavu-a +nothing-new /m);
    expect(resumed.stdout).toMatch(partial ? /^bukavu-b +nothing-new /m : /^bukavu-b +ok /m);
    expect(await verifyItem(store, itemB)).toEqual([]);
    expect(await store.get(leaseKey('bukavu-b'))).toBeNull();
    const again = await cli(s, ['run']);
    expect(again.stdout).toMatch(/^bukavu-a +nothing-new /m);
    expect(again.stdout).toMatch(/^bukavu-b +nothing-new /m);
    // No asset folder of an abandoned attempt is left next to the published ones.
    const folders = new Set(
      (await collect(store.list('bukavu-b/bukavu-b-2021-08-15-2021-09-30/')))
        .map((key) => key.split('/')[2]!)
        .filter((part) => !part.endsWith('.json')),
    );
    expect(folders.size).toBe(1);
  }, 180_000);

  it('two concurrent runs on one S3 store process each AOI exactly once', async () => {
    const s3 = inject('s3');
    const bucket = `cw-run-${Date.now()}`;
    const client = await s3ClientWithBucket(bucket);
    const storeUrl = `s3://${bucket}/concurrent`;
    const s = await site({
      aois: [{ id: 'bukavu-a', copyOf: 'bukavu-demo' }, SMALL],
      items,
      storeUrl,
      extraConfig: { store: { url: storeUrl, s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true } } },
    });
    const env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
    const start = () =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, '--config', s.configFile, 'run'], {
          env: childEnv(env),
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    const results = await Promise.all([start(), start()]);
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    expect(results.map((r) => r.stderr).join('')).not.toContain(s3.secretAccessKey);
    const store: ObjectStore = new S3ObjectStore(client, storeUrl);
    const reports = await Promise.all(
      (await collect(store.list('runs/'))).map(
        async (key) => JSON.parse(new TextDecoder().decode((await store.get(key))!)) as RunReport,
      ),
    );
    expect(reports).toHaveLength(2);
    for (const aoi of ['bukavu-a', 'bukavu-b']) {
      const outcomes = reports.map((report) => report.aois.find((entry) => entry.aoi === aoi)!.outcome).sort();
      expect(outcomes.filter((outcome) => outcome === 'ok')).toHaveLength(1);
      expect(outcomes.every((outcome) => ['ok', 'busy', 'nothing-new'].includes(outcome))).toBe(true);
      expect(await verifyItem(store, itemKey(aoi, `${aoi}-2021-08-15-2021-09-30`))).toEqual([]);
    }
    // An author pulls the latest report of an AOI from the bucket to a local folder.
    const dest = mkdtempSync(join(tmpdir(), 'cw-pull-s3-'));
    const pulled = await pullReport(store, { aoiId: 'bukavu-b', run: 'latest', dest });
    expect(pulled.page).toMatch(/bukavu-b\/reports\/.+\.html$/);
    expect(await verifyItem(new FileObjectStore(dest), itemKey('bukavu-b', 'bukavu-b-2021-08-15-2021-09-30'))).toEqual(
      [],
    );
    expect(readFileSync(pulled.page, 'utf8')).toContain('<table id="classes">');
  }, 240_000);

  describe('changewatch schedule', () => {
    it('runs on its cron schedule and stops cleanly on SIGTERM: heartbeat stopped, lease released, outputs whole', async () => {
      const s = await site({
        aois: [SMALL],
        items,
        extraConfig: {
          schedule: {
            cron: '*/2 * * * * *',
            timezone: 'UTC',
            heartbeatFile: join(mkdtempSync(join(tmpdir(), 'cw-hb-')), 'hb.json'),
          },
          log: { level: 'debug' },
        },
      });
      const config = configOf(s);
      const store = new FileObjectStore(join(s.dir, 'store'));
      const child = spawn(process.execPath, [CLI, '--config', s.configFile, 'schedule'], {
        env: childEnv(),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await new Promise<void>((resolve) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          // Stop it in the middle of its first computation.
          if (stderr.includes('Block:Compute:Done') && !child.killed) {
            child.kill('SIGTERM');
            resolve();
          }
        });
      });
      expect(await exited).toBe(0);
      expect(stderr).toContain('Schedule:Signal:Stopping');
      const heartbeat = JSON.parse(readFileSync(config.schedule.heartbeatFile, 'utf8')) as { status: string };
      expect(heartbeat.status).toBe('stopped');
      expect(await store.get(leaseKey('bukavu-b'))).toBeNull();
      const item = itemKey('bukavu-b', 'bukavu-b-2021-08-15-2021-09-30');
      if (await store.get(item)) expect(await verifyItem(store, item)).toEqual([]);
      const { state } = await loadState(store, 'bukavu-b');
      expect(state.history.at(-1)?.outcome).toMatch(/^(ok|failed)$/);
    }, 120_000);
  });
});
