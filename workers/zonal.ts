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

/**
 * Zonal statistics of one raster (or one block, with its columns' pixel areas), added into `stats`. The sums run
 * in typed arrays (an object property per pixel was most of the time), seeded with what `stats` holds and added
 * in raster order, so every sum is the same number as adding pixel by pixel into `stats` gives.
 */
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
  // Index code (classes) or code × 256 + level (by confidence). A tally is seeded from `stats` when first touched.
  const [byClass, byLevel] = [CLASS_TALLIES, LEVEL_TALLIES];
  let [pixels, hectares] = [stats.pixels, stats.hectares];
  for (let start = 0; start < classes.length; start += width) {
    const end = Math.min(start + width, classes.length);
    for (let i = start; i < end; i++) {
      if (!zone[i]) continue;
      const area = pixelAreaHa[i - start]!;
      const code = classes[i]!;
      pixels++;
      hectares += area;
      if (!byClass.seen[code]) touch(byClass, code, stats.classes[code]);
      byClass.pixels[code]++;
      byClass.hectares[code] += area;
      if (confidence) {
        const level = confidence[i]!;
        const key = code * 256 + level;
        if (!byLevel.seen[key]) touch(byLevel, key, stats.byConfidence[code]?.[level]);
        byLevel.pixels[key]++;
        byLevel.hectares[key] += area;
      }
    }
  }
  stats.pixels = pixels;
  stats.hectares = hectares;
  endTallies(byClass, (key) => (stats.classes[key] ??= { pixels: 0, hectares: 0 }));
  if (confidence) {
    endTallies(byLevel, (key) => ((stats.byConfidence[key >> 8] ??= {})[key & 255] ??= { pixels: 0, hectares: 0 }));
  }
  return stats;
}

/**
 * Running tallies of one call, in typed arrays made once per thread and handed back clean: the keys touched are
 * listed, seeded from the statistics when first touched and written back (and cleared) at the end.
 */
interface Tallies {
  pixels: Float64Array;
  hectares: Float64Array;
  seen: Uint8Array;
  touched: number[];
}

const tallies = (size: number): Tallies => ({
  pixels: new Float64Array(size),
  hectares: new Float64Array(size),
  seen: new Uint8Array(size),
  touched: [],
});
const CLASS_TALLIES = tallies(256);
const LEVEL_TALLIES = tallies(256 * 256);

/** Marks `key` touched, its running sums starting from `tally`, what the statistics hold so far (if anything). */
function touch(running: Tallies, key: number, tally: ClassTally | undefined): void {
  running.pixels[key] = tally?.pixels ?? 0;
  running.hectares[key] = tally?.hectares ?? 0;
  running.seen[key] = 1;
  running.touched.push(key);
}

function endTallies(running: Tallies, tallyOf: (key: number) => ClassTally): void {
  for (const key of running.touched) {
    const tally = tallyOf(key);
    tally.pixels = running.pixels[key]!;
    tally.hectares = running.hectares[key]!;
    running.seen[key] = 0;
  }
  running.touched.length = 0;
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
  // Row by row (no modulo per pixel), into locals, in raster order: the same sums as pixel by pixel into `area`.
  let [totalHa, seenHa] = [area.totalHa, area.seenHa];
  for (let start = 0; start < count.length; start += width) {
    const end = Math.min(start + width, count.length);
    for (let i = start; i < end; i++) {
      if (!zone[i]) continue;
      const pixelArea = pixelAreaHa[i - start]!;
      totalHa += pixelArea;
      if (count[i]! > 0) seenHa += pixelArea;
    }
  }
  area.totalHa = totalHa;
  area.seenHa = seenHa;
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
