import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactConfig, resolveConfig } from '../../../config/config.load.js';
import type { Config } from '../../../config/config.schema.js';
import { ChannelGate, deliverDigest } from '../../../pipeline/alerts/alert.deliver.js';
import { digestMessage, digestText, type AlertDigest } from '../../../pipeline/alerts/alert.digest.js';
import { alertKey, siteAlerts } from '../../../pipeline/alerts/alert.select.js';
import { unseenAlerts, unseenKey } from '../../../pipeline/alerts/alert.unseen.js';
import {
  claimAlerts,
  deliveredDigests,
  pendingDigests,
  queueDigest,
  savePending,
  sentKeys,
} from '../../../pipeline/alerts/alert.store.js';
import { classifySmtpFailure } from '../../../pipeline/io/alert.email.js';
import { signBody, webhookTarget } from '../../../pipeline/io/alert.webhook.js';
import { FileObjectStore } from '../../../pipeline/io/object.store.file.js';
import { createLogger } from '../../../pipeline/log.js';
import type { SiteProperties, SitesCollection } from '../../../pipeline/outputs/sites.js';
import type { AlertChannel, AlertDelivery } from '../../../pipeline/ports.js';
import { VERSION } from '../../../pipeline/version.js';

const file = (value: unknown) => ({ path: 'cw.json', text: JSON.stringify(value) });
const quiet = createLogger('silent');
const version = { validFrom: null, validTo: null, status: 'in-force' as const };

function site(id: number, overrides: Partial<SiteProperties>): SitesCollection['features'][number] {
  const properties: SiteProperties = {
    site: `kivu-forest-loss-${String(id).padStart(6, '0')}`,
    product: 'forest-loss',
    state: 'new',
    first_seen: '2021-08-20',
    last_change: '2021-08-15/2021-09-30',
    last_clear_view: '2021-09-28',
    hectares: 1,
    zones: {},
    merged_from: [],
    merged_into: null,
    split_from: null,
    history: [
      {
        item: 'kivu-2021-08-15-2021-09-30',
        monitoring: '2021-08-15/2021-09-30',
        hectares: 1,
        hectares_high_confidence: 0.5,
        new_hectares: 1,
        patches: 1,
        classes: ['forest-loss'],
      },
    ],
    ...overrides,
  };
  return { type: 'Feature', id: properties.site, geometry: { type: 'Polygon', coordinates: [] }, properties };
}

const SITES: SitesCollection = {
  type: 'FeatureCollection',
  changewatch: {
    aoi: 'kivu',
    software: VERSION,
    periods: [],
    rules: { matchDistanceM: 30, inactiveAfterPeriods: 2 },
    counts: { byState: {}, byZone: {} },
  },
  features: [
    site(1, { hectares: 12.345, zones: { 'pe-5052': 3.2, 'pe-11447': 1 } }),
    site(2, { state: 'expanding', hectares: 1234.5, first_seen: null }),
    site(3, { state: 'stable', hectares: 40 }),
    site(4, { product: 'burn-scar', hectares: 0.4, zones: { 'pe-5052': 0.4 } }),
  ],
};

function rules(value: unknown): Config['alerts']['rules'] {
  const result = resolveConfig({ file: file({ alerts: { rules: value } }), env: {} });
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config.alerts.rules;
}

describe('alerts configuration', () => {
  it('defaults to one rule (new or expanding sites), English, no channel', () => {
    const result = resolveConfig({ env: {} });
    expect(result.ok && result.config.alerts).toEqual({ rules: [{ states: ['new', 'expanding'] }], language: 'en' });
  });

  it('refuses bad rules and channels with the path of the field', () => {
    const result = resolveConfig({
      file: file({
        alerts: {
          rules: [{ states: ['growing'] }, { minHectares: -1, product: 'gold' }, { zone: '', colour: 'red' }],
          language: 'de',
          webhook: { url: 'ftp://example.org/hook', secretEnv: 'CHANGEWATCH_SECRET' },
          email: { host: 'smtp', from: 'cw@example.org', to: ['not an address'], passwordEnv: 'PASS' },
        },
      }),
      env: {},
    });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.problems.map((problem) => problem.split(' [')[0]);
    expect(paths).toEqual([
      'alerts.rules.0.states.0',
      'alerts.rules.1.product',
      'alerts.rules.1.minHectares',
      'alerts.rules.2.zone',
      'alerts.rules.2',
      'alerts.language',
      'alerts.webhook.url',
      'alerts.webhook.secretEnv',
      'alerts.email.to.0',
      'alerts.email.passwordEnv',
    ]);
    expect(result.ok ? [] : result.problems[7]).toMatch(/must not start with CHANGEWATCH_/);
  });

  it('takes rules and channels from the environment; the webhook URL is redacted, the secret is only a name', () => {
    const result = resolveConfig({
      env: {
        CHANGEWATCH_ALERTS_RULES: '[{"states":["new"],"minHectares":0.5,"zone":"pe-5052"}]',
        CHANGEWATCH_ALERTS_LANGUAGE: 'fr',
        CHANGEWATCH_ALERTS_WEBHOOK_URL: 'https://hooks.example.org/T0/B0/abc?token=xyz',
        CHANGEWATCH_ALERTS_WEBHOOK_SECRET_ENV: 'CW_HOOK_SECRET',
      },
    });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.alerts.rules).toEqual([{ states: ['new'], minHectares: 0.5, zone: 'pe-5052' }]);
    expect(result.config.alerts.webhook).toEqual({
      url: 'https://hooks.example.org/T0/B0/abc?token=xyz',
      secretEnv: 'CW_HOOK_SECRET',
      timeoutMs: 10_000,
    });
    const shown = redactConfig(result.config) as { alerts: { webhook: { url: string; secretEnv: string } } };
    expect(shown.alerts.webhook).toEqual({ url: '<redacted>', secretEnv: 'CW_HOOK_SECRET', timeoutMs: 10_000 });
    expect(webhookTarget(result.config.alerts.webhook!.url)).toBe('https://hooks.example.org/…');
  });
});

describe('siteAlerts', () => {
  it('keys a site state at an item by sha256 of the three', () => {
    expect(alertKey('s', 'new', 'i')).toBe(createHash('sha256').update('s\nnew\ni').digest('hex'));
    expect(alertKey('s', 'new', 'i')).not.toBe(alertKey('s', 'expanding', 'i'));
  });

  it('picks the sites any rule matches, largest first, with the report page of their item', () => {
    const reportOf = (item: string) => (item === 'kivu-2021-08-15-2021-09-30' ? 'kivu/reports/r1.html' : undefined);
    const picked = (value: unknown) => siteAlerts(SITES, rules(value), reportOf).map((alert) => alert.site.slice(-1));
    expect(picked([{}])).toEqual(['2', '1', '4']);
    expect(picked([{ minHectares: 1 }])).toEqual(['2', '1']);
    expect(picked([{ zone: 'pe-5052' }])).toEqual(['1', '4']);
    expect(picked([{ product: 'burn-scar' }, { states: ['stable'] }])).toEqual(['3', '4']);
    const [largest] = siteAlerts(SITES, rules([{}]), reportOf);
    expect(largest).toMatchObject({ state: 'expanding', hectares: 1234.5, report: 'kivu/reports/r1.html' });
    expect(siteAlerts(SITES, rules([{}]), () => undefined)[0]!.report).toBeNull();
    expect(largest!.key).toBe(alertKey(largest!.site, 'expanding', 'kivu-2021-08-15-2021-09-30'));
  });
});

/** Site 2's period has an older report page than the run's; the others' is the run's (listed once, at the end). */
const reportOf = (item: string) => `kivu/reports/${item}.html`;
const withOlderPage = () =>
  siteAlerts(SITES, rules([{}]), reportOf).map((alert) =>
    alert.site.endsWith('2') ? { ...alert, report: 'kivu/reports/run-0.html' } : alert,
  );

function digestOf(alerts = withOlderPage()): AlertDigest {
  return {
    version: 1,
    id: 'kivu.20211001T020000000Z-abcdef',
    aoi: { id: 'kivu', name: 'Kivu test' },
    runId: '20211001T020000000Z-abcdef',
    createdAt: '2021-10-01T02:00:00.000Z',
    report: 'kivu/reports/kivu-2021-08-15-2021-09-30.html',
    claimed: false,
    alerts,
    deliveries: {},
  };
}

describe('digest text', () => {
  const link = (key: string) => `https://data.example.org/${key}`;

  it('in English: subject with counts by state, each site with area, zones, first seen, period and link', () => {
    const { subject, text } = digestText(digestOf(), 'en', link);
    expect(subject).toBe('[changewatch] Kivu test: 3 sites (1 expanding, 2 new)');
    expect(text.split('\n').slice(0, 11)).toEqual([
      'changewatch: 3 sites in Kivu test (kivu) to look at (run 20211001T020000000Z-abcdef).',
      '',
      '1. kivu-forest-loss-000002: expanding (forest-loss)',
      '   Area: 1,234.50 ha',
      '   Zones: none (outside every zone)',
      '   First seen: not dated',
      '   Period: 2021-08-15/2021-09-30',
      '   Evidence dossier: https://data.example.org/kivu/sites/kivu-forest-loss-000002/index.html',
      '   Chip: https://data.example.org/kivu/sites/kivu-forest-loss-000002/chip-forest-loss.png',
      '   Report: https://data.example.org/kivu/reports/run-0.html',
      '',
    ]);
    expect(text).toContain(
      '   Zones: pe-5052 3.20 ha; pe-11447 1.00 ha\n   First seen: 2021-08-20\n   Period: 2021-08-15/2021-09-30\n',
    );
    expect(text).toContain(
      'Report of this run: https://data.example.org/kivu/reports/kivu-2021-08-15-2021-09-30.html\n',
    );
    expect(text).toContain('All sites of this AOI: https://data.example.org/kivu/sites.geojson\n');
    expect(text).toContain(`Digest kivu.20211001T020000000Z-abcdef; changewatch ${VERSION}.\n`);
  });

  it('in French, for field staff in Goma and Bukavu', () => {
    const { subject, text } = digestText(digestOf(), 'fr', link);
    expect(subject).toBe('[changewatch] Kivu test : 3 sites (1 en expansion, 2 nouveaux)');
    expect(text.split('\n').slice(0, 10)).toEqual([
      'changewatch : 3 sites à examiner dans Kivu test (kivu) (exécution 20211001T020000000Z-abcdef).',
      '',
      '1. kivu-forest-loss-000002 : en expansion (forest-loss)',
      '   Surface : 1\u202f234,50 ha',
      '   Zones : aucune (hors de toute zone)',
      '   Vu pour la première fois : non daté',
      '   Période : 2021-08-15/2021-09-30',
      '   Dossier de preuves : https://data.example.org/kivu/sites/kivu-forest-loss-000002/index.html',
      '   Vignette : https://data.example.org/kivu/sites/kivu-forest-loss-000002/chip-forest-loss.png',
      '   Rapport : https://data.example.org/kivu/reports/run-0.html',
    ]);
    expect(text).toContain('   Zones : pe-5052 3,20 ha ; pe-11447 1,00 ha\n');
    expect(text).toContain('Tous les sites de cette zone d’intérêt : https://data.example.org/kivu/sites.geojson\n');
  });

  it("cites the item's accuracy assessment of the site's product, in both languages, and links each site's dossier", () => {
    const accuracy = {
      class: 'forest-loss',
      usersAccuracy: { value: 0.88, ci95: 0.07 },
      aoi: '426 ha mapped; 380 ± 95 ha estimated (95 % CI, 250 reference points, overall accuracy 0.95 ± 0.02)',
      by: 'A. Lab',
      on: '2026-11-30',
      inputs: 'abc',
      current: false,
    };
    const digest = digestOf(withOlderPage().map((alert) => ({ ...alert, accuracy })));
    expect(digestText(digest, 'en', link).text).toContain(
      "   Accuracy: user's accuracy of forest-loss 0.88 ± 0.07 (assessment of 2026-11-30 by A. Lab, made on earlier inputs); over the AOI: 426 ha mapped; 380 ± 95 ha estimated (95 % CI, 250 reference points, overall accuracy 0.95 ± 0.02)\n",
    );
    expect(digestText(digest, 'fr', link).text).toContain(
      '   Précision : précision utilisateur de forest-loss 0.88 ± 0.07',
    );
    const json = digestMessage(digest, 'en', link).json as {
      sites: Array<{ dossier: { url: string }; accuracy: unknown }>;
    };
    expect(json.sites[0]!.dossier.url).toMatch(/\/kivu\/sites\/kivu-forest-loss-\d{6}\/index\.html$/);
    expect(json.sites[0]!.accuracy).toEqual(accuracy);
  });

  it('says what was not seen: when most of the AOI and of each zone was last seen clear, and how much lately', () => {
    const seen = (mostSeenOn: string | null, days30: number) => ({
      pixels: 100,
      mostSeenOn,
      seenWithin: { days30, days60: 0.5, days90: 0.625 },
    });
    const digest: AlertDigest = {
      ...digestOf(),
      lastClear: {
        item: 'kivu-2021-08-15-2021-09-30',
        windowStart: '2021-08-15',
        asset: 'last-clear',
        windowEnd: '2021-10-01',
        aoi: seen('2021-09-27', 0.875),
        zones: { 'pe-5052': { name: 'PE 5052', version, ...seen(null, 0) } },
      },
    };
    const english = digestText(digest, 'en', link).text;
    expect(english).toContain(
      [
        'What was not seen (kivu-2021-08-15-2021-09-30; monitoring window ending 2021-10-01, exclusive): when most of each area was last seen clear, and the share seen in the last 30 / 60 / 90 days.',
        '   Kivu test (whole AOI): most of it seen clear by 2021-09-27; seen 87.5 % / 50.0 % / 62.5 %',
        '   PE 5052: most of it not seen clear in the window; seen 0.0 % / 50.0 % / 62.5 %',
      ].join('\n'),
    );
    const french = digestText(digest, 'fr', link).text;
    expect(french).toContain(
      '   Kivu test (zone d’intérêt entière) : l’essentiel vu clair au plus tard le 2021-09-27 ; vu 87,5 % / 50,0 % / 62,5 %',
    );
    expect(digestMessage(digest, 'en', link).json).toMatchObject({ last_clear: digest.lastClear });
  });
});

describe('channel adapters, pure parts', () => {
  it('signs the body with HMAC-SHA256 (RFC 4231 test case 2)', () => {
    expect(signBody('what do ya want for nothing?', 'Jefe')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('reads SMTP failures as pending (transient) or refused (the user must fix)', () => {
    const outcome = (error: Parameters<typeof classifySmtpFailure>[0]) => {
      const delivery = classifySmtpFailure(error, 'smtp://relay:587');
      return delivery.outcome === 'rejected' ? `rejected ${delivery.status}` : delivery.outcome;
    };
    expect(outcome({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' })).toBe('unreachable');
    expect(outcome({ code: 'ETIMEDOUT' })).toBe('unreachable');
    expect(outcome({ code: 'EENVELOPE', responseCode: 451, permanent: false })).toBe('unreachable');
    expect(outcome({ code: 'EPROTOCOL', responseCode: 421 })).toBe('unreachable');
    expect(outcome({ code: 'EENVELOPE', responseCode: 550, response: '550 no such user' })).toBe('rejected SMTP 550');
    expect(outcome({ code: 'EAUTH', responseCode: 535, permanent: true })).toBe('rejected SMTP 535');
    expect(outcome({ code: 'ETLS', message: 'self-signed certificate' })).toBe('rejected ETLS');
  });
});

/** A channel that answers from a script, one answer per send (the real adapters are tested on loopback servers). */
function scripted(name: 'webhook' | 'email', answers: AlertDelivery['outcome'][]) {
  const sent: string[] = [];
  const channel: AlertChannel = {
    name,
    target: `${name}://test`,
    async send(message) {
      sent.push(message.id);
      const outcome = answers.shift() ?? 'accepted';
      return outcome === 'rejected'
        ? { outcome, attempts: 1, status: 'HTTP 400', detail: 'no' }
        : { outcome, attempts: 1, detail: outcome };
    },
  };
  return { channel, sent };
}

describe('alerts in the store', () => {
  const store = () => new FileObjectStore(mkdtempSync(join(tmpdir(), 'cw-alerts-')));
  const now = new Date('2021-10-01T02:00:00Z');
  const aoi = { id: 'kivu', name: 'Kivu test' };
  const alerts = siteAlerts(SITES, rules([{}]), () => undefined);

  it('two digests racing for the same alerts: each alert goes into exactly one', async () => {
    const shared = store();
    const [a, b] = await Promise.all(
      ['run-a', 'run-b'].map((runId) => queueDigest(shared, { aoi, runId, now, report: null, alerts })),
    );
    const keys = [...(a?.alerts ?? []), ...(b?.alerts ?? [])].map((alert) => alert.key).sort();
    expect(keys).toEqual(alerts.map((alert) => alert.key).sort());
    expect((await sentKeys(shared, 'kivu')).size).toBe(3);
    // A third run finds them recorded and queues nothing.
    expect(await queueDigest(shared, { aoi, runId: 'run-c', now, report: null, alerts })).toBeUndefined();
  });

  it('a digest interrupted before its claims is finished by the next run, and keeps its own alerts', async () => {
    const shared = store();
    const digest: AlertDigest = { ...digestOf(alerts), runId: 'run-a', id: 'kivu.run-a' };
    await savePending(shared, digest);
    const resumed = await claimAlerts(shared, digest, now);
    expect(resumed?.alerts.length).toBe(3);
    expect((await claimAlerts(shared, resumed!, now))?.alerts.length).toBe(3);
    expect((await pendingDigests(shared, 'kivu')).map((pending) => pending.claimed)).toEqual([true]);
  });

  it('sends each channel once; a channel that fails stays pending, is not retried in the run, and is next time', async () => {
    const shared = store();
    const digest = (await queueDigest(shared, { aoi, runId: 'run-a', now, report: null, alerts }))!;
    const webhook = scripted('webhook', ['unreachable']);
    const email = scripted('email', []);
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => lines.push(line) } as never);
    const render = (d: AlertDigest) => ({ id: d.id, subject: 's', text: 't', json: {}, language: 'en' });
    const options = { render, now: () => now, log };
    const gate = new ChannelGate([webhook.channel, email.channel], log);
    expect(await deliverDigest(shared, digest, gate, options)).toBe('pending');
    // A second digest in the same run does not try the webhook again.
    const second = (await queueDigest(shared, {
      aoi,
      runId: 'run-b',
      now,
      report: null,
      alerts: siteAlerts(SITES, rules([{ states: ['stable'] }]), () => undefined),
    }))!;
    expect(await deliverDigest(shared, second, gate, options)).toBe('pending');
    expect(webhook.sent).toEqual(['kivu.run-a']);
    expect(email.sent).toEqual(['kivu.run-a', 'kivu.run-b']);
    expect(lines.filter((line) => line.includes('Alerts:Channel:Unreachable'))).toHaveLength(1);

    // The next run: the webhook is back; email accepted already, so it is not sent again.
    const next = new ChannelGate([webhook.channel, email.channel], quiet);
    for (const pending of await pendingDigests(shared, 'kivu')) {
      expect(await deliverDigest(shared, pending, next, { ...options, log: quiet })).toBe('delivered');
    }
    expect(webhook.sent).toEqual(['kivu.run-a', 'kivu.run-a', 'kivu.run-b']);
    expect(email.sent).toEqual(['kivu.run-a', 'kivu.run-b']);
    expect(await pendingDigests(shared, 'kivu')).toEqual([]);
    const delivered = await deliveredDigests(shared, 'kivu');
    expect(delivered.map((entry) => [entry.runId, entry.deliveries.webhook?.outcome])).toEqual([
      ['run-a', 'accepted'],
      ['run-b', 'accepted'],
    ]);
  });

  it('a refusal is logged once per run with the channel and status, and the digest stays pending', async () => {
    const shared = store();
    const digest = (await queueDigest(shared, { aoi, runId: 'run-a', now, report: null, alerts }))!;
    const webhook = scripted('webhook', ['rejected', 'rejected']);
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => lines.push(line) } as never);
    const render = (d: AlertDigest) => ({ id: d.id, subject: 's', text: 't', json: {}, language: 'en' });
    const gate = new ChannelGate([webhook.channel], log);
    expect(await deliverDigest(shared, digest, gate, { render, now: () => now, log })).toBe('pending');
    expect(await deliverDigest(shared, digest, gate, { render, now: () => now, log })).toBe('pending');
    const refused = lines.filter((line) => line.includes('Alerts:Channel:Rejected')).map((line) => JSON.parse(line));
    expect(refused).toMatchObject([{ channel: 'webhook', status: 'HTTP 400', level: 50 }]);
    expect((await pendingDigests(shared, 'kivu'))[0]?.deliveries.webhook).toMatchObject({
      outcome: 'rejected',
      status: 'HTTP 400',
    });
  });
});

describe('areas unseen too long (alerts.unseen)', () => {
  const figures = (mostSeenOn: string | null) => ({
    pixels: 1000,
    mostSeenOn,
    seenWithin: { days30: 0.1, days60: 0.4, days90: 0.9 },
  });
  const lastClear = {
    item: 'kivu-2021-08-15-2021-09-30',
    windowStart: '2021-08-15',
    asset: 'last-clear' as const,
    windowEnd: '2021-10-01',
    aoi: figures('2021-09-29'),
    zones: {
      'pe-5052': { name: 'PE 5052', version, ...figures('2021-09-14') },
      'pe-11447': { name: 'PE 11447', version, ...figures(null) },
      'pe-11469': { name: 'PE 11469', version, ...figures('2021-09-21') },
    },
  };
  const aoi = { id: 'kivu', name: 'Kivu test' };
  const report = 'kivu/reports/run-1.html';

  it('refuses a bad rule with the path of the field; takes it from the environment', () => {
    const bad = resolveConfig({ file: file({ alerts: { unseen: { afterDays: 0, zones: [], colour: 1 } } }), env: {} });
    expect(bad.ok ? [] : bad.problems.map((problem) => problem.split(' [')[0])).toEqual([
      'alerts.unseen.afterDays',
      'alerts.unseen.zones',
      'alerts.unseen',
    ]);
    const fromEnv = resolveConfig({ env: { CHANGEWATCH_ALERTS_UNSEEN_AFTER_DAYS: '30' } });
    expect(fromEnv.ok && fromEnv.config.alerts.unseen).toEqual({ afterDays: 30, aoi: true });
  });

  it('alerts each area whose most recent clear view of most of it is more than afterDays before the window end', () => {
    const alerts = unseenAlerts(aoi, lastClear, { afterDays: 10, aoi: true }, report);
    // The AOI: 2 days; pe-5052: 17 days; pe-11447 not seen in the window: at least 47 days; pe-11469: exactly 10.
    expect(alerts.map(({ area, kind, since, days }) => ({ area, kind, since, days }))).toEqual([
      { area: 'pe-5052', kind: 'zone', since: '2021-09-14', days: 17 },
      { area: 'pe-11447', kind: 'zone', since: null, days: 47 },
    ]);
    expect(alerts[0]!.key).toBe(unseenKey('zone', 'pe-5052', '2021-09-14', '2021-08-15'));
    expect(alerts[1]!.key).toBe(createHash('sha256').update('unseen\nzone\npe-11447\nbefore 2021-08-15').digest('hex'));
    expect(alerts[0]).toMatchObject({ afterDays: 10, item: lastClear.item, report, name: 'PE 5052' });
    const narrowed = unseenAlerts(aoi, lastClear, { afterDays: 1, aoi: false, zones: ['pe-11469'] }, null);
    expect(narrowed.map((alert) => alert.area)).toEqual(['pe-11469']);
    expect(unseenAlerts(aoi, lastClear, { afterDays: 1, aoi: true }, null)[0]).toMatchObject({ kind: 'aoi', days: 2 });
  });

  it('says so in the digest, in English and French, and in the JSON; records each once', async () => {
    const unseen = unseenAlerts(aoi, lastClear, { afterDays: 10, aoi: true }, report);
    const digest: AlertDigest = { ...digestOf([]), unseen, lastClear };
    const link = (key: string) => `https://data.example.org/${key}`;
    const english = digestText(digest, 'en', link);
    expect(english.subject).toBe('[changewatch] Kivu test: 2 areas unseen too long');
    expect(english.text).toContain(
      [
        'Unseen too long: most of each area below has had no clear view for more than the days the rule allows.',
        '   PE 5052 (zone pe-5052): no clear view of most of it since 2021-09-14: 17 days by 2021-10-01 (alert after 10)',
        '   PE 11447 (zone pe-11447): most of it not seen clear in the window 2021-08-15/2021-10-01: at least 47 days (alert after 10)',
      ].join('\n'),
    );
    expect(english.text.split('\n')[0]).toBe(
      'changewatch: 2 areas unseen too long in Kivu test (kivu) (run 20211001T020000000Z-abcdef).',
    );
    const french = digestText(digest, 'fr', link);
    expect(french.subject).toBe('[changewatch] Kivu test : 2 zones non vues depuis trop longtemps');
    expect(french.text).toContain(
      '   PE 5052 (zone pe-5052) : pas de vue claire de l’essentiel depuis le 2021-09-14 : 17 jours au 2021-10-01 (alerte après 10)',
    );
    const json = digestMessage(digest, 'en', link).json as { unseen: Array<Record<string, unknown>> };
    expect(json.unseen[0]).toMatchObject({ area: 'pe-5052', alert: unseen[0]!.key, since: '2021-09-14' });

    const shared = new FileObjectStore(mkdtempSync(join(tmpdir(), 'cw-unseen-')));
    const input = { aoi, now: new Date('2021-10-01T02:00:00Z'), report: null, alerts: [], unseen };
    const first = await queueDigest(shared, { ...input, runId: 'run-a' });
    expect(first?.unseen?.map((alert) => alert.area)).toEqual(['pe-5052', 'pe-11447']);
    expect(await queueDigest(shared, { ...input, runId: 'run-b' })).toBeUndefined();
    expect([...(await sentKeys(shared, 'kivu'))].sort()).toEqual(unseen.map((alert) => alert.key).sort());
  });
});

describe('a site in a versioned zone', () => {
  it('says which version of the zone, and when the permit had expired by the day the site was first seen', () => {
    const [alert] = siteAlerts(
      {
        ...SITES,
        features: [
          site(7, {
            zones: { 'pe-11447': 3.2, 'pe-11469': 1 },
            zone_versions: {
              'pe-11447': { valid_from: '2021-05-11', valid_to: '2029-05-11', status: 'in-force' },
              'pe-11469': { valid_from: null, valid_to: '2021-05-10', status: 'expired' },
            },
          }),
        ],
      },
      rules([{}]),
      () => undefined,
    );
    const digest: AlertDigest = { ...digestOf([alert!]) };
    const link = (key: string) => `https://data.example.org/${key}`;
    expect(digestText(digest, 'en', link).text).toContain(
      '   Zones: pe-11447 3.20 ha (2021-05-11..2029-05-11); pe-11469 1.00 ha (expired 2021-05-10)\n',
    );
    expect(digestText(digest, 'fr', link).text).toContain(
      '   Zones : pe-11447 3,20 ha (2021-05-11..2029-05-11) ; pe-11469 1,00 ha (expiré le 2021-05-10)\n',
    );
  });
});
