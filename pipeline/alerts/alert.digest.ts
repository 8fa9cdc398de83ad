import type { LastClearSummary, Summary } from '../../reports/summary.js';
import type { AlertChannel, AlertMessage } from '../ports.js';
import { sitesKey } from '../publish/sites.publish.js';
import { VERSION } from '../version.js';
import type { SiteAccuracy, SiteAlert } from './alert.select.js';
import { dossierFolder } from '../publish/dossier.publish.js';
import type { UnseenAlert } from './alert.unseen.js';

/**
 * One digest per AOI per run: the alerts of that run (or of an earlier run still pending), as stored in
 * `<aoi>/alerts/pending/<run>.json` until every channel accepted it, then in `<aoi>/alerts/digests/<run>.json`; and
 * the message each channel sends, written in English or French from the record when it is sent (so a language or
 * link change applies to what is still pending).
 */

export type ChannelName = AlertChannel['name'];

/** What one channel did with a digest, last attempt first. */
export interface DeliveryRecord {
  outcome: 'accepted' | 'unreachable' | 'rejected';
  at: string;
  attempts: number;
  target: string;
  status?: string;
  detail: string;
}

/**
 * What was not seen, from the summary of the AOI's latest report when the digest was queued (README "Outputs"), with
 * its item and the monitoring window's first day.
 */
export type DigestLastClear = Summary['lastClear'] & { item: string; windowStart: string };

export interface AlertDigest {
  version: 1;
  /** `<aoi>.<run id>`: the webhook's Idempotency-Key and the email's Message-ID. */
  id: string;
  aoi: { id: string; name: string };
  runId: string;
  createdAt: string;
  /** A sample sent by `changewatch alerts test`: never recorded, never consumes an alert. */
  test?: true;
  /** The run's report page (or the AOI's latest), a store key. */
  report: string | null;
  /** Every alert is recorded as this digest's (`alerts/sent/<key>.json`); false while that is under way. */
  claimed: boolean;
  alerts: SiteAlert[];
  /** Areas (the AOI, zones) unseen for too long (`alerts.unseen`); absent in digests from before it existed. */
  unseen?: UnseenAlert[];
  /** When most of the AOI and of each zone was last seen clear; absent when no summary was published. */
  lastClear?: DigestLastClear;
  deliveries: Partial<Record<ChannelName, DeliveryRecord>>;
}

export type Language = 'en' | 'fr';

/** Sites listed in a message's text; the JSON carries all of them. */
export const TEXT_SITES = 50;

const STATES: Record<Language, Record<SiteAlert['state'], [string, string]>> = {
  en: {
    new: ['new', 'new'],
    expanding: ['expanding', 'expanding'],
    stable: ['stable', 'stable'],
    inactive: ['inactive', 'inactive'],
    revegetating: ['revegetating', 'revegetating'],
    merged: ['merged', 'merged'],
  },
  fr: {
    new: ['nouveau', 'nouveaux'],
    expanding: ['en expansion', 'en expansion'],
    stable: ['stable', 'stables'],
    inactive: ['inactif', 'inactifs'],
    revegetating: ['en revégétalisation', 'en revégétalisation'],
    merged: ['fusionné', 'fusionnés'],
  },
};

/** The words of a message; French for field staff in Goma and Bukavu. */
const WORDS = {
  en: {
    locale: 'en-US',
    colon: ':',
    tag: (test: boolean) => (test ? '[changewatch test]' : '[changewatch]'),
    sites: (n: number) => `${n} site${n === 1 ? '' : 's'}`,
    intro: (sites: string, aoi: string, run: string) => `changewatch: ${sites} in ${aoi} to look at (run ${run}).`,
    testNote: 'This is a sample digest sent by "changewatch alerts test": nothing new was found.',
    area: 'Area',
    zones: 'Zones',
    noZone: 'none (outside every zone)',
    firstSeen: 'First seen',
    undated: 'not dated',
    period: 'Period',
    report: 'Report',
    dossier: 'Evidence dossier',
    chip: 'Chip',
    accuracy: (a: SiteAccuracy) =>
      `user's accuracy of ${a.class} ${a.usersAccuracy ? `${a.usersAccuracy.value.toFixed(2)} ± ${a.usersAccuracy.ci95.toFixed(2)}` : 'unknown'} (assessment of ${a.on} by ${a.by}${a.current ? '' : ', made on earlier inputs'}); over the AOI: ${a.aoi}`,
    more: (n: number) => `… and ${n} more (every site is in the sites file below).`,
    runReport: 'Report of this run',
    allSites: 'All sites of this AOI',
    notes:
      'Hectares are each site’s whole footprint (every pixel its change patches covered), geodesic. “First seen” is ' +
      'the first clear observation that showed the change.',
    footer: (id: string) => `Digest ${id}; changewatch ${VERSION}.`,
    lastClear: (item: string, end: string) =>
      `What was not seen (${item}; monitoring window ending ${end}, exclusive): when most of each area was last seen clear, and the share seen in the last 30 / 60 / 90 days.`,
    wholeAoi: 'whole AOI',
    areas: (n: number) => `${n} area${n === 1 ? '' : 's'} unseen too long`,
    introUnseen: (areas: string, aoi: string, run: string) => `changewatch: ${areas} in ${aoi} (run ${run}).`,
    unseenHead:
      'Unseen too long: most of each area below has had no clear view for more than the days the rule allows.',
    zone: 'zone',
    unseenSince: (alert: UnseenAlert) =>
      alert.since
        ? `no clear view of most of it since ${alert.since}: ${alert.days} days by ${alert.windowEnd} (alert after ${alert.afterDays})`
        : `most of it not seen clear in the window ${alert.windowStart}/${alert.windowEnd}: at least ${alert.days} days (alert after ${alert.afterDays})`,
    mostSeen: (date: string | null) =>
      date ? `most of it seen clear by ${date}` : 'most of it not seen clear in the window',
    seenLately: 'seen',
  },
  fr: {
    locale: 'fr-FR',
    colon: ' :',
    tag: (test: boolean) => (test ? '[changewatch essai]' : '[changewatch]'),
    sites: (n: number) => `${n} site${n === 1 ? '' : 's'}`,
    intro: (sites: string, aoi: string, run: string) =>
      `changewatch : ${sites} à examiner dans ${aoi} (exécution ${run}).`,
    testNote: 'Ceci est un résumé d’essai envoyé par « changewatch alerts test » : rien de nouveau n’a été trouvé.',
    area: 'Surface',
    zones: 'Zones',
    noZone: 'aucune (hors de toute zone)',
    firstSeen: 'Vu pour la première fois',
    undated: 'non daté',
    period: 'Période',
    report: 'Rapport',
    dossier: 'Dossier de preuves',
    chip: 'Vignette',
    accuracy: (a: SiteAccuracy) =>
      `précision utilisateur de ${a.class} ${a.usersAccuracy ? `${a.usersAccuracy.value.toFixed(2)} ± ${a.usersAccuracy.ci95.toFixed(2)}` : 'inconnue'} (évaluation du ${a.on} par ${a.by}${a.current ? '' : ', faite sur des entrées antérieures'}) ; sur la zone d’intérêt : ${a.aoi}`,
    more: (n: number) => `… et ${n} de plus (tous les sites sont dans le fichier des sites ci-dessous).`,
    runReport: 'Rapport de cette exécution',
    allSites: 'Tous les sites de cette zone d’intérêt',
    notes:
      'Les hectares sont l’emprise entière de chaque site (tous les pixels couverts par ses taches de changement), ' +
      'géodésiques. « Vu pour la première fois » est la première observation claire montrant le changement.',
    footer: (id: string) => `Résumé ${id} ; changewatch ${VERSION}.`,
    lastClear: (item: string, end: string) =>
      `Ce qui n’a pas été vu (${item} ; fenêtre de suivi se terminant le ${end}, exclu) : quand l’essentiel de chaque zone a été vu clair pour la dernière fois, et la part vue dans les 30 / 60 / 90 derniers jours.`,
    wholeAoi: 'zone d’intérêt entière',
    areas: (n: number) => `${n} zone${n === 1 ? '' : 's'} non vue${n === 1 ? '' : 's'} depuis trop longtemps`,
    introUnseen: (areas: string, aoi: string, run: string) => `changewatch : ${areas} dans ${aoi} (exécution ${run}).`,
    unseenHead:
      'Non vues depuis trop longtemps : l’essentiel de chaque zone ci-dessous n’a pas eu de vue claire depuis plus de jours que la règle n’en permet.',
    zone: 'zone',
    unseenSince: (alert: UnseenAlert) =>
      alert.since
        ? `pas de vue claire de l’essentiel depuis le ${alert.since} : ${alert.days} jours au ${alert.windowEnd} (alerte après ${alert.afterDays})`
        : `l’essentiel non vu clair dans la fenêtre ${alert.windowStart}/${alert.windowEnd} : au moins ${alert.days} jours (alerte après ${alert.afterDays})`,
    mostSeen: (date: string | null) =>
      date ? `l’essentiel vu clair au plus tard le ${date}` : 'l’essentiel non vu clair dans la fenêtre',
    seenLately: 'vu',
  },
} as const;

const hectares = (value: number, language: Language) =>
  `${value.toLocaleString(WORDS[language].locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ha`;

/** `2 new, 1 expanding` / `2 nouveaux, 1 en expansion`, in the order of the states' first appearance. */
function stateCounts(alerts: readonly SiteAlert[], language: Language): string {
  const counts = new Map<SiteAlert['state'], number>();
  for (const alert of alerts) counts.set(alert.state, (counts.get(alert.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${STATES[language][state][n === 1 ? 0 : 1]}`).join(', ');
}

/**
 * Which version of a versioned zone a site was placed in (the one of its first sighting), and whether the permit had
 * expired or not started by then; nothing for a zone without dates.
 */
function versionNote(version: NonNullable<SiteAlert['zone_versions']>[string] | undefined, language: Language) {
  if (!version) return '';
  const { valid_from: from, valid_to: to } = version;
  const fr = language === 'fr';
  if (version.status === 'expired') return fr ? ` (expiré le ${to})` : ` (expired ${to})`;
  if (version.status === 'not-yet-valid')
    return fr ? ` (pas encore valide : dès le ${from})` : ` (not yet valid: from ${from})`;
  return ` (${from ?? '…'}..${to ?? '…'})`;
}

/** The site's evidence dossier page and its classes chip (built by the run's dossier step, before the alerts). */
const dossierPage = (aoiId: string, alert: SiteAlert) => `${dossierFolder(aoiId, alert.site)}/index.html`;
const dossierChip = (aoiId: string, alert: SiteAlert) =>
  `${dossierFolder(aoiId, alert.site)}/chip-${alert.product}.png`;

/** One site's lines; its report link only when it is not the run's (listed once at the end). */
function siteLines(
  alert: SiteAlert,
  index: number,
  language: Language,
  links: { link: (key: string) => string; runReport: string | null; aoiId: string },
): string[] {
  const words = WORDS[language];
  const label = (name: string) => `   ${name}${words.colon} `;
  const zones = Object.entries(alert.zones)
    .sort(([, a], [, b]) => b - a)
    .map(([zone, ha]) => `${zone} ${hectares(ha, language)}${versionNote(alert.zone_versions?.[zone], language)}`)
    .join(language === 'fr' ? ' ; ' : '; ');
  return [
    `${index + 1}. ${alert.site}${words.colon} ${STATES[language][alert.state][0]} (${alert.product})`,
    `${label(words.area)}${hectares(alert.hectares, language)}`,
    `${label(words.zones)}${zones || words.noZone}`,
    `${label(words.firstSeen)}${alert.first_seen ?? words.undated}`,
    `${label(words.period)}${alert.monitoring}`,
    ...(alert.accuracy
      ? [`${label(language === 'fr' ? 'Précision' : 'Accuracy')}${words.accuracy(alert.accuracy)}`]
      : []),
    `${label(words.dossier)}${links.link(dossierPage(links.aoiId, alert))}`,
    `${label(words.chip)}${links.link(dossierChip(links.aoiId, alert))}`,
    ...(alert.report && alert.report !== links.runReport ? [`${label(words.report)}${links.link(alert.report)}`] : []),
  ];
}

const percent = (fraction: number, language: Language) =>
  `${(fraction * 100).toLocaleString(WORDS[language].locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} %`;

/** The "what was not seen" lines: the AOI, then each zone. */
function lastClearLines(lastClear: DigestLastClear | undefined, aoiName: string, language: Language): string[] {
  if (!lastClear) return [];
  const words = WORDS[language];
  const line = (name: string, figures: LastClearSummary) => {
    const { days30, days60, days90 } = figures.seenWithin;
    const shares = [days30, days60, days90].map((share) => percent(share, language)).join(' / ');
    return `   ${name}${words.colon} ${words.mostSeen(figures.mostSeenOn)}${language === 'fr' ? ' ;' : ';'} ${words.seenLately} ${shares}`;
  };
  return [
    '',
    words.lastClear(lastClear.item, lastClear.windowEnd),
    line(`${aoiName} (${words.wholeAoi})`, lastClear.aoi),
    ...Object.values(lastClear.zones).map((zone) => line(zone.name, zone)),
  ];
}

/** The areas unseen too long, each with its kind and how long. */
function unseenLines(unseen: readonly UnseenAlert[], language: Language): string[] {
  if (unseen.length === 0) return [];
  const words = WORDS[language];
  const kind = (alert: UnseenAlert) => (alert.kind === 'aoi' ? words.wholeAoi : `${words.zone} ${alert.area}`);
  return [
    '',
    words.unseenHead,
    ...unseen.map((alert) => `   ${alert.name} (${kind(alert)})${words.colon} ${words.unseenSince(alert)}`),
  ];
}

/** The subject's and the first line's counts: the sites by state, then the areas unseen too long. */
function headCounts(digest: AlertDigest, language: Language) {
  const words = WORDS[language];
  const unseen = digest.unseen ?? [];
  const sites = words.sites(digest.alerts.length);
  const counts = [
    ...(digest.alerts.length > 0 || unseen.length === 0 ? [`${sites} (${stateCounts(digest.alerts, language)})`] : []),
    ...(unseen.length > 0 ? [words.areas(unseen.length)] : []),
  ];
  const where = `${digest.aoi.name} (${digest.aoi.id})`;
  const intro =
    digest.alerts.length === 0 && unseen.length > 0
      ? words.introUnseen(words.areas(unseen.length), where, digest.runId)
      : words.intro(sites, where, digest.runId);
  return { counts: counts.join(language === 'fr' ? ' ; ' : '; '), intro };
}

/** The digest's text in the language asked for. */
export function digestText(digest: AlertDigest, language: Language, link: (key: string) => string) {
  const words = WORDS[language];
  const { counts, intro } = headCounts(digest, language);
  const subject = `${words.tag(!!digest.test)} ${digest.aoi.name}${words.colon} ${counts}`;
  const listed = digest.alerts.slice(0, TEXT_SITES);
  const lines = [
    intro,
    ...(digest.test ? ['', words.testNote] : []),
    ...listed.flatMap((alert, index) => [
      '',
      ...siteLines(alert, index, language, { link, runReport: digest.report, aoiId: digest.aoi.id }),
    ]),
    ...(digest.alerts.length > listed.length ? ['', words.more(digest.alerts.length - listed.length)] : []),
    ...unseenLines(digest.unseen ?? [], language),
    ...lastClearLines(digest.lastClear, digest.aoi.name, language),
    '',
    ...(digest.report ? [`${words.runReport}${words.colon} ${link(digest.report)}`] : []),
    `${words.allSites}${words.colon} ${link(sitesKey(digest.aoi.id))}`,
    '',
    words.notes,
    words.footer(digest.id),
  ];
  return { subject, text: `${lines.join('\n')}\n` };
}

/** The message the channels send: the text, and the JSON document a webhook receives. */
export function digestMessage(digest: AlertDigest, language: Language, link: (key: string) => string): AlertMessage {
  const { subject, text } = digestText(digest, language, link);
  const page = (key: string | null) => (key ? { key, url: link(key) } : null);
  const json = {
    type: 'changewatch.alerts.digest',
    version: 1,
    id: digest.id,
    test: digest.test ?? false,
    aoi: digest.aoi,
    run: digest.runId,
    created: digest.createdAt,
    language,
    subject,
    report: page(digest.report),
    sites_file: page(sitesKey(digest.aoi.id)),
    sites: digest.alerts.map(({ key, report, ...alert }) => ({
      ...alert,
      alert: key,
      report: page(report),
      dossier: page(dossierPage(digest.aoi.id, { key, report, ...alert })),
      chip: page(dossierChip(digest.aoi.id, { key, report, ...alert })),
    })),
    unseen: (digest.unseen ?? []).map(({ key, report, ...alert }) => ({ ...alert, alert: key, report: page(report) })),
    last_clear: digest.lastClear ?? null,
    text,
    software: { name: 'changewatch', version: VERSION },
  };
  return { id: digest.id, subject, text, json, language };
}
