import { posterior } from './bayts.js';

/**
 * Flagging and confirming a change in a pixel's fused PNF series (Reiche et al. 2015, section 2.1.4; the behaviour
 * of bayts' detectBayts, reproduced on its own test pixel by the unit tests). Pure.
 *
 * From the start of monitoring on, an observation whose PNF reaches `pnfMin` flags a possible change. The probability
 * of change starts as the posterior of the previous observation's PNF (the prior: what was known just before) and
 * this one's, and each later observation updates it by Bayes' rule. It is confirmed when it reaches `chi` on an
 * observation that itself favours non-forest; it is rejected as soon as it falls below even odds, and the search
 * starts again at the next observation after the flag's first one (observations of a rejected flag may start their
 * own). The change date is the time of the flag's first observation; the confirmation date is the time of the
 * observation that confirmed it.
 */

/** What bayts writes in its Flag column for each observation, as codes. */
export const OBSERVATION_STATUS = {
  /** Not examined (bayts: NA): before monitoring, or never reached by a flag. */
  unexamined: 0,
  /** PNF below pnfMin, the prior observation, or part of a rejected flag (bayts: "0"). */
  clear: 1,
  /** The first observation of a rejected flag (bayts: "oldFlag"). */
  oldFlag: 2,
  /** Part of a flag still open at the end of the series (bayts: "Flag"). */
  flag: 3,
  /** From a confirmed change's first observation to its confirmation (bayts: "Change"). */
  change: 4,
} as const;

/** Outcome of a pixel's series. */
export const DETECTION_STATE = { none: 0, flagged: 1, confirmed: 2 } as const;
export type DetectionState = (typeof DETECTION_STATE)[keyof typeof DETECTION_STATE];

export interface DetectionParams {
  /** Start of monitoring, on the series' time axis: observations at or after it may flag a change. */
  start: number;
  /** Probability of change at which a flag is confirmed (bayts' chi; 0.9 in its examples and baytsSpatial). */
  chi: number;
  /** PNF at or above which an observation flags a possible change (bayts' PNFmin, default 0.5). */
  pnfMin: number;
}

/**
 * Even odds: a flag whose probability of change falls below it is rejected, and only an observation at or above it
 * confirms (bayts hard-codes 0.5 for both, apart from PNFmin).
 */
const EVEN_ODDS = 0.5;
/** The prior when no observation precedes the monitoring: bayts prepends one with PNF 0.5. */
const NEUTRAL_PRIOR = 0.5;

export interface Detection {
  state: DetectionState;
  /** Index of the flag's first observation (the change date), or -1. */
  first: number;
  /** Index of the confirming observation, or of the last one of an open flag, or -1. */
  last: number;
  /** Probability of change at `last`, or NaN. */
  probability: number;
}

/** Optional per-observation outputs, at least as long as the series: bayts' Flag (as codes) and PChange columns. */
export interface DetectionTrace {
  status: Uint8Array;
  pChange: Float64Array;
}

function initialTrace(
  pnf: ArrayLike<number>,
  n: number,
  begin: number,
  params: DetectionParams,
  trace?: DetectionTrace,
) {
  if (!trace) return;
  for (let k = 0; k < n; k++) {
    trace.status[k] = pnf[k]! < params.pnfMin ? OBSERVATION_STATUS.clear : OBSERVATION_STATUS.unexamined;
    trace.pChange[k] = NaN;
  }
  if (begin > 0) trace.status[begin - 1] = OBSERVATION_STATUS.clear;
}

function mark(trace: DetectionTrace | undefined, from: number, to: number, status: number): void {
  if (trace) trace.status.fill(status, from, to + 1);
}

/** Index of the first time at or after `start`, or `times.length`. */
function firstMonitored(times: ArrayLike<number>, start: number): number {
  let k = 0;
  while (k < times.length && times[k]! < start) k++;
  return k;
}

/** Flags, confirms or rejects changes in one pixel's fused series (times ascending). */
export function detectChange(
  times: ArrayLike<number>,
  pnf: ArrayLike<number>,
  params: DetectionParams,
  trace?: DetectionTrace,
): Detection {
  const n = times.length;
  if (pnf.length !== n) throw new RangeError(`detectChange: ${n} times but ${pnf.length} probabilities`);
  const begin = firstMonitored(times, params.start);
  initialTrace(pnf, n, begin, params, trace);
  for (let first = begin; first < n; first++) {
    if (!(pnf[first]! >= params.pnfMin)) continue;
    let probability = posterior(first > 0 ? pnf[first - 1]! : NEUTRAL_PRIOR, pnf[first]!);
    let t = first;
    for (;;) {
      mark(trace, t, t, OBSERVATION_STATUS.flag);
      if (trace) trace.pChange[t] = probability;
      if (t > first && probability < EVEN_ODDS) break;
      if (probability >= params.chi && pnf[t]! >= EVEN_ODDS) {
        mark(trace, first, t, OBSERVATION_STATUS.change);
        return { state: DETECTION_STATE.confirmed, first, last: t, probability };
      }
      if (++t === n) return { state: DETECTION_STATE.flagged, first, last: n - 1, probability };
      probability = posterior(probability, pnf[t]!);
    }
    mark(trace, first, t, OBSERVATION_STATUS.clear);
    mark(trace, first, first, OBSERVATION_STATUS.oldFlag);
  }
  return { state: DETECTION_STATE.none, first: -1, last: -1, probability: NaN };
}
