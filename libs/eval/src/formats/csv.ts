/**
 * Comma-separated values per RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180): fields separated by
 * commas, records by line breaks; a field wrapped in double quotes may hold commas, line breaks and
 * doubled quotes (`""` → `"`). Lenient where common writers differ from the RFC: LF, CRLF and a lone CR
 * all end a record, and blank lines (a record holding one empty field) are dropped. Strict where a
 * mistake would shift columns: a quote inside an unquoted field, text after a closing quote, an
 * unterminated quoted field and a record whose field count differs from the header are errors.
 */
import * as E from 'fp-ts/lib/Either.js';
import { DecodeError } from '@rlflow/core';

/** Every record of `text` as its list of fields. */
export const parseCsv =
  (source: string) =>
  (text: string): E.Either<DecodeError, string[][]> => {
    const records: string[][] = [];
    let record: string[] = [];
    let field = '';
    let line = 1;
    let i = 0;
    const fail = (detail: string): E.Either<DecodeError, string[][]> => E.left(new DecodeError(source, [`line ${line}: ${detail}`]));
    const endRecord = (): void => {
      record.push(field);
      if (!(record.length === 1 && record[0] === '')) records.push(record);
      record = [];
      field = '';
    };
    const n = text.length;
    let atFieldStart = true;
    while (i < n) {
      const c = text[i]!;
      if (atFieldStart && c === '"') {
        const startLine = line;
        i++;
        for (;;) {
          if (i >= n) return E.left(new DecodeError(source, [`line ${startLine}: quoted field is never closed`]));
          const q = text[i]!;
          if (q === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (q === '\n' || (q === '\r' && text[i + 1] !== '\n')) line++;
          field += q;
          i++;
        }
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          return fail(`unexpected ${JSON.stringify(next)} after a closing quote (expected a comma or a line break)`);
        }
        atFieldStart = false;
        continue;
      }
      if (c === ',') {
        record.push(field);
        field = '';
        atFieldStart = true;
        i++;
      } else if (c === '\n' || c === '\r') {
        endRecord();
        i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
        atFieldStart = true;
      } else if (c === '"') {
        return fail('a double quote inside an unquoted field (the field must be quoted and the quote doubled)');
      } else {
        field += c;
        atFieldStart = false;
        i++;
      }
    }
    if (!atFieldStart || record.length > 0 || field !== '') endRecord();
    return E.right(records);
  };

/** Quotes a field only when it must be: when it holds a comma, a double quote or a line break. */
const formatField = (field: string): string => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field);

/** RFC 4180 text (CRLF line breaks, a final line break) from records; `parseCsv` reads back the same records. */
export const formatCsv = (records: readonly (readonly string[])[]): string =>
  records.map((record) => `${record.map(formatField).join(',')}\r\n`).join('');

export interface CsvTable {
  readonly header: readonly string[];
  /** One object per record, keyed by header name; the first of two equal header names wins. */
  readonly rows: ReadonlyArray<Readonly<Record<string, string>>>;
}

/** Parses a CSV with a header record; every record must have as many fields as the header. */
export const parseCsvTable =
  (source: string) =>
  (text: string): E.Either<DecodeError, CsvTable> =>
    E.chain((records: string[][]): E.Either<DecodeError, CsvTable> => {
      const [header, ...body] = records;
      if (header === undefined) return E.left(new DecodeError(source, ['the file has no header record']));
      const problems: string[] = [];
      const rows = body.map((record, r) => {
        if (record.length !== header.length) {
          problems.push(`record ${r + 1}: has ${record.length} fields, expected ${header.length} (the header's)`);
        }
        const row: Record<string, string> = {};
        header.forEach((name, c) => {
          if (!Object.hasOwn(row, name)) row[name] = record[c] ?? '';
        });
        return row;
      });
      return problems.length > 0 ? E.left(new DecodeError(source, problems)) : E.right({ header, rows });
    })(parseCsv(source)(text));
