import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertDigest } from '../../pipeline/alerts/alert.digest.js';
import { siteAlerts } from '../../pipeline/alerts/alert.select.js';
import { pendingDigests, queueDigest, sentKeys, type SentRecord } from '../../pipeline/alerts/alert.store.js';
import { compose } from '../../pipeline/compose.js';
import { loadConfig } from '../../pipeline/config.read.js';
import { FileObjectStore } from '../../pipeline/io/object.store.file.js';
import { S3ObjectStore } from '../../pipeline/io/object.store.s3.js';
import { createLogger } from '../../pipeline/log.js';
import type { SitesCollection } from '../../pipeline/outputs/sites.js';
import { sendRunAlerts } from '../../pipeline/run/alerts.run.js';
import { newRunId, runAll } from '../../pipeline/run/run.js';
import { childEnv, CLI, ROOT } from '../helpers/paths.js';
import { bukavuItems, startRunSite, type RunSite } from '../helpers/run.site.js';
import { s3ClientWithBucket } from '../helpers/s3.js';
import { startSmtpServer, type SmtpTestServer } from '../helpers/smtp.server.js';
import { closedPort, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook.receiver.js';

/**
 * Alerts end to end on the real Bukavu series (README "Alerts"): the runs publish real sites, and their digests go to
 * a real SMTP server on loopback (STARTTLS with a test certificate, AUTH) and a loopback webhook receiver that checks
 * the HMAC signature. The webhook is down for the first run (the digest stays pending, the email goes), comes back
 * failing twice with 503 (retried within the run), and a rerun sends nothing new; a later period goes out in French;
 * two schedulers finishing together send one digest.
 */
const POOL_ENTRY = join(ROOT, 'dist', 'workers', 'pool.entry.js');
const SECRET = 'bukavu-hook-secret-7f3a9c';
const SMTP = { user: 'changewatch', password: 'p@ss word 42' };
const ENV = { CW_TEST_HOOK_SECRET: SECRET, CW_TEST_SMTP_USER: SMTP.user, CW_TEST_SMTP_PASS: SMTP.password };
const AOI = 'bukavu-a';
/** The digests as received (raw email, webhook request), for people to read. */
const ARTIFACTS = join(ROOT, 'test-artifacts', 'alerts');

let site: RunSite;
let smtp: SmtpTestServer;
let hookPort: number;
let receiver: WebhookReceiver | undefined;
const logLines: string[] = [];

beforeAll(async () => {
  const { collection, items } = await bukavuItems();
  smtp = await startSmtpServer(SMTP);
  hookPort = await closedPort();
  site = await startRunSite({
    aois: [{ id: AOI, copyOf: 'bukavu-demo' }],
    items,
    collections: [collection],
    extraConfig: {
      alerts: {
        language: 'en',
        webhook: { url: `http://127.0.0.1:${hookPort}/hooks/changewatch`, secretEnv: 'CW_TEST_HOOK_SECRET' },
        email: {
          host: '127.0.0.1',
          port: smtp.port,
          caFile: smtp.caFile,
          from: '"changewatch Kivu" <changewatch@kivu.test>',
          to: ['field@kivu.test', 'goma@kivu.test'],
          userEnv: 'CW_TEST_SMTP_USER',
          passwordEnv: 'CW_TEST_SMTP_PASS',
          timeoutMs: 5000,
        },
      },
    },
  });
}, 60_000);

afterAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  smtp?.messages.forEach((mail, index) => writeFileSync(join(ARTIFACTS, `mail-${index + 1}.eml`), mail.raw));
  receiver?.requests.forEach((request, index) =>
    writeFileSync(
      join(ARTIFACTS, `webhook-${index + 1}.http`),
      `${Object.entries(request.headers)
        .map(([name, value]) => `${name}: ${String(value)}`)
        .join(
          '\n',
        )}\n\n${request.body}\n=> ${request.status} (signature ${request.signatureOk ? 'verified' : 'wrong'})\n`,
    ),
  );
  await site?.stac.close();
  await smtp?.close();
  await receiver?.close();
});

const store = () => new FileObjectStore(join(site.dir, 'store'));
const aoiName = () =>
  (
    JSON.parse(readFileSync(join(ROOT, 'aoi', 'bukavu-demo.geojson'), 'utf8')) as {
      features: Array<{ properties: { name: string } }>;
    }
  ).features[0]!.properties.name;

function editJson<T>(path: string, edit: (value: T) => void): void {
  const value = JSON.parse(readFileSync(path, 'utf8')) as T;
  edit(value);
  writeFileSync(path, JSON.stringify(value));
}

type AoiFile = { features: Array<{ properties: { windows: Record<string, string> } }> };

const setMonitoring = (window: string) =>
  editJson<AoiFile>(join(site.aoiDir, `${AOI}.geojson`), (aoi) => {
    const properties = aoi.features[0]!.properties;
    properties.windows = { ...properties.windows, monitoring: window };
  });
const setAlerts = (patch: Record<string, unknown>) =>
  editJson<{ alerts: Record<string, unknown> }>(site.configFile, (config) => Object.assign(config.alerts, patch));

function adapters() {
  const { config } = loadConfig({ config: site.configFile }, {}, ROOT);
  const log = createLogger('info', { write: (line: string) => logLines.push(line) } as never);
  return compose(config, log, { poolEntry: POOL_ENTRY, env: ENV });
}

async function run(): Promise<string[]> {
  const report = await runAll(adapters());
  return report.aois.map((entry) => (entry.outcome === 'failed' ? `failed: ${entry.reason}` : entry.outcome));
}

async function json<T>(key: string): Promise<T> {
  return JSON.parse(new TextDecoder().decode((await store().get(key))!)) as T;
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store().list(prefix)) keys.push(key);
  return keys;
}

/**
 * The built CLI's `alerts` command, run without blocking this process (the SMTP server and the webhook receiver
 * answer from its event loop).
 */
function alertsCli(args: string[], env: Record<string, string>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--config', site.configFile, 'alerts', ...args], {
      env: childEnv(env),
    });
    let [stdout, stderr] = ['', ''];
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const events = (name: string) =>
  logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['msg'] === name);

describe('alerts on the real Bukavu series', () => {
  let firstDigest: AlertDigest;

  it('emails the digest while the webhook is down, leaving it pending for the webhook only', async () => {
    setMonitoring('2021-08-15/2021-09-15');
    expect(await run()).toEqual(['ok']);
    const sites = await json<SitesCollection>(`${AOI}/sites.geojson`);
    const count = sites.features.length;
    expect(count).toBeGreaterThan(50);

    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail).toMatchObject({ from: 'changewatch@kivu.test', to: ['field@kivu.test', 'goma@kivu.test'] });
    expect(mail!.secure).toBe(true); // STARTTLS before AUTH and DATA
    expect(mail!.user).toBe(SMTP.user);
    const pending = await keysUnder(`${AOI}/alerts/pending/`);
    expect(pending).toHaveLength(1);
    firstDigest = await json<AlertDigest>(pending[0]!);
    expect(mail!.headers.get('subject')).toBe(`[changewatch] ${aoiName()}: ${count} sites (${count} new)`);
    expect(mail!.headers.get('message-id')).toBe(`<${firstDigest.id}@kivu.test>`);
    expect(mail!.headers.get('x-changewatch-digest')).toBe(firstDigest.id);
    expect(mail!.headers.get('content-language')).toBe('en');
    const [largest] = [...sites.features].sort((a, b) => b.properties.hectares - a.properties.hectares);
    expect(mail!.text).toContain(`1. ${largest!.id}: new (forest-loss)\n`);
    expect(mail!.text).toContain(`   Area: ${largest!.properties.hectares.toFixed(2)} ha\n`);
    expect(mail!.text).toContain(`… and ${count - 50} more`);
    expect(mail!.text).toContain(`Report of this run: file://${join(site.dir, 'store')}/${AOI}/reports/`);

    expect(firstDigest.alerts).toHaveLength(count);
    expect(firstDigest.deliveries.email).toMatchObject({ outcome: 'accepted', attempts: 1 });
    expect(firstDigest.deliveries.webhook).toMatchObject({ outcome: 'unreachable', attempts: 4 });
    expect(firstDigest.deliveries.webhook!.detail).toMatch(/ECONNREFUSED/);
    const sent = await keysUnder(`${AOI}/alerts/sent/`);
    expect(sent).toHaveLength(count);
    const record = await json<SentRecord>(sent[0]!);
    expect(record.digest).toBe(firstDigest.id);
    expect(events('Alerts:Channel:Unreachable')).toMatchObject([{ channel: 'webhook', attempts: 4 }]);
    expect(events('Alerts:Send:Retry')).toHaveLength(3);
  }, 240_000);

  it('delivers the pending digest on the next run, through two 503s, signed; emails nothing twice', async () => {
    receiver = await startWebhookReceiver(SECRET, hookPort);
    receiver.failNext(2);
    expect(await run()).toEqual(['nothing-new']);
    expect(receiver.requests.map((request) => request.status)).toEqual([503, 503, 200]);
    expect(receiver.requests.every((request) => request.signatureOk)).toBe(true);
    for (const request of receiver.requests) {
      expect(request.headers['idempotency-key']).toBe(firstDigest.id);
      expect(request.headers['x-changewatch-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
    }
    const [body] = receiver.accepted();
    expect(body).toMatchObject({ type: 'changewatch.alerts.digest', id: firstDigest.id, test: false, language: 'en' });
    expect((body!['sites'] as unknown[]).length).toBe(firstDigest.alerts.length);
    expect(smtp.messages).toHaveLength(1);
    expect(await keysUnder(`${AOI}/alerts/pending/`)).toEqual([]);
    expect(await keysUnder(`${AOI}/alerts/digests/`)).toEqual([`${AOI}/alerts/digests/${firstDigest.runId}.json`]);

    // A rerun finds every alert recorded: nothing new goes out.
    expect(await run()).toEqual(['nothing-new']);
    expect(receiver.requests).toHaveLength(3);
    expect(smtp.messages).toHaveLength(1);
  }, 120_000);

  it('sends a later period’s new alerts in French, none of the first digest’s again', async () => {
    setAlerts({ language: 'fr' });
    setMonitoring('2021-08-15/2021-09-30');
    expect(await run()).toEqual(['ok']);
    expect(smtp.messages).toHaveLength(2);
    const mail = smtp.messages[1]!;
    const [, body] = receiver!.accepted();
    const digest = body as { id: string; language: string; sites: Array<{ alert: string; state: string }> };
    expect(digest.language).toBe('fr');
    const first = new Set(firstDigest.alerts.map((alert) => alert.key));
    expect(digest.sites.length).toBeGreaterThan(0);
    expect(digest.sites.filter((alert) => first.has(alert.alert))).toEqual([]);
    const n = digest.sites.length;
    expect(mail.headers.get('subject')).toMatch(new RegExp(`^\\[changewatch\\] .+ : ${n} sites? \\(`));
    expect(mail.headers.get('content-language')).toBe('fr');
    expect(mail.text).toContain(`changewatch : ${n} site`);
    expect(mail.text).toMatch(/\n {3}Surface : [\d\u202f]+,\d\d ha\n/);
    expect(mail.text).toContain('   Vu pour la première fois : 2021-');
    expect(mail.text).toContain('Rapport de cette exécution : file://');
    expect(receiver!.requests.at(-1)!.headers['idempotency-key']).toBe(digest.id);
  }, 240_000);

  it('two schedulers finishing together send one digest', async () => {
    setAlerts({ rules: [{ states: ['stable', 'inactive', 'merged'] }] });
    const [webhookBefore, mailBefore] = [receiver!.accepted().length, smtp.messages.length];
    const aoi = (await adapters().loadAois()).aois.find((candidate) => candidate.id === AOI)!;
    const entry = { aoi: AOI, outcome: 'nothing-new' as const, bytesRead: 0, requests: 0, blocks: 0 };
    const finish = () => {
      const runId = newRunId(new Date());
      const log = createLogger('silent');
      return sendRunAlerts(
        adapters(),
        { runId, now: () => new Date(), log },
        [aoi],
        [{ ...entry, bytesPublished: 0, ms: 0 }],
      );
    };
    await Promise.all([finish(), finish()]);
    expect(receiver!.accepted().length - webhookBefore).toBe(1);
    expect(smtp.messages.length - mailBefore).toBe(1);
    const digest = receiver!.accepted().at(-1) as { sites: Array<{ alert: string; state: string }> };
    expect(digest.sites.length).toBeGreaterThan(0);
    expect(new Set(digest.sites.map((alert) => alert.state))).not.toContain('new');
    // Every alert ever recorded belongs to exactly one digest that was sent.
    const sent = await keysUnder(`${AOI}/alerts/sent/`);
    const digests = await keysUnder(`${AOI}/alerts/digests/`);
    expect(digests).toHaveLength(3);
    const listed = await Promise.all(digests.map((key) => json<AlertDigest>(key)));
    expect(listed.reduce((total, entry) => total + entry.alerts.length, 0)).toBe(sent.length);
    expect(await keysUnder(`${AOI}/alerts/pending/`)).toEqual([]);
    expect(await store().get(`${AOI}/alerts/lease.json`)).toBeNull();
  }, 60_000);

  it('lists what was sent and tests the channels from the CLI; a 4xx is the user’s to fix; no secret is logged', async () => {
    const cli = (...args: string[]) => alertsCli(args, ENV);
    const listed = await cli('list', '--aoi', AOI, '--json');
    expect(listed.status, listed.stderr).toBe(0);
    const digests = JSON.parse(listed.stdout) as Array<AlertDigest & { pending: boolean }>;
    expect(digests.map((digest) => digest.pending)).toEqual([false, false, false]);
    const table = await cli('list');
    expect(table.stdout.split('\n')[0]).toMatch(
      /^RUN +AOI +SITE +STATE +HECTARES +FIRST SEEN +WEBHOOK +EMAIL +STATUS$/,
    );
    expect(table.stdout).toMatch(/3 digest\(s\), \d+ alert\(s\), 0 pending/);

    const mails = smtp.messages.length;
    const tested = await cli('test', '--aoi', AOI);
    expect(tested.status, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/^webhook http:\/\/127\.0\.0\.1:\d+\/…: accepted \(1 attempt\)/m);
    expect(tested.stdout).toMatch(/^email smtp:\/\/127\.0\.0\.1:\d+: accepted \(1 attempt\)/m);
    expect(receiver!.accepted().at(-1)).toMatchObject({ test: true, language: 'fr' });
    expect(smtp.messages[mails]!.headers.get('subject')).toMatch(/^\[changewatch essai\] /);
    expect(smtp.messages[mails]!.text).toContain('Ceci est un résumé d’essai');

    receiver!.answer(400);
    const refused = await cli('test', '--aoi', AOI);
    expect(refused.status).toBe(2);
    expect(refused.stdout).toMatch(/^webhook http:\/\/127\.0\.0\.1:\d+\/…: rejected HTTP 400 \(1 attempt\)/m);
    receiver!.answer(undefined);

    const unset = await alertsCli(['test', '--aoi', AOI], { CW_TEST_SMTP_USER: SMTP.user });
    expect(unset.status).toBe(2);
    expect(unset.stdout).toContain('webhook http://127.0.0.1');
    expect(unset.stdout).toContain('the variable CW_TEST_HOOK_SECRET is not set');
    expect(unset.stdout).toContain('the variable(s) CW_TEST_SMTP_PASS are not set');

    const everything = [...logLines, listed.stderr, table.stderr, tested.stderr, refused.stderr].join('\n');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(SMTP.password);
  }, 60_000);

  it('alerts once, on both channels, for a zone most of which has gone unseen longer than alerts.unseen allows', async () => {
    // A zone over the AOI's northern arm (the last-clear peer test's "north"): most of it was last seen clear on
    // 2021-09-14, 17 days before the window's end (2021-10-01); the AOI as a whole on 2021-09-29 (2 days).
    editJson<{ features: unknown[] }>(join(site.aoiDir, `${AOI}.geojson`), (aoi) => {
      const [w, s, e, n] = [28.815, -2.475, 28.836, -2.44];
      const ring = [
        [w, s],
        [e, s],
        [e, n],
        [w, n],
        [w, s],
      ];
      const properties = { role: 'zone', id: 'north', name: 'Bras nord' };
      aoi.features.push({ type: 'Feature', properties, geometry: { type: 'Polygon', coordinates: [ring] } });
    });
    setAlerts({ rules: [{ minHectares: 1e9 }], unseen: { afterDays: 10 } });
    const [webhookBefore, mailBefore] = [receiver!.accepted().length, smtp.messages.length];
    expect(await run()).toEqual(['ok']);
    expect(smtp.messages.length - mailBefore).toBe(1);
    expect(receiver!.accepted().length - webhookBefore).toBe(1);
    const mail = smtp.messages.at(-1)!;
    expect(mail.headers.get('subject')).toBe(`[changewatch] ${aoiName()} : 1 zone non vue depuis trop longtemps`);
    expect(mail.text).toContain(
      '   Bras nord (zone north) : pas de vue claire de l’essentiel depuis le 2021-09-14 : 17 jours au 2021-10-01 (alerte après 10)\n',
    );
    expect(mail.text).toMatch(/\n {3}Bras nord : l’essentiel vu clair au plus tard le 2021-09-14 ; vu [\d,]+ % /);
    const request = receiver!.requests.at(-1)!;
    expect(request.signatureOk).toBe(true);
    const body = receiver!.accepted().at(-1) as { sites: unknown[]; unseen: Array<Record<string, unknown>> };
    expect(body.sites).toEqual([]);
    expect(body.unseen).toMatchObject([{ kind: 'zone', area: 'north', since: '2021-09-14', days: 17, afterDays: 10 }]);
    expect(request.headers['idempotency-key']).toBe(mail.headers.get('x-changewatch-digest'));

    // Recorded once: a rerun, and the alerting step run again, send nothing.
    expect(await run()).toEqual(['nothing-new']);
    expect(smtp.messages.length - mailBefore).toBe(1);
    expect(receiver!.accepted().length - webhookBefore).toBe(1);
    const record = await json<SentRecord>(`${AOI}/alerts/sent/${body.unseen[0]!['alert'] as string}.json`);
    expect(record).toMatchObject({ site: 'north', state: 'unseen' });
  }, 240_000);
});

describe('alert records on S3 (Ceph radosgw on loopback)', () => {
  it('three digests racing for the real sites’ alerts: each alert goes into exactly one', async () => {
    const s3 = new S3ObjectStore(await s3ClientWithBucket('cw-alerts'), 's3://cw-alerts/race');
    const sites = await json<SitesCollection>(`${AOI}/sites.geojson`);
    const states = ['new', 'expanding', 'stable', 'inactive', 'merged'] as const;
    const alerts = siteAlerts(sites, [{ states: [...states] }], () => undefined);
    expect(alerts.length).toBeGreaterThan(100);
    const aoi = { id: AOI, name: 'race' };
    const queued = await Promise.all(
      ['run-1', 'run-2', 'run-3'].map((runId) =>
        queueDigest(s3, { aoi, runId, now: new Date(), report: null, alerts }),
      ),
    );
    const claimed = queued.flatMap((digest) => digest?.alerts ?? []).map((alert) => alert.key);
    expect(claimed.sort()).toEqual(alerts.map((alert) => alert.key).sort());
    expect((await sentKeys(s3, AOI)).size).toBe(alerts.length);
    const pending = await pendingDigests(s3, AOI);
    expect(pending.reduce((total, digest) => total + digest.alerts.length, 0)).toBe(alerts.length);
    expect(pending.every((digest) => digest.claimed)).toBe(true);
  }, 120_000);
});
