import type { Command } from 'commander';
import { digestMessage, type AlertDigest } from '../alerts/alert.digest.js';
import { sampleDigest } from '../alerts/alert.sample.js';
import { deliveredDigests, pendingDigests } from '../alerts/alert.store.js';
import { compose } from '../compose.js';
import { ChangewatchError, EXIT } from '../errors.js';
import { createLogger } from '../log.js';
import type { AlertDelivery } from '../ports.js';
import { catalogChildren } from '../publish/publish.js';
import { storeLink } from '../run/alerts.run.js';
import { table } from '../run/run.report.js';
import { newRunId } from '../run/run.js';
import type { CliContext } from './cli.context.js';

/** `changewatch alerts test|list`: try the channels with a sample digest; show what was sent (README "Alerts"). */

const NO_CHANNEL =
  'alerts: no channel configured: set alerts.webhook (url, secretEnv) or alerts.email (host, from, to) in the config (README "Alerts")';

function deliveryLine(name: string, target: string, delivery: AlertDelivery): string {
  const tries = `${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}`;
  const status = delivery.outcome === 'rejected' ? ` ${delivery.status}` : '';
  return `${name} ${target}: ${delivery.outcome}${status} (${tries}): ${delivery.detail}`;
}

/** `alerts test --aoi ID`: a sample digest to every channel; exit 0 when all accepted, 2 on a refusal, else 1. */
async function test(flags: { aoi: string }, command: Command, { io, configOf, setExitCode }: CliContext) {
  const { config } = configOf(command);
  const adapters = compose(config, createLogger(config.log.level), { env: io.env });
  const channels = adapters.alertChannels();
  if (channels.length === 0) throw new ChangewatchError('E_CONFIG', NO_CHANNEL);
  const { aois } = await adapters.loadAois();
  const aoi = aois.find((candidate) => candidate.id === flags.aoi);
  if (!aoi) {
    throw new ChangewatchError(
      'E_USAGE',
      `--aoi ${flags.aoi}: no AOI with that id in ${config.aoi.dir}: give an id from "changewatch aoi list"`,
    );
  }
  const now = new Date();
  const digest = await sampleDigest(adapters.store, {
    aoi: { id: aoi.id, name: aoi.name },
    alerts: config.alerts,
    runId: newRunId(now),
    now,
  });
  const message = digestMessage(digest, config.alerts.language, storeLink(adapters));
  const outcomes: AlertDelivery['outcome'][] = [];
  try {
    for (const channel of channels) {
      const delivery = await channel.send(message);
      outcomes.push(delivery.outcome);
      io.out(deliveryLine(channel.name, channel.target, delivery));
    }
  } finally {
    await Promise.all(channels.map((channel) => channel.close?.()));
  }
  if (outcomes.includes('rejected')) setExitCode(EXIT.usage);
  else if (outcomes.includes('unreachable')) setExitCode(EXIT.failed);
}

function channelCell(digest: AlertDigest, name: 'webhook' | 'email'): string {
  const record = digest.deliveries[name];
  if (!record) return '-';
  if (record.outcome === 'accepted') return `accepted ${record.at.slice(0, 16).replace('T', ' ')}`;
  return `${record.outcome}${record.status ? ` ${record.status}` : ''}`;
}

function rows(listed: Array<{ digest: AlertDigest; pending: boolean }>): string[][] {
  const header = ['RUN', 'AOI', 'SITE', 'STATE', 'HECTARES', 'FIRST SEEN', 'WEBHOOK', 'EMAIL', 'STATUS'];
  return [
    header,
    ...listed.flatMap(({ digest, pending }) => {
      const tail = [channelCell(digest, 'webhook'), channelCell(digest, 'email'), pending ? 'pending' : 'sent'];
      return [
        ...digest.alerts.map((alert) => [
          digest.runId,
          digest.aoi.id,
          alert.site,
          alert.state,
          alert.hectares.toFixed(2),
          alert.first_seen ?? '-',
          ...tail,
        ]),
        // An area unseen too long: its id, and when most of it was last seen clear (FIRST SEEN has no meaning here).
        ...(digest.unseen ?? []).map((alert) => [
          digest.runId,
          digest.aoi.id,
          alert.area,
          'unseen',
          '-',
          alert.since ? `last ${alert.since}` : `< ${alert.windowStart}`,
          ...tail,
        ]),
      ];
    }),
  ];
}

/** `alerts list [--aoi ID] [--json]`: the digests in the store, sent and pending, oldest first. */
async function list(flags: { aoi?: string; json?: boolean }, command: Command, { io, configOf }: CliContext) {
  const { config } = configOf(command);
  const { store } = compose(config, createLogger(config.log.level));
  const aoiIds = flags.aoi ? [flags.aoi] : [...(await catalogChildren(store)).keys()].sort();
  const listed: Array<{ digest: AlertDigest; pending: boolean }> = [];
  for (const aoiId of aoiIds) {
    for (const digest of await deliveredDigests(store, aoiId)) listed.push({ digest, pending: false });
    for (const digest of await pendingDigests(store, aoiId)) listed.push({ digest, pending: true });
  }
  listed.sort((a, b) => a.digest.runId.localeCompare(b.digest.runId) || a.digest.aoi.id.localeCompare(b.digest.aoi.id));
  if (flags.json) {
    io.out(
      JSON.stringify(
        listed.map(({ digest, pending }) => ({ ...digest, pending })),
        null,
        2,
      ),
    );
    return;
  }
  for (const line of table(rows(listed))) io.out(line);
  const alerts = listed.reduce(
    (total, entry) => total + entry.digest.alerts.length + (entry.digest.unseen?.length ?? 0),
    0,
  );
  const pending = listed.filter((entry) => entry.pending).length;
  io.out(`${listed.length} digest(s), ${alerts} alert(s), ${pending} pending, in ${store.url}`);
}

export function registerAlerts(program: Command, context: CliContext): void {
  const alerts = program.command('alerts').description('alert digests: try the channels, list what was sent');
  alerts
    .command('test')
    .description('send a sample digest of the AOI (its largest published sites) to every configured channel')
    .requiredOption('--aoi <id>', 'the AOI')
    .action((flags: { aoi: string }, command: Command) => test(flags, command, context));
  alerts
    .command('list')
    .description('the digests sent and pending, one row per alert, oldest first')
    .option('--aoi <id>', 'only this AOI (default: every AOI in the store)')
    .option('--json', 'print JSON instead of a table')
    .action((flags: { aoi?: string; json?: boolean }, command: Command) => list(flags, command, context));
}
