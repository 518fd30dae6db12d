/**
 * Reading `metrics.jsonl` and `metrics.csv` back, both as `@rlflow/core` line files: a row is a
 * line that ends in a newline; text after the last newline is a row torn by a crash mid-write,
 * and so is a final line that does not decode (a crash can leave unflushed bytes behind it); a
 * bad line before it is corruption and an error naming the line.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { jsonLineDecoder, parseCsv, readLineFile, type LineFileContents, type LineFileError } from '@rlflow/core';
import type { MetricRow, MetricValue } from './columns.js';

export class MetricsFileError extends Error {
  readonly _tag = 'MetricsFileError' as const;
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'MetricsFileError';
  }
}

const metricsFileError = (error: LineFileError): MetricsFileError =>
  new MetricsFileError(error.path, error.line === null ? error.detail : `line ${error.line} is not a valid row: ${error.detail}`);

const metricValue = t.union([t.number, t.string, t.boolean, t.null]);
const rowCodec = t.intersection([t.type({ step: t.Int }), t.record(t.string, metricValue)]);

export interface MetricsJsonl {
  /** The complete rows, in file order. */
  readonly items: readonly MetricRow[];
  /** Whether the file ended with a torn line. */
  readonly torn: boolean;
  /** The file as read (where each row's line ends), for cutting it back. */
  readonly file: LineFileContents<MetricRow>;
}

/** The complete rows of a `metrics.jsonl` (none when the file does not exist). */
export const readMetricsJsonl = async (path: string): Promise<E.Either<MetricsFileError, MetricsJsonl>> =>
  E.bimap(metricsFileError, (file: LineFileContents<MetricRow>) => ({ items: file.records, torn: file.tornBytes > 0, file }))(
    await readLineFile(path, jsonLineDecoder(rowCodec as t.Decoder<unknown, MetricRow>)),
  );

export interface CsvContent {
  /** The header's column names; empty when the file has no complete header line. */
  readonly columns: readonly string[];
  /** Complete data rows as raw cells. */
  readonly rows: readonly (readonly string[])[];
  readonly torn: boolean;
}

/** The cells of one CSV line (a metrics cell never holds a line break, so a record is a line). */
export const csvLineCells = (line: string): E.Either<string, string[]> =>
  E.chain((records: string[][]): E.Either<string, string[]> => (records.length === 1 ? E.right(records[0]!) : E.left(`holds ${records.length} CSV records, expected 1`)))(
    E.mapLeft((error: Error) => error.message)(parseCsv('')(line)),
  );

/** Header and complete rows of a `metrics.csv`; a row whose cell count differs from the header's, or whose step is not an integer, is torn (last) or corrupt. */
export const readMetricsCsv = async (path: string): Promise<E.Either<MetricsFileError, CsvContent>> => {
  let columns: string[] | null = null;
  const read = await readLineFile(path, (line) =>
    E.chain((cells: string[]): E.Either<string, string[]> => {
      if (columns === null) {
        columns = cells;
        return E.right(cells);
      }
      if (cells.length !== columns.length) return E.left(`has ${cells.length} cells, expected ${columns.length} (the header's)`);
      return /^\d+$/.test(cells[0] ?? '') ? E.right(cells) : E.left(`step ${JSON.stringify(cells[0])} is not an integer`);
    })(csvLineCells(line)),
  );
  if (E.isLeft(read)) return E.left(metricsFileError(read.left));
  const [header = [], ...rows] = read.right.records;
  return E.right({ columns: header, rows, torn: read.right.tornBytes > 0 });
};

/** A CSV cell back as a value: empty is absent, `true`/`false` booleans, numbers (and NaN/±Infinity) numbers. */
export const decodeCsvCell = (cell: string): MetricValue | undefined => {
  if (cell === '') return undefined;
  if (cell === 'true') return true;
  if (cell === 'false') return false;
  if (cell === 'NaN') return Number.NaN;
  if (cell === 'Infinity') return Number.POSITIVE_INFINITY;
  if (cell === '-Infinity') return Number.NEGATIVE_INFINITY;
  const n = Number(cell);
  return Number.isFinite(n) && cell.trim() === cell ? n : cell;
};
