import { describe, expect, it } from 'vitest';
import { estimateAccuracy, type LabelledUnit } from '../../../../workers/accuracy/estimate.js';

/** Olofsson et al. 2014 (RSE 148:42–57), section 5: 30 m pixels, rows map, columns reference. */
const CLASSES = ['deforestation', 'forest gain', 'stable forest', 'stable non-forest'];
const MAPPED_PIXELS = [200_000, 150_000, 3_200_000, 6_450_000];
const COUNTS = [
  [66, 0, 5, 4],
  [0, 55, 8, 12],
  [1, 0, 153, 11],
  [2, 1, 9, 313],
];
const PIXEL_HA = 0.09;

function unitsOf(counts: number[][], stratumOf: (map: number, index: number) => number = (map) => map): LabelledUnit[] {
  const units: LabelledUnit[] = [];
  counts.forEach((row, map) =>
    row.forEach((count, reference) => {
      for (let i = 0; i < count; i++) units.push({ stratum: stratumOf(map, i), map, reference });
    }),
  );
  return units;
}

const paper = () =>
  estimateAccuracy({
    strata: CLASSES.map((name, h) => ({ name, pixels: MAPPED_PIXELS[h]!, areaHa: MAPPED_PIXELS[h]! * PIXEL_HA })),
    classes: CLASSES,
    units: unitsOf(COUNTS),
  });

describe('estimateAccuracy: the worked example of Olofsson et al. (2014)', () => {
  it('gives the published error-adjusted areas and their 95 % confidence intervals, to the hectare', () => {
    const estimate = paper();
    expect(estimate.estimator).toBe('stratified');
    expect(estimate.areaHa.map((area) => Math.round(area.value))).toEqual([21_158, 11_686, 285_770, 581_386]);
    expect(estimate.areaHa.map((area) => Math.round(area.ci95))).toEqual([6_158, 3_756, 15_510, 16_282]);
  });

  it("gives the published user's, producer's and overall accuracy", () => {
    const estimate = paper();
    expect(estimate.usersAccuracy.map((a) => a.value.toFixed(2))).toEqual(['0.88', '0.73', '0.93', '0.96']);
    expect(estimate.producersAccuracy.map((a) => a.value.toFixed(2))).toEqual(['0.75', '0.85', '0.93', '0.96']);
    expect(estimate.overallAccuracy.value.toFixed(2)).toBe('0.95');
    // The paper's Table 5 proportions, e.g. p(deforestation, deforestation) = 0.0176, p(stable nf, nf) = 0.6212.
    expect(estimate.proportions[0]![0]!.toFixed(4)).toBe('0.0176');
    expect(estimate.proportions[3]![3]!.toFixed(4)).toBe('0.6212');
    expect(estimate.proportions.flat().reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it("gives producer's accuracy the variance of the paper's eq. 7 (Card 1982), here ± 0.21 for deforestation", () => {
    const estimate = paper();
    expect(estimate.producersAccuracy.map((a) => a.ci95.toFixed(2))).toEqual(['0.21', '0.25', '0.03', '0.02']);
    expect(estimate.usersAccuracy.map((a) => a.ci95.toFixed(2))).toEqual(['0.07', '0.10', '0.04', '0.02']);
    expect(estimate.overallAccuracy.ci95.toFixed(2)).toBe('0.02');
  });

  it('reports the mapped areas beside the estimates when the strata are the map classes', () => {
    expect(paper().mappedAreaHa).toEqual(MAPPED_PIXELS.map((pixels) => pixels * PIXEL_HA));
  });
});

describe('estimateAccuracy with strata that are not the map classes (Stehman 2014)', () => {
  it('splitting a stratum into two with the same class mix and proportional weights leaves the estimates unchanged', () => {
    // Stable non-forest split in two halves of equal area, each drawn with half the units: the same population.
    const strata = [
      ...CLASSES.slice(0, 3).map((name, h) => ({
        name,
        pixels: MAPPED_PIXELS[h]!,
        areaHa: MAPPED_PIXELS[h]! * PIXEL_HA,
      })),
      { name: 'nf-a', pixels: 3_225_000, areaHa: 3_225_000 * PIXEL_HA },
      { name: 'nf-b', pixels: 3_225_000, areaHa: 3_225_000 * PIXEL_HA },
    ];
    const doubled = COUNTS.map((row) => row.map((count) => count * 2));
    const units = unitsOf(doubled, (map, i) => (map === 3 ? 3 + (i % 2) : map));
    const split = estimateAccuracy({ strata, classes: CLASSES, units });
    expect(split.estimator).toBe('stehman-2014');
    const single = estimateAccuracy({
      strata: CLASSES.map((name, h) => ({ name, pixels: MAPPED_PIXELS[h]!, areaHa: MAPPED_PIXELS[h]! * PIXEL_HA })),
      classes: CLASSES,
      units: unitsOf(doubled),
    });
    split.areaHa.forEach((area, k) => expect(area.value).toBeCloseTo(single.areaHa[k]!.value, 6));
    split.usersAccuracy.forEach((a, k) => expect(a.value).toBeCloseTo(single.usersAccuracy[k]!.value, 12));
    expect(split.mappedAreaHa).toBeUndefined();
  });

  it('matches a hand computation of Stehman (2014) section 3 on a buffer stratum', () => {
    // Strata: change (map change), buffer (map stable, near change), rest (map stable).
    const strata = [
      { name: 'change', pixels: 1_000, areaHa: 10 },
      { name: 'buffer', pixels: 2_000, areaHa: 20 },
      { name: 'rest', pixels: 7_000, areaHa: 70 },
    ];
    const units: LabelledUnit[] = [
      ...Array.from({ length: 8 }, () => ({ stratum: 0, map: 0, reference: 0 })),
      ...Array.from({ length: 2 }, () => ({ stratum: 0, map: 0, reference: 1 })),
      ...Array.from({ length: 3 }, () => ({ stratum: 1, map: 1, reference: 0 })),
      ...Array.from({ length: 7 }, () => ({ stratum: 1, map: 1, reference: 1 })),
      ...Array.from({ length: 1 }, () => ({ stratum: 2, map: 1, reference: 0 })),
      ...Array.from({ length: 19 }, () => ({ stratum: 2, map: 1, reference: 1 })),
    ];
    const estimate = estimateAccuracy({ strata, classes: ['change', 'stable'], units });
    // Change area proportion: 0.1·0.8 + 0.2·0.3 + 0.7·0.05 = 0.175.
    expect(estimate.proportion[0]!.value).toBeCloseTo(0.175, 12);
    // Its variance: Σ W² p(1−p)/(n−1) = 0.01·0.16/9 + 0.04·0.21/9 + 0.49·0.0475/19.
    expect(estimate.proportion[0]!.se ** 2).toBeCloseTo(0.0016 / 9 + 0.0084 / 9 + (0.49 * 0.0475) / 19, 12);
    // User's accuracy of change: only stratum 0 maps change: 0.8. Producer's: 0.08 / 0.175.
    expect(estimate.usersAccuracy[0]!.value).toBeCloseTo(0.8, 12);
    expect(estimate.producersAccuracy[0]!.value).toBeCloseTo(0.08 / 0.175, 12);
    expect(estimate.areaHa[0]!.value).toBeCloseTo(17.5, 9);
  });

  it('refuses a stratum with pixels but no labelled unit', () => {
    expect(() =>
      estimateAccuracy({
        strata: [
          { name: 'a', pixels: 10, areaHa: 1 },
          { name: 'b', pixels: 10, areaHa: 1 },
        ],
        classes: ['a', 'b'],
        units: [{ stratum: 0, map: 0, reference: 0 }],
      }),
    ).toThrow(/no labelled unit in stratum b/);
  });
});
