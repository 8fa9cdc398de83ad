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
