import { describe, expect, it } from 'vitest';
import { addLastClear, emptyLastClear, lastClearFigures } from '../../../workers/zonal.js';

/** Days since 1970-01-01 of a date. */
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

describe('last clear view of a zone', () => {
  // The window ends (exclusive) on 2021-10-01: the last 30 days are 2021-09-01 … 2021-09-30.
  const end = day('2021-10-01');

  it('median of the last clear days, never seen counting as oldest; shares seen lately', () => {
    const lastDay = [day('2021-09-28'), day('2021-09-10'), -1, day('2021-07-01'), day('2021-09-01'), 7];
    const zone = [1, 1, 1, 1, 1, 0];
    const tally = addLastClear(emptyLastClear(), lastDay, zone);
    expect(tally.pixels).toBe(5);
    const figures = lastClearFigures(tally, end);
    // Sorted latest first: 09-28, 09-10, 09-01, 07-01, never: the middle (3rd of 5) is 2021-09-01.
    expect(figures.mostSeenDay).toBe(day('2021-09-01'));
    // 2021-09-01 is exactly 30 days before the end: inside the 30-day span; 2021-07-01 is 92 days before.
    expect(figures.seenWithin).toEqual({ 30: 3 / 5, 60: 3 / 5, 90: 3 / 5 });
  });

  it('an even count takes the later of the two middle days', () => {
    const tally = addLastClear(
      emptyLastClear(),
      [day('2021-09-20'), day('2021-08-20'), day('2021-08-10'), -1],
      [1, 1, 1, 1],
    );
    expect(lastClearFigures(tally, end).mostSeenDay).toBe(day('2021-08-20'));
    expect(lastClearFigures(tally, end).seenWithin).toEqual({ 30: 1 / 4, 60: 3 / 4, 90: 3 / 4 });
  });

  it('null when fewer than half were seen, and for a zone without pixels', () => {
    const tally = addLastClear(emptyLastClear(), [day('2021-09-20'), -1, -1], [1, 1, 1]);
    expect(lastClearFigures(tally, end).mostSeenDay).toBeNull();
    expect(lastClearFigures(emptyLastClear(), end)).toEqual({ mostSeenDay: null, seenWithin: { 30: 0, 60: 0, 90: 0 } });
  });

  it('adds blocks up and refuses a zone of another size', () => {
    const tally = emptyLastClear();
    addLastClear(tally, [5, 5], [1, 1]);
    addLastClear(tally, [5, 9], [1, 0]);
    expect(tally).toEqual({ pixels: 3, byDay: new Map([[5, 3]]) });
    expect(() => addLastClear(tally, [1, 2], [1])).toThrow(RangeError);
  });

  it('counts pixels by day as a per-pixel tally does, days in the order of their first pixels', () => {
    // Runs of a day, broken by pixels outside the zone, never seen (-1) and other days, in a fixed pseudo-random mix.
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const days = [-1, day('2021-09-28'), day('2021-09-10'), day('2021-07-01')];
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 300);
      const lastDay = new Int32Array(n);
      const zone = new Uint8Array(n);
      let current = days[0]!;
      for (let i = 0; i < n; i++) {
        if (random() < 0.2) current = days[Math.floor(random() * days.length)]!;
        lastDay[i] = current;
        zone[i] = random() < 0.85 ? 1 : 0;
      }
      const expected = emptyLastClear();
      for (let i = 0; i < n; i++) {
        if (!zone[i]) continue;
        expected.pixels++;
        if (lastDay[i]! >= 0) expected.byDay.set(lastDay[i]!, (expected.byDay.get(lastDay[i]!) ?? 0) + 1);
      }
      const tally = addLastClear(emptyLastClear(), lastDay, zone);
      expect(tally.pixels).toBe(expected.pixels);
      expect([...tally.byDay]).toEqual([...expected.byDay]);
    }
  });
});
