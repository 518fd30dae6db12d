/**
 * Comma-separated values per RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180), one function per
 * direction, both on the csv-parse / csv-stringify packages. Writing quotes a field only when it
 * must (a comma, a double quote or a line break in it). Reading is lenient where common writers
 * differ from the RFC — LF, CRLF and a lone CR all end a record, blank lines are dropped — and
 * strict where a mistake would shift columns: a quote inside an unquoted field, text after a
 * closing quote and an unterminated quoted field are errors naming the line. Records may differ
 * in width; a caller that needs a rectangle checks it.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import * as E from 'fp-ts/lib/Either.js';
import { DecodeError } from './io.js';

export interface CsvFormatOptions {
  /** What ends each record (the last one too): CRLF as the RFC says (default), or LF. */
  readonly lineBreak?: '\r\n' | '\n';
}

/** CSV text of `records`; `parseCsv` reads back the same records (a record of one empty field excepted: it is a blank line). */
export const formatCsv = (records: readonly (readonly string[])[], options: CsvFormatOptions = {}): string =>
  records.length === 0 ? '' : stringify(records.map((record) => [...record]), { record_delimiter: options.lineBreak ?? '\r\n', quoted_match: /[\r\n]/ });

const problemOf = (error: unknown): string => {
  const { code, lines, message } = error as { code?: string; lines?: number; message?: string };
  const at = typeof lines === 'number' ? `line ${lines}: ` : '';
  switch (code) {
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_OPENING_QUOTE':
      return `${at}a double quote inside an unquoted field (the field must be quoted and the quote doubled)`;
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `${at}unexpected text after a closing quote (expected a comma or a line break)`;
    case 'CSV_QUOTE_NOT_CLOSED':
      return `${at}a quoted field is never closed (the text ends inside it)`;
    default:
      return `${at}${message ?? String(error)}`;
  }
};

/** Every record of `text` as its list of fields; an error names `source` and the line. */
export const parseCsv =
  (source: string) =>
  (text: string): E.Either<DecodeError, string[][]> => {
    try {
      return E.right(parse(text, { record_delimiter: ['\r\n', '\n', '\r'], skip_empty_lines: true, relax_column_count: true }) as string[][]);
    } catch (error) {
      return E.left(new DecodeError(source, [problemOf(error)]));
    }
  };
