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
  /**
   * The part of the arrays to composite, when not all of it: a rectangle of rows `rowLength` long (a block without
   * its halo, which only the cloud morphology needs). The outputs are the rectangle's size.
   */
  region?: CompositeRegion;
}

export interface CompositeRegion {
  left: number;
  top: number;
  width: number;
  height: number;
  /** Pixels per row of the input arrays. */
  rowLength: number;
}

export interface Composite {
  /** Median of the clear observations; NaN where there were none. */
  median: Float32Array;
  /** Number of clear observations. */
  count: Uint16Array;
  /** Day (since 1970-01-01 UTC) of the last clear observation; -1 where there were none. */
  lastDay: Int32Array;
}

/**
 * Moves the k-th smallest of `values[from, from + n)` (k counted from `from`, 0-based) to `values[from + k]`, with
 * none larger before it and none smaller after it, and returns it: Hoare's FIND as Wirth gives it ("Algorithms +
 * Data Structures = Programs", 1976, 2.3.4), in place, about 2n to 3n comparisons. No NaN among the values.
 */
function selectInPlace(values: Float64Array, from: number, n: number, k: number): number {
  const at = from + k;
  let left = from;
  let right = from + n - 1;
  while (left < right) {
    const pivot = values[at]!;
    let i = left;
    let j = right;
    do {
      while (values[i]! < pivot) i++;
      while (pivot < values[j]!) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    } while (i <= j);
    if (j < at) left = i;
    if (at < i) right = j;
  }
  return values[at]!;
}

/**
 * numpy `nanmedian` of the `n` values at `from` in `values` (reordered): the middle one, or for an even count the
 * mean of the two middle ones, summed and halved in float64 as before. The lower middle one is the largest of
 * those the selection left before the upper one.
 */
function middleOf(values: Float64Array, from: number, n: number): number {
  if (n % 2 === 1) return selectInPlace(values, from, n, (n - 1) / 2);
  const half = n / 2;
  const upper = selectInPlace(values, from, n, half);
  let lower = values[from]!;
  for (let j = from + 1; j < from + half; j++) if (values[j]! > lower) lower = values[j]!;
  return (lower + upper) / 2;
}

/**
 * The median of pixel `i` as the insertion sort in order of arrival gave it before selection replaced it. Values
 * that compare equal are the same number except 0 and -0, so a median can depend on which of equal values is
 * taken only when it is zero: then this decides its sign, and the output stays bit-identical.
 */
function medianInOrderOfArrival(input: CompositeInput, i: number, scratch: Float64Array): number {
  let n = 0;
  for (let d = 0; d < input.values.length; d++) {
    const value = input.values[d]![i]!;
    if (input.clear[d]![i] !== 1 || Number.isNaN(value)) continue;
    let j = n - 1;
    while (j >= 0 && scratch[j]! > value) {
      scratch[j + 1] = scratch[j]!;
      j--;
    }
    scratch[j + 1] = value;
    n++;
  }
  return n % 2 === 1 ? scratch[(n - 1) / 2]! : (scratch[n / 2 - 1]! + scratch[n / 2]!) / 2;
}

function checkInput(input: CompositeInput): number {
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
  return pixels;
}

/** Pixels gathered per pass: one date's values are read in order, and the gathered values stay in cache. */
const CHUNK = 1024;

/** Per-pass buffers, reused for every pass. */
interface Gathered {
  /** The clear values of each pixel of the pass, `dates` slots per pixel, in order of arrival. */
  values: Float64Array;
  count: Int32Array;
  last: Int32Array;
}

/** Adds one date's clear values of pixels [first, first + size) to the pass. */
function gatherDate(
  values: ArrayLike<number>,
  clear: ArrayLike<number>,
  day: number,
  first: number,
  size: number,
  slots: number,
  into: Gathered,
): void {
  const { values: gathered, count, last } = into;
  for (let k = 0; k < size; k++) {
    const value = values[first + k]!;
    if (clear[first + k] !== 1 || Number.isNaN(value)) continue;
    const n = count[k]!;
    gathered[k * slots + n] = value;
    count[k] = n + 1;
    if (day > last[k]!) last[k] = day;
  }
}

/** The input's runs of pixels to composite, each contiguous: the rectangle's rows, or the whole arrays in chunks. */
function runsOf(input: CompositeInput, pixels: number): Array<{ first: number; size: number }> {
  const { region } = input;
  if (!region) {
    const runs = [];
    for (let first = 0; first < pixels; first += CHUNK) runs.push({ first, size: Math.min(CHUNK, pixels - first) });
    return runs;
  }
  const { left, top, width, height, rowLength } = region;
  if (left < 0 || top < 0 || width < 0 || height < 0 || left + width > rowLength || (top + height) * rowLength > pixels)
    throw new RangeError(`medianComposite: region ${JSON.stringify(region)} outside ${pixels} pixels`);
  return Array.from({ length: height }, (_, row) => ({ first: (top + row) * rowLength + left, size: width }));
}

/**
 * Pixels are taken in runs (a region's rows, else {@link CHUNK} at a time): each date's clear values are gathered
 * into one buffer reused for every run (reading each date's arrays in order), then each pixel's middle is found by
 * selection (no sort).
 */
export function medianComposite(input: CompositeInput): Composite {
  const pixels = checkInput(input);
  const dates = input.values.length;
  const runs = runsOf(input, pixels);
  const outputs = input.region ? input.region.width * input.region.height : pixels;
  const median = new Float32Array(outputs);
  const count = new Uint16Array(outputs);
  const lastDay = new Int32Array(outputs).fill(-1);
  const longest = runs.reduce((most, run) => Math.max(most, run.size), 1);
  const pass: Gathered = {
    values: new Float64Array(longest * dates),
    count: new Int32Array(longest),
    last: new Int32Array(longest),
  };
  const scratch = new Float64Array(dates);
  let out = 0;
  for (const { first, size } of runs) {
    pass.count.fill(0);
    pass.last.fill(-1);
    for (let d = 0; d < dates; d++) {
      gatherDate(input.values[d]!, input.clear[d]!, input.days[d]!, first, size, dates, pass);
    }
    for (let k = 0; k < size; k++, out++) {
      const n = pass.count[k]!;
      count[out] = n;
      lastDay[out] = pass.last[k]!;
      if (n === 0) median[out] = NaN;
      else {
        const middle = middleOf(pass.values, k * dates, n);
        median[out] = middle === 0 ? medianInOrderOfArrival(input, first + k, scratch) : middle;
      }
    }
  }
  return { median, count, lastDay };
}
