/**
 * Zonal statistics with honest numbers: pixels and hectares per class (and per class and confidence) inside a
 * zone mask, from the actual pixels and each column's true pixel area. Pure.
 */

export interface ClassTally {
  pixels: number;
  hectares: number;
}

export interface ZonalStats {
  /** Pixels of the zone (inside the mask). */
  pixels: number;
  hectares: number;
  /** By class code. */
  classes: Record<number, ClassTally>;
  /** By class code, then confidence code. */
  byConfidence: Record<number, Record<number, ClassTally>>;
}

export function emptyZonalStats(): ZonalStats {
  return { pixels: 0, hectares: 0, classes: {}, byConfidence: {} };
}

/** Zonal statistics of one raster (or one block, with its columns' pixel areas), added into `stats`. */
export function addZonalStats(
  stats: ZonalStats,
  input: {
    width: number;
    classes: Uint8Array;
    confidence?: Uint8Array;
    /** 1 inside the zone. */
    zone: ArrayLike<number>;
    pixelAreaHa: ArrayLike<number>;
  },
): ZonalStats {
  const { width, classes, confidence, zone, pixelAreaHa } = input;
  if (zone.length !== classes.length)
    throw new RangeError(`zonalStats: zone has ${zone.length} pixels, classes ${classes.length}`);
  for (let i = 0; i < classes.length; i++) {
    if (!zone[i]) continue;
    const area = pixelAreaHa[i % width]!;
    const code = classes[i]!;
    stats.pixels++;
    stats.hectares += area;
    const tally = (stats.classes[code] ??= { pixels: 0, hectares: 0 });
    tally.pixels++;
    tally.hectares += area;
    if (confidence) {
      const byClass = (stats.byConfidence[code] ??= {});
      const level = (byClass[confidence[i]!] ??= { pixels: 0, hectares: 0 });
      level.pixels++;
      level.hectares += area;
    }
  }
  return stats;
}

/** Area of a zone and of the part of it seen clear at least once (count > 0), hectares. */
export interface ClearArea {
  seenHa: number;
  totalHa: number;
}

/** Adds the zone's clear and total area of one raster or block into `area`. */
export function addClearArea(
  area: ClearArea,
  count: ArrayLike<number>,
  zone: ArrayLike<number>,
  width: number,
  pixelAreaHa: ArrayLike<number>,
): ClearArea {
  for (let i = 0; i < count.length; i++) {
    if (!zone[i]) continue;
    const pixelArea = pixelAreaHa[i % width]!;
    area.totalHa += pixelArea;
    if (count[i]! > 0) area.seenHa += pixelArea;
  }
  return area;
}

/** Share (0-1) of the zone's area seen clear at least once (count > 0). */
export function fractionSeen(area: ClearArea): number {
  return area.totalHa === 0 ? 0 : area.seenHa / area.totalHa;
}

/**
 * A zone's pixels counted by the day of their last clear observation in the monitoring window (days since
 * 1970-01-01 UTC, the `last-clear` raster's values): enough to say when most of the zone was last seen and how much
 * of it was seen lately, without keeping the pixels. Pixels never seen clear are in `pixels` and not in `byDay`.
 */
export interface LastClearTally {
  /** Pixels of the zone. */
  pixels: number;
  /** Pixels by their last clear day. */
  byDay: Map<number, number>;
}

export function emptyLastClear(): LastClearTally {
  return { pixels: 0, byDay: new Map() };
}

/** Adds the zone's pixels of one raster or block into `tally`; `lastDay` is -1 where a pixel was never seen clear. */
export function addLastClear(
  tally: LastClearTally,
  lastDay: ArrayLike<number>,
  zone: ArrayLike<number>,
): LastClearTally {
  if (zone.length !== lastDay.length)
    throw new RangeError(`lastClear: zone has ${zone.length} pixels, last days ${lastDay.length}`);
  // Neighbouring pixels mostly share their day: counted as runs, one map update per run rather than per pixel (the
  // map's per-pixel updates were most of the main thread's time taking a block in). A day enters the map at the end
  // of its first run, so the days keep the order of their first pixels.
  let run = -1;
  let count = 0;
  for (let i = 0; i < lastDay.length; i++) {
    if (!zone[i]) continue;
    tally.pixels++;
    const day = lastDay[i]!;
    if (day < 0) continue;
    if (day === run) {
      count++;
      continue;
    }
    if (count > 0) tally.byDay.set(run, (tally.byDay.get(run) ?? 0) + count);
    run = day;
    count = 1;
  }
  if (count > 0) tally.byDay.set(run, (tally.byDay.get(run) ?? 0) + count);
  return tally;
}

/** Spans, days before the window's end, of the "seen lately" shares. */
export const SEEN_SPANS = [30, 60, 90] as const;

export interface LastClearFigures {
  /**
   * The day (since 1970-01-01) by which most of the zone was seen: the median of its pixels' last clear days, a
   * never-seen pixel counting as older than any day, and for an even count the later of the two middle days (so the
   * latest day D such that at least half of the pixels were seen clear on D or after). Null when fewer than half of
   * them were seen clear in the window, or the zone has no pixel.
   */
  mostSeenDay: number | null;
  /** Share (0-1) of the zone's pixels seen clear on one of the last N days before the window's end, per span. */
  seenWithin: Record<(typeof SEEN_SPANS)[number], number>;
}

/** The figures of a tally; `endDay` is the window's exclusive end (days since 1970-01-01): the last day is before. */
export function lastClearFigures(tally: LastClearTally, endDay: number): LastClearFigures {
  const days = [...tally.byDay.keys()].sort((a, b) => b - a);
  const half = Math.ceil(tally.pixels / 2);
  let mostSeenDay: number | null = null;
  let seen = 0;
  for (const day of days) {
    seen += tally.byDay.get(day)!;
    if (tally.pixels > 0 && seen >= half) {
      mostSeenDay = day;
      break;
    }
  }
  const share = (span: number) => {
    if (tally.pixels === 0) return 0;
    let within = 0;
    for (const [day, pixels] of tally.byDay) if (day >= endDay - span) within += pixels;
    return within / tally.pixels;
  };
  return { mostSeenDay, seenWithin: { 30: share(30), 60: share(60), 90: share(90) } };
}
