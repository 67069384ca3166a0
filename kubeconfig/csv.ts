// A CSV reader and field quoter with the semantics of Go's encoding/csv (default settings), used for
// upstream's --token-auth-file format so that files upstream accepts parse the same way here.

/** A malformed record, worded as Go's csv.ParseError. Line and column are 1-based. */
export class CsvParseError extends Error {
  readonly line: number;
  readonly column: number;
  readonly startLine: number;
  constructor(startLine: number, line: number, column: number, reason: string) {
    super(
      startLine === line
        ? `parse error on line ${line}, column ${column}: ${reason}`
        : `record on line ${startLine}; parse error on line ${line}, column ${column}: ${reason}`,
    );
    this.name = 'CsvParseError';
    this.startLine = startLine;
    this.line = line;
    this.column = column;
  }
}

const ERR_BARE_QUOTE = 'bare " in non-quoted-field';
const ERR_QUOTE = 'extraneous or missing " in quoted-field';

/** One parsed record and the line it started on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Parses CSV text like Go's csv.Reader with FieldsPerRecord = -1: records end at `\n` (a `\r\n` pair
 * counts as `\n`); lines that are entirely empty are skipped; a field starting with `"` is quoted, may
 * span lines and uses `""` for a quote; a `"` anywhere else in a field is an error; no whitespace is
 * trimmed and there are no comments. Throws {@link CsvParseError} on the first malformed record.
 */
export function parseCsv(text: string): CsvRecord[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (text.endsWith('\n')) lines.pop();
  const records: CsvRecord[] = [];
  let i = 0;
  while (i < lines.length) {
    const startLine = i + 1;
    let line = lines[i++] ?? '';
    if (line === '') continue;
    let lineNo = startLine;
    let pos = 0;
    const fields: string[] = [];
    for (;;) {
      if (line[pos] !== '"') {
        const end = line.indexOf(',', pos);
        const field = end === -1 ? line.slice(pos) : line.slice(pos, end);
        const quote = field.indexOf('"');
        if (quote !== -1) throw new CsvParseError(startLine, lineNo, byteColumn(line, pos + quote), ERR_BARE_QUOTE);
        fields.push(field);
        if (end === -1) break;
        pos = end + 1;
        continue;
      }
      // Quoted field: scan to the closing quote, pulling in following lines while it stays open.
      let value = '';
      pos++;
      for (;;) {
        const q = line.indexOf('"', pos);
        if (q === -1) {
          value += line.slice(pos) + '\n';
          if (i >= lines.length) {
            // Go reports an unterminated quote at the end of input (column just past the last byte).
            throw new CsvParseError(startLine, lineNo, byteColumn(line, line.length) + 1, ERR_QUOTE);
          }
          line = lines[i++] ?? '';
          lineNo = i;
          pos = 0;
          continue;
        }
        value += line.slice(pos, q);
        const after = line[q + 1];
        if (after === '"') {
          value += '"';
          pos = q + 2;
        } else if (after === ',' || after === undefined) {
          pos = q + 1;
          break;
        } else {
          throw new CsvParseError(startLine, lineNo, byteColumn(line, q + 1), ERR_QUOTE);
        }
      }
      fields.push(value);
      if (line[pos] === undefined) break;
      pos++; // the comma
    }
    records.push({ line: startLine, fields });
  }
  return records;
}

/** Go reports columns as 1-based byte offsets; count UTF-8 bytes before `index` the same way. */
function byteColumn(line: string, index: number): number {
  return Buffer.byteLength(line.slice(0, index), 'utf8') + 1;
}

/**
 * Quotes a field when Go's csv.Writer would (it contains `,`, `"`, `\r` or `\n`, starts with a space
 * or tab, or is exactly `\.`), doubling inner quotes; otherwise returns it unchanged.
 */
export function csvField(value: string): string {
  const needs = value !== '' && (/[,"\r\n]/.test(value) || value === '\\.' || /^[ \t]/.test(value));
  return needs ? `"${value.replace(/"/g, '""')}"` : value;
}
