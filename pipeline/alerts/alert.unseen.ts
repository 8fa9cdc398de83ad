import { createHash } from 'node:crypto';
import type { Config } from '../../config/config.schema.js';
import type { DigestLastClear } from './alert.digest.js';

/**
 * Which areas alert for going unseen (`alerts.unseen`): the AOI and its zones whose last clear view of most of it
 * (the summary's `lastClear.mostSeenOn`) is more than `afterDays` before the monitoring window's end. An alert is
 * keyed by the area and that "unseen since" date, so it is sent once: a rerun or another scheduler finds the same
 * key, and only a new clear view (a later date) followed by another long gap alerts again. An area most of which was
 * not seen at all in the window has no date: it is keyed by the window's start, once per window.
 */

export type UnseenRule = NonNullable<Config['alerts']['unseen']>;

/** One area unseen for too long: what a digest lists and the store records once. */
export interface UnseenAlert {
  /** sha256 of kind, area and unseen-since date (hex): the alert's identity and its record's name. */
  key: string;
  kind: 'aoi' | 'zone';
  /** The zone's id, or the AOI's. */
  area: string;
  name: string;
  /** Date of the last clear view of most of it; null: most of it was not seen clear in the window. */
  since: string | null;
  /** The monitoring window's first day and exclusive end. */
  windowStart: string;
  windowEnd: string;
  /** Days from `since` (else from the window's start: at least that) to the window's end. */
  days: number;
  afterDays: number;
  /** The item whose summary the figures come from, and its report page. */
  item: string;
  report: string | null;
}

const DAY_MS = 86_400_000;
const dayOf = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;

export function unseenKey(kind: UnseenAlert['kind'], area: string, since: string | null, windowStart: string): string {
  const when = since ?? `before ${windowStart}`;
  return createHash('sha256').update(`unseen\n${kind}\n${area}\n${when}`).digest('hex');
}

/** The areas of the AOI's latest figures that the rule calls unseen for too long: the AOI first, then its zones. */
export function unseenAlerts(
  aoi: { id: string; name: string },
  lastClear: DigestLastClear,
  rule: UnseenRule,
  report: string | null,
): UnseenAlert[] {
  const areas = [
    ...(rule.aoi ? [{ kind: 'aoi' as const, area: aoi.id, name: aoi.name, since: lastClear.aoi.mostSeenOn }] : []),
    ...Object.entries(lastClear.zones)
      .filter(([id]) => !rule.zones || rule.zones.includes(id))
      .map(([id, zone]) => ({ kind: 'zone' as const, area: id, name: zone.name, since: zone.mostSeenOn })),
  ];
  const end = dayOf(lastClear.windowEnd);
  return areas.flatMap(({ kind, area, name, since }) => {
    const days = end - dayOf(since ?? lastClear.windowStart);
    if (days <= rule.afterDays) return [];
    const { windowStart, windowEnd, item } = lastClear;
    const key = unseenKey(kind, area, since, windowStart);
    return [{ key, kind, area, name, since, windowStart, windowEnd, days, afterDays: rule.afterDays, item, report }];
  });
}
