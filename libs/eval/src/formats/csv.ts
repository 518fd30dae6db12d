/**
 * A CSV table with a header record, read with `@rlflow/core`'s `parseCsv` (RFC 4180, lenient line
 * breaks, strict quoting); a record whose field count differs from the header's is an error.
 */
import * as E from 'fp-ts/lib/Either.js';
import { DecodeError, parseCsv } from '@rlflow/core';

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
