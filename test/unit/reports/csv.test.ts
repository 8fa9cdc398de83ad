import { describe, expect, it } from 'vitest';
import { parseCsv, toCsv } from '../../../reports/csv.js';

describe('csv', () => {
  it('round-trips fields with commas, quotes and line breaks (RFC 4180)', () => {
    const rows = [
      ['id', 'notes'],
      ['P1', 'a, "quoted"\nsecond line'],
      ['P2', ''],
    ];
    expect(parseCsv(toCsv(rows)).map((row) => row.fields)).toEqual(rows);
  });

  it('reads LF, CRLF and a byte-order mark, skips blank lines and gives each row its line', () => {
    const parsed = parseCsv('\uFEFFid,reference\r\nP1,loss\n\nP2,"non-\nforest"\nP3,x\n');
    expect(parsed.map((row) => [row.line, row.fields])).toEqual([
      [1, ['id', 'reference']],
      [2, ['P1', 'loss']],
      [4, ['P2', 'non-\nforest']],
      [6, ['P3', 'x']],
    ]);
  });
});
