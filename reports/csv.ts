/**
 * CSV as RFC 4180 writes it (comma, CRLF, fields quoted when they hold a comma, quote or line break), and a reader
 * that accepts what spreadsheets and GIS tools write back: LF or CRLF, a UTF-8 byte-order mark, quoted fields.
 */

const quoted = (field: string) => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field);

export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  return rows.map((row) => row.map((field) => quoted(String(field))).join(',')).join('\r\n') + '\r\n';
}

export interface CsvRow {
  /** 1-based line of the file where the row starts. */
  line: number;
  fields: string[];
}

/** The rows of a CSV text, each with the line it starts on; blank lines are skipped. */
export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quotedField = false;
  let line = 1;
  let start = 1;
  const endRow = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') rows.push({ line: start, fields });
    fields = [];
    field = '';
  };
  const body = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < body.length; i++) {
    const char = body[i]!;
    if (quotedField && char === '"' && body[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quotedField) {
      if (char === '"') quotedField = false;
      else field += char;
      if (char === '\n') line++;
    } else if (char === '"') quotedField = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && body[i + 1] === '\n') i++;
      endRow();
      start = ++line;
    } else field += char;
  }
  if (field !== '' || fields.length > 0) endRow();
  return rows;
}
