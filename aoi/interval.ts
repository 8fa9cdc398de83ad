/**
 * ISO 8601 time intervals as AOI windows use them: `start/end`, `start/duration` or `duration/end`, where start
 * and end are calendar dates (`2021-06-01`) or UTC date-times (`2021-06-01T00:00:00Z`).
 *
 * A date-only end is inclusive: `2021-06-01/2021-07-15` covers the whole of 15 July, as a researcher reading it
 * expects. Intervals are kept as half-open `[start, end)` instants.
 */

export interface TimeInterval {
  /** The text as written in the AOI file. */
  text: string;
  /** Inclusive start, ISO 8601 UTC. */
  start: string;
  /** Exclusive end, ISO 8601 UTC. */
  end: string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const DURATION = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?!$)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

type Instant = { ms: number; dateOnly: boolean };

function isRealDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function parseInstant(text: string): Instant | string {
  const date = DATE.exec(text);
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    if (!isRealDate(year, month, day)) return `"${text}" is not a calendar date`;
    return { ms: Date.UTC(year, month - 1, day), dateOnly: true };
  }
  const dateTime = DATE_TIME.exec(text);
  if (dateTime) {
    const [year, month, day] = [Number(dateTime[1]), Number(dateTime[2]), Number(dateTime[3])];
    if (!isRealDate(year, month, day)) return `"${text}" is not a calendar date`;
    if (Number(dateTime[4]) > 23 || Number(dateTime[5]) > 59 || Number(dateTime[6] ?? 0) > 59) {
      return `"${text}" is not a valid time of day`;
    }
    return { ms: Date.parse(text), dateOnly: false };
  }
  return `"${text}" is neither a date (YYYY-MM-DD) nor a date-time (YYYY-MM-DDThh:mm:ssZ)`;
}

interface Duration {
  years: number;
  months: number;
  days: number;
  ms: number;
}

function parseDuration(text: string): Duration | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const n = (index: number) => Number(match[index] ?? 0);
  return {
    years: n(1),
    months: n(2),
    days: n(3) * 7 + n(4),
    ms: ((n(5) * 60 + n(6)) * 60 + n(7)) * 1000,
  };
}

/** Calendar arithmetic, as ISO 8601 means it: P1M from 31 Jan ends on the last day of February. */
function addDuration(ms: number, duration: Duration, sign: 1 | -1): number {
  const date = new Date(ms);
  const targetMonth = date.getUTCMonth() + sign * (duration.years * 12 + duration.months);
  const day = date.getUTCDate();
  const shifted = new Date(ms);
  shifted.setUTCDate(1);
  shifted.setUTCFullYear(date.getUTCFullYear(), targetMonth, 1);
  const lastDay = new Date(Date.UTC(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, 0)).getUTCDate();
  shifted.setUTCDate(Math.min(day, lastDay));
  return shifted.getTime() + sign * (duration.days * 86_400_000 + duration.ms);
}

const DAY_MS = 86_400_000;

/**
 * Parses an ISO 8601 interval. Returns the interval, or a message saying what is wrong and what to write.
 */
export function parseInterval(text: unknown): TimeInterval | string {
  const example = 'write it as an ISO 8601 interval such as "2021-06-01/2021-07-15"';
  if (typeof text !== 'string') return `window must be a string: ${example}`;
  const parts = text.split('/');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
    return `"${text}" is not an ISO 8601 interval: ${example}`;
  const [first, second] = parts as [string, string];
  const firstDuration = first.startsWith('P') ? parseDuration(first) : undefined;
  const secondDuration = second.startsWith('P') ? parseDuration(second) : undefined;
  if (first.startsWith('P') && !firstDuration) return `"${first}" is not an ISO 8601 duration such as P3M: ${example}`;
  if (second.startsWith('P') && !secondDuration)
    return `"${second}" is not an ISO 8601 duration such as P3M: ${example}`;
  if (firstDuration && secondDuration) return `"${text}" has two durations and no date: ${example}`;

  let startMs: number;
  let endMs: number;
  if (firstDuration) {
    const end = parseInstant(second);
    if (typeof end === 'string') return `${end}: ${example}`;
    endMs = end.dateOnly ? end.ms + DAY_MS : end.ms;
    startMs = addDuration(endMs, firstDuration, -1);
  } else {
    const start = parseInstant(first);
    if (typeof start === 'string') return `${start}: ${example}`;
    startMs = start.ms;
    if (secondDuration) {
      endMs = addDuration(startMs, secondDuration, 1);
    } else {
      const end = parseInstant(second);
      if (typeof end === 'string') return `${end}: ${example}`;
      endMs = end.dateOnly ? end.ms + DAY_MS : end.ms;
      if (end.ms < start.ms || (!end.dateOnly && end.ms === start.ms)) {
        return `"${text}" ends before it starts: put the earlier date first`;
      }
    }
  }
  if (endMs <= startMs) return `"${text}" is empty: give it a positive length`;
  return { text, start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString() };
}
