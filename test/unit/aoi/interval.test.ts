import { describe, expect, it } from 'vitest';
import { parseInterval } from '../../../aoi/interval.js';

describe('parseInterval', () => {
  it.each([
    ['2021-06-01/2021-07-15', '2021-06-01T00:00:00.000Z', '2021-07-16T00:00:00.000Z'],
    ['2021-06-01T06:00:00Z/2021-06-02T06:00:00Z', '2021-06-01T06:00:00.000Z', '2021-06-02T06:00:00.000Z'],
    ['2021-06-01T08:00:00+02:00/2021-06-01T12:00:00+02:00', '2021-06-01T06:00:00.000Z', '2021-06-01T10:00:00.000Z'],
    ['2021-06-01/P3M', '2021-06-01T00:00:00.000Z', '2021-09-01T00:00:00.000Z'],
    ['2021-01-31/P1M', '2021-01-31T00:00:00.000Z', '2021-02-28T00:00:00.000Z'],
    ['P2W/2021-07-14', '2021-07-01T00:00:00.000Z', '2021-07-15T00:00:00.000Z'],
    ['2020-12-01/2021-02-28', '2020-12-01T00:00:00.000Z', '2021-03-01T00:00:00.000Z'],
    ['2021-06-01/2021-06-01', '2021-06-01T00:00:00.000Z', '2021-06-02T00:00:00.000Z'],
  ])('%s covers [%s, %s)', (text, start, end) => {
    expect(parseInterval(text)).toEqual({ text, start, end });
  });

  it.each([
    ['2021-07-15/2021-06-01', 'ends before it starts'],
    ['2021-06-01', 'not an ISO 8601 interval'],
    ['2021-06-01/', 'not an ISO 8601 interval'],
    ['2021-02-30/2021-03-10', 'not a calendar date'],
    ['01/06/2021-15/07/2021', 'not an ISO 8601 interval'],
    ['June/July', 'neither a date'],
    ['2021-06-01/P', 'not an ISO 8601 duration'],
    ['P1M/P2M', 'two durations'],
    ['2021-06-01T25:00:00Z/2021-06-02', 'not a valid time of day'],
    ['2021-06-01T10:00:00Z/2021-06-01T10:00:00Z', 'ends before it starts'],
  ])('%s is refused (%s)', (text, fragment) => {
    const result = parseInterval(text);
    expect(typeof result).toBe('string');
    expect(result).toContain(fragment);
  });

  it('refuses non-strings', () => {
    expect(parseInterval(20210601)).toContain('must be a string');
  });
});
