/**
 * Clear-sky composites: per pixel, the median of the clear observations of a band (numpy `nanmedian`
 * semantics: the mean of the two middle values for an even count), how many clear observations there were, and
 * the day of the last one. Pure; the caller gives one array per date.
 */

export interface CompositeInput {
  /** One array per date, all of one length: physical values, NaN where missing. */
  values: ReadonlyArray<ArrayLike<number>>;
  /** One mask per date, 1 where the pixel is clear that date. */
  clear: ReadonlyArray<ArrayLike<number>>;
  /** Day of each date: days since 1970-01-01 UTC. */
  days: readonly number[];
}

export interface Composite {
  /** Median of the clear observations; NaN where there were none. */
  median: Float32Array;
  /** Number of clear observations. */
  count: Uint16Array;
  /** Day (since 1970-01-01 UTC) of the last clear observation; -1 where there were none. */
  lastDay: Int32Array;
}

export function medianComposite(input: CompositeInput): Composite {
  const dates = input.values.length;
  if (input.clear.length !== dates || input.days.length !== dates) {
    throw new RangeError(
      `medianComposite: ${dates} value arrays, ${input.clear.length} masks, ${input.days.length} days`,
    );
  }
  const pixels = dates === 0 ? 0 : input.values[0]!.length;
  for (let d = 0; d < dates; d++) {
    if (input.values[d]!.length !== pixels || input.clear[d]!.length !== pixels) {
      throw new RangeError(
        `medianComposite: date ${d} has ${input.values[d]!.length} values / ${input.clear[d]!.length} mask pixels, expected ${pixels}`,
      );
    }
  }
  if (dates > 65_535) throw new RangeError(`medianComposite: ${dates} dates exceed the UInt16 count`);
  const median = new Float32Array(pixels);
  const count = new Uint16Array(pixels);
  const lastDay = new Int32Array(pixels).fill(-1);
  const scratch = new Float64Array(dates);
  for (let i = 0; i < pixels; i++) {
    let n = 0;
    let last = -1;
    for (let d = 0; d < dates; d++) {
      const value = input.values[d]![i]!;
      if (input.clear[d]![i] !== 1 || Number.isNaN(value)) continue;
      // Insertion sort: few dates per pixel, already in order of arrival.
      let j = n - 1;
      while (j >= 0 && scratch[j]! > value) {
        scratch[j + 1] = scratch[j]!;
        j--;
      }
      scratch[j + 1] = value;
      n++;
      if (input.days[d]! > last) last = input.days[d]!;
    }
    count[i] = n;
    lastDay[i] = last;
    if (n === 0) median[i] = NaN;
    else if (n % 2 === 1) median[i] = scratch[(n - 1) / 2]!;
    else median[i] = (scratch[n / 2 - 1]! + scratch[n / 2]!) / 2;
  }
  return { median, count, lastDay };
}
