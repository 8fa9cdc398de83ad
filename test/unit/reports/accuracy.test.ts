import { describe, expect, it } from 'vitest';
import { accuracyFigures, accuracySection, accuracyTable, type AccuracyAsset } from '../../../reports/accuracy.js';
import { estimateAccuracy, type LabelledUnit } from '../../../workers/accuracy/estimate.js';

/** Olofsson et al. 2014, section 5, as `assess estimate` prints it. */
const CLASSES = ['deforestation', 'forest-gain', 'stable-forest', 'stable-non-forest'];
const MAPPED_HA = [200_000, 150_000, 3_200_000, 6_450_000].map((pixels) => pixels * 0.09);
const COUNTS = [
  [66, 0, 5, 4],
  [0, 55, 8, 12],
  [1, 0, 153, 11],
  [2, 1, 9, 313],
];
const units: LabelledUnit[] = COUNTS.flatMap((row, map) =>
  row.flatMap((count, reference) => Array.from({ length: count }, () => ({ stratum: map, map, reference }))),
);
const figures = accuracyFigures(
  estimateAccuracy({
    strata: CLASSES.map((name, h) => ({ name, pixels: MAPPED_HA[h]! / 0.09, areaHa: MAPPED_HA[h]! })),
    classes: CLASSES,
    units,
  }),
  MAPPED_HA,
);

describe('accuracyTable', () => {
  it("prints the paper's figures: areas ± 95 % CI and accuracies", () => {
    const table = accuracyTable(figures, ['note']);
    console.info(table);
    expect(table).toMatch(/deforestation +18,000 +21,158 ± 6,158 +0\.88 ± 0\.07 +0\.75 ± 0\.21/);
    expect(table).toMatch(/forest-gain +13,500 +11,686 ± 3,756 +0\.73 ± 0\.10 +0\.85 ± 0\.25/);
    expect(table).toMatch(/stable-forest +288,000 +285,770 ± 15,510 +0\.93 ± 0\.04 +0\.93 ± 0\.03/);
    expect(table).toMatch(/stable-non-forest +580,500 +581,386 ± 16,282 +0\.96 ± 0\.02 +0\.96 ± 0\.02/);
    expect(table).toMatch(/Overall accuracy 0\.95 ± 0\.02 \(95 % CI\); total area 900,000 ha\./);
    expect(table).toMatch(/deforestation +66 +0 +5 +4 +75/);
    expect(table.endsWith('note')).toBe(true);
  });
});

describe('accuracySection', () => {
  const asset = {
    product: 'forest-loss',
    inputs: 'abc',
    labels: { used: 315, cantTell: 2, by: 'A & B', on: '2026-11-30', sha256: 'x' },
    design: {
      strata: CLASSES.map((name, h) => ({ name, codes: [h], change: h === 0, pixels: 1, areaHa: 1, allocated: 1 })),
      notAssessed: { pixels: 10, areaHa: 0.1 },
    },
    ...figures,
  } as unknown as AccuracyAsset;

  it('states mapped and estimated figures of the change classes, escaped, and warns of earlier inputs', () => {
    const html = accuracySection([asset], 'def');
    expect(html).toContain(
      '<b>deforestation</b>: 18,000 ha mapped; 21,158 ± 6,158 ha estimated (95 % CI, 315 reference points, overall accuracy 0.95 ± 0.02).',
    );
    expect(html).toContain('labelled by A &amp; B on 2026-11-30');
    expect(html).toContain('refers to earlier inputs (abc)');
    expect(accuracySection([asset], 'abc')).not.toContain('earlier inputs');
    expect(accuracySection([], 'abc')).toBe('');
  });
});
