import { squaredDistanceTo } from '../morphology.js';
import type { StratumInput } from './estimate.js';

/**
 * The sampling design of an accuracy assessment (Olofsson et al. 2014, section 4.1): strata from a published class
 * raster, good-practice allocation, the standard error it should give, and a stratified random draw of pixels
 * without replacement that a seed reproduces.
 */

/** Stratum code of pixels that are not sampled: outside the AOI, or not seen (reported as "not assessed"). */
export const NOT_SAMPLED = 255;

export interface Stratum extends StratumInput {
  /** The map class codes it holds, and whether they are change codes of the product. */
  codes: number[];
  change: boolean;
}

export interface StrataInput {
  codes: Uint8Array;
  width: number;
  height: number;
  /** True area of one pixel of each column, hectares (aoi/pixel.area.ts). */
  pixelHaByColumn: Float64Array;
  /** The classes that are strata, in order (not the not-seen or nodata codes). */
  classes: ReadonlyArray<{ value: number; name: string }>;
  changeCodes: readonly number[];
  /** The not-seen code: counted as "not assessed", never sampled. */
  notSeenCode: number;
  /** Pixels of a stable class within this many pixels of a change pixel form the `buffer` stratum; 0 for none. */
  bufferRadiusPx: number;
}

export interface Strata {
  strata: Stratum[];
  /** Per pixel: its stratum index, or NOT_SAMPLED. */
  stratumOf: Uint8Array;
  notAssessed: { pixels: number; areaHa: number };
  /** Hectares of each class code the map holds inside the strata. */
  classAreaHa: Map<number, number>;
}

export const BUFFER_STRATUM = 'buffer';

function bufferMask(input: StrataInput): Uint8Array | undefined {
  if (input.bufferRadiusPx <= 0) return undefined;
  const change = new Set(input.changeCodes);
  const changeMask = Uint8Array.from(input.codes, (code) => (change.has(code) ? 1 : 0));
  const distance = squaredDistanceTo(changeMask, input.width, input.height);
  const r2 = input.bufferRadiusPx * input.bufferRadiusPx;
  return Uint8Array.from(distance, (d2, i) => (d2 > 0 && d2 <= r2 && !changeMask[i] ? 1 : 0));
}

/** One stratum per class (change classes first, then the buffer, then the stable classes outside it). */
export function strataOf(input: StrataInput): Strata {
  const changeCodes = new Set(input.changeCodes);
  const ordered = [
    ...input.classes.filter((entry) => changeCodes.has(entry.value)),
    ...input.classes.filter((entry) => !changeCodes.has(entry.value)),
  ];
  const buffer = bufferMask(input);
  const strata: Stratum[] = ordered.map((entry) => ({
    name: entry.name,
    codes: [entry.value],
    change: changeCodes.has(entry.value),
    pixels: 0,
    areaHa: 0,
  }));
  const bufferIndex = buffer ? strata.filter((stratum) => stratum.change).length : -1;
  if (buffer) strata.splice(bufferIndex, 0, { name: BUFFER_STRATUM, codes: [], change: false, pixels: 0, areaHa: 0 });
  const byCode = new Map<number, number>();
  strata.forEach((stratum, index) => stratum.codes.forEach((code) => byCode.set(code, index)));
  if (buffer) strata[bufferIndex]!.codes = ordered.filter((e) => !changeCodes.has(e.value)).map((e) => e.value);
  const stratumOf = new Uint8Array(input.codes.length).fill(NOT_SAMPLED);
  const notAssessed = { pixels: 0, areaHa: 0 };
  const classAreaHa = new Map<number, number>(input.classes.map((entry) => [entry.value, 0]));
  for (let i = 0; i < input.codes.length; i++) {
    const area = input.pixelHaByColumn[i % input.width]!;
    const own = byCode.get(input.codes[i]!);
    if (own === undefined) {
      if (input.codes[i] === input.notSeenCode) {
        notAssessed.pixels += 1;
        notAssessed.areaHa += area;
      }
      continue;
    }
    const index = buffer?.[i] ? bufferIndex : own;
    stratumOf[i] = index;
    classAreaHa.set(input.codes[i]!, classAreaHa.get(input.codes[i]!)! + area);
    strata[index]!.pixels += 1;
    strata[index]!.areaHa += area;
  }
  return { strata, stratumOf, notAssessed, classAreaHa };
}

/**
 * Good-practice allocation (Olofsson et al. 2014, section 5.1.2): every stratum gets at least `minimum` units (all
 * its pixels when it has fewer), the rest go in proportion to area; shares are rounded by largest remainder so they
 * add up to `n` exactly.
 */
export function allocate(strata: readonly StratumInput[], n: number, minimum: number): number[] {
  const floor = strata.map((stratum) => Math.min(minimum, stratum.pixels));
  const capacity = strata.reduce((sum, stratum) => sum + stratum.pixels, 0);
  const needed = floor.reduce((a, b) => a + b, 0);
  if (!Number.isInteger(n) || n < needed)
    throw new RangeError(`a sample of ${n} is too small: ${needed} are needed for ${minimum} per stratum`);
  if (n > capacity) throw new RangeError(`a sample of ${n} is larger than the ${capacity} pixels that can be sampled`);
  const fixed = new Map<number, number>();
  for (;;) {
    const free = strata.map((_, h) => h).filter((h) => !fixed.has(h));
    const remaining = n - [...fixed.values()].reduce((a, b) => a + b, 0);
    const freeArea = free.reduce((sum, h) => sum + strata[h]!.areaHa, 0);
    const share = (h: number) => (freeArea > 0 ? (remaining * strata[h]!.areaHa) / freeArea : 0);
    const bound = free.filter((h) => share(h) < floor[h]! || share(h) > strata[h]!.pixels);
    if (bound.length === 0) return roundShares(strata, fixed, free, share, n);
    for (const h of bound) fixed.set(h, share(h) < floor[h]! ? floor[h]! : strata[h]!.pixels);
  }
}

function roundShares(
  strata: readonly StratumInput[],
  fixed: ReadonlyMap<number, number>,
  free: readonly number[],
  share: (h: number) => number,
  n: number,
): number[] {
  const counts = strata.map((_, h) => fixed.get(h) ?? Math.floor(share(h)));
  let left = n - counts.reduce((a, b) => a + b, 0);
  const byRemainder = [...free].sort((a, b) => share(b) - Math.floor(share(b)) - (share(a) - Math.floor(share(a))));
  for (const h of byRemainder) {
    if (left <= 0) break;
    if (counts[h]! < strata[h]!.pixels) {
      counts[h]! += 1;
      left -= 1;
    }
  }
  return counts;
}

/**
 * The standard error the design should give for the proportion of area of change (Olofsson et al. 2014, eq. 5 with
 * conjectured values): V = Σ W_h² p_h (1 − p_h) / (n_h − 1), p_h the expected share of true change in stratum h —
 * the conjectured user's accuracy in a change stratum, the conjectured omission share elsewhere.
 */
export function expectedChangeSe(
  strata: readonly Stratum[],
  allocation: readonly number[],
  conjecture: { usersAccuracy: number; omission: number },
): number {
  const total = strata.reduce((sum, stratum) => sum + stratum.areaHa, 0);
  let variance = 0;
  strata.forEach((stratum, h) => {
    const n = allocation[h]!;
    if (n < 2) return;
    const p = stratum.change ? conjecture.usersAccuracy : conjecture.omission;
    variance += ((stratum.areaHa / total) ** 2 * p * (1 - p)) / (n - 1);
  });
  return Math.sqrt(variance);
}

/** xoshiro128** (Blackman & Vigna 2018) seeded by splitmix32: uniform numbers in [0, 1) a seed reproduces. */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0;
  const splitmix = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const s = [splitmix(), splitmix(), splitmix(), splitmix()];
  return () => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result / 0x1_0000_0000;
  };
}

const rotl = (value: number, bits: number) => ((value << bits) | (value >>> (32 - bits))) >>> 0;

/**
 * Draws `allocation[h]` pixels of each stratum, each set of that size equally likely (selection sampling, Knuth
 * TAOCP vol. 2, 3.4.2 Algorithm S: one pass, no index lists), then shuffles the units (Fisher–Yates) so their order
 * says nothing of their stratum: the interpreter labels them blind.
 */
export function drawSample(
  stratumOf: Uint8Array,
  strata: readonly StratumInput[],
  allocation: readonly number[],
  random: () => number,
): Array<{ pixel: number; stratum: number }> {
  const seen = new Array<number>(strata.length).fill(0);
  const taken = new Array<number>(strata.length).fill(0);
  const units: Array<{ pixel: number; stratum: number }> = [];
  for (let pixel = 0; pixel < stratumOf.length; pixel++) {
    const h = stratumOf[pixel]!;
    if (h === NOT_SAMPLED) continue;
    const left = strata[h]!.pixels - seen[h]!;
    if (left * random() < allocation[h]! - taken[h]!) {
      units.push({ pixel, stratum: h });
      taken[h]! += 1;
    }
    seen[h]! += 1;
  }
  for (let i = units.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [units[i], units[j]] = [units[j]!, units[i]!];
  }
  return units;
}
