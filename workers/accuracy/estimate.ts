/**
 * Error-adjusted area and accuracy from a stratified random sample of reference labels.
 *
 * One estimator serves both designs the good-practice protocol names: Stehman (2014, "Estimating area and map
 * accuracy for stratified random sampling when the strata are different from the map classes", IJRS 35:4923–4939).
 * Every figure is a stratified mean of a per-unit indicator (a proportion of area) or a ratio of two (user's and
 * producer's accuracy), with the stratum weights W_h = A_h / A from the true areas of the strata. When the strata
 * are the map classes it reduces exactly to the estimators of Olofsson et al. (2013, 2014) — their worked example
 * is the unit test. Variances are those of the papers: without the finite population correction, negligible when a
 * few hundred pixels are drawn from millions and slightly conservative otherwise.
 */

/** z of the two-sided 95 % normal interval, as the papers use it. */
export const Z95 = 1.96;

export interface StratumInput {
  name: string;
  /** Pixels in the stratum (the population the sample was drawn from). */
  pixels: number;
  /** Its true area, hectares. */
  areaHa: number;
}

/** One labelled sample unit: indices into the strata and into the classes. */
export interface LabelledUnit {
  stratum: number;
  map: number;
  reference: number;
}

/** A figure with its standard error and the half-width of its 95 % confidence interval. */
export interface Estimated {
  value: number;
  se: number;
  ci95: number;
}

export interface AccuracyEstimate {
  estimator: 'stratified' | 'stehman-2014';
  classes: string[];
  totalAreaHa: number;
  /** Sample counts, rows map class, columns reference class. */
  counts: number[][];
  /** Estimated proportions of area, rows map class, columns reference class (they sum to 1). */
  proportions: number[][];
  /** Per class (NaN when undefined: no unit mapped as, or estimated to be, the class). */
  usersAccuracy: Estimated[];
  producersAccuracy: Estimated[];
  overallAccuracy: Estimated;
  /** Per class: the estimated proportion of area and the area in hectares. */
  proportion: Estimated[];
  areaHa: Estimated[];
  /** Per class: what the map says (hectares), when the strata are the map classes; else undefined. */
  mappedAreaHa: number[] | undefined;
}

/** Per-stratum sums over its units of y, x, y², x² and xy for one estimated quantity. */
interface Moments {
  n: number;
  y: number;
  x: number;
  yy: number;
  xx: number;
  xy: number;
}

type Indicator = (unit: LabelledUnit) => number;

function momentsByStratum(strata: number, units: readonly LabelledUnit[], y: Indicator, x: Indicator): Moments[] {
  const moments = Array.from({ length: strata }, () => ({ n: 0, y: 0, x: 0, yy: 0, xx: 0, xy: 0 }));
  for (const unit of units) {
    const m = moments[unit.stratum]!;
    const yu = y(unit);
    const xu = x(unit);
    m.n += 1;
    m.y += yu;
    m.x += xu;
    m.yy += yu * yu;
    m.xx += xu * xu;
    m.xy += xu * yu;
  }
  return moments;
}

const interval = (value: number, variance: number): Estimated => {
  const se = Math.sqrt(variance);
  return { value, se, ci95: Z95 * se };
};

/**
 * The ratio R = Σ W_h ȳ_h / Σ W_h x̄_h and its variance (Stehman 2014, eqs. 27–28):
 * V(R) = 1/X² Σ W_h² (s²_yh + R² s²_xh − 2R s_xyh) / n_h. With x ≡ 1 it is the stratified mean of y.
 */
function stratifiedRatio(weights: readonly number[], moments: readonly Moments[]): Estimated {
  let yHat = 0;
  let xHat = 0;
  moments.forEach((m, h) => {
    if (m.n === 0) return;
    yHat += (weights[h]! * m.y) / m.n;
    xHat += (weights[h]! * m.x) / m.n;
  });
  if (xHat === 0) return { value: Number.NaN, se: Number.NaN, ci95: Number.NaN };
  const ratio = yHat / xHat;
  let variance = 0;
  moments.forEach((m, h) => {
    // One unit in a stratum that counts gives no variance estimate: the interval is unknown, not narrow.
    if (m.n === 1 && weights[h]! > 0) variance = Number.NaN;
    if (m.n < 2) return;
    const syy = (m.yy - (m.y * m.y) / m.n) / (m.n - 1);
    const sxx = (m.xx - (m.x * m.x) / m.n) / (m.n - 1);
    const sxy = (m.xy - (m.x * m.y) / m.n) / (m.n - 1);
    variance += (weights[h]! ** 2 * (syy + ratio * ratio * sxx - 2 * ratio * sxy)) / m.n;
  });
  return interval(ratio, variance / (xHat * xHat));
}

/** True when each stratum is one map class, every class a stratum: the design of Olofsson et al. (2014). */
function strataAreMapClasses(
  strata: readonly StratumInput[],
  classes: readonly string[],
  units: readonly LabelledUnit[],
) {
  const names = new Set(strata.map((stratum) => stratum.name));
  return (
    strata.length === classes.length &&
    classes.every((name) => names.has(name)) &&
    units.every((unit) => strata[unit.stratum]!.name === classes[unit.map])
  );
}

function checkInput(strata: readonly StratumInput[], classes: readonly string[], units: readonly LabelledUnit[]): void {
  for (const unit of units) {
    if (!(unit.stratum >= 0 && unit.stratum < strata.length)) throw new RangeError(`unit in stratum ${unit.stratum}`);
    if (!(unit.map >= 0 && unit.map < classes.length)) throw new RangeError(`unit mapped as class ${unit.map}`);
    if (!(unit.reference >= 0 && unit.reference < classes.length))
      throw new RangeError(`unit labelled as class ${unit.reference}`);
  }
  const empty = strata.filter((stratum, h) => stratum.pixels > 0 && !units.some((unit) => unit.stratum === h));
  if (empty.length > 0)
    throw new RangeError(`no labelled unit in stratum ${empty.map((stratum) => stratum.name).join(', ')}`);
}

/** The error matrix in sample counts and in estimated proportions of area (Olofsson 2014, Tables 4 and 5). */
function matrices(weights: readonly number[], classes: readonly string[], units: readonly LabelledUnit[]) {
  const k = classes.length;
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const unit of units) counts[unit.map]![unit.reference]! += 1;
  const perStratum = new Array<number>(weights.length).fill(0);
  for (const unit of units) perStratum[unit.stratum]! += 1;
  const proportions = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const unit of units)
    proportions[unit.map]![unit.reference]! += weights[unit.stratum]! / perStratum[unit.stratum]!;
  return { counts, proportions };
}

export function estimateAccuracy(input: {
  strata: readonly StratumInput[];
  classes: readonly string[];
  units: readonly LabelledUnit[];
}): AccuracyEstimate {
  const { strata, classes, units } = input;
  checkInput(strata, classes, units);
  const totalAreaHa = strata.reduce((sum, stratum) => sum + stratum.areaHa, 0);
  const weights = strata.map((stratum) => stratum.areaHa / totalAreaHa);
  const ratio = (y: Indicator, x: Indicator) => stratifiedRatio(weights, momentsByStratum(strata.length, units, y, x));
  const one = () => 1;
  const byClass = classes.map((_, k) => ({
    users: ratio(
      (u) => (u.map === k && u.reference === k ? 1 : 0),
      (u) => (u.map === k ? 1 : 0),
    ),
    producers: ratio(
      (u) => (u.map === k && u.reference === k ? 1 : 0),
      (u) => (u.reference === k ? 1 : 0),
    ),
    proportion: ratio((u) => (u.reference === k ? 1 : 0), one),
  }));
  const stratified = strataAreMapClasses(strata, classes, units);
  return {
    estimator: stratified ? 'stratified' : 'stehman-2014',
    classes: [...classes],
    totalAreaHa,
    ...matrices(weights, classes, units),
    usersAccuracy: byClass.map((entry) => entry.users),
    producersAccuracy: byClass.map((entry) => entry.producers),
    overallAccuracy: ratio((u) => (u.map === u.reference ? 1 : 0), one),
    proportion: byClass.map((entry) => entry.proportion),
    areaHa: byClass.map(({ proportion }) => ({
      value: proportion.value * totalAreaHa,
      se: proportion.se * totalAreaHa,
      ci95: proportion.ci95 * totalAreaHa,
    })),
    mappedAreaHa: stratified
      ? classes.map((name) => strata.find((stratum) => stratum.name === name)!.areaHa)
      : undefined,
  };
}
