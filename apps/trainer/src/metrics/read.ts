/**
 * Reading `metrics.jsonl` and `metrics.csv` back. A row is a line that ends in a newline; text
 * after the last newline is a row torn by a crash mid-write. A final line that does not decode
 * is torn as well (a crash can leave unflushed bytes behind it); a bad line before it is
 * corruption and an error.
 */
import { readFile } from 'node:fs/promises';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { MetricRow, MetricValue } from './columns.js';
import { parseCsvLine } from './encode.js';

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

const metricValue = t.union([t.number, t.string, t.boolean, t.null]);
const rowCodec = t.intersection([t.type({ step: t.Int }), t.record(t.string, metricValue)]);

export interface ParsedLines<A> {
  readonly items: readonly A[];
  /** Characters of the file taken by the complete, decoded lines (the prefix to keep). */
  readonly keptLength: number;
  readonly torn: boolean;
}

/** Complete lines of `text`, each decoded by `decode` (undefined for a bad line). */
export const parseLines = <A>(path: string, text: string, decode: (line: string) => A | undefined): E.Either<MetricsFileError, ParsedLines<A>> => {
  const items: A[] = [];
  let offset = 0;
  const lines = text.split('\n');
  const complete = lines.slice(0, -1);
  for (let i = 0; i < complete.length; i++) {
    const line = complete[i]!;
    const item = decode(line);
    if (item === undefined) {
      if (i === complete.length - 1 && lines[lines.length - 1] === '') return E.right({ items, keptLength: offset, torn: true });
      return E.left(new MetricsFileError(path, `line ${i + 1} is not a valid row: ${line.length > 80 ? `${line.slice(0, 77)}...` : line}`));
    }
    items.push(item);
    offset += line.length + 1;
  }
  return E.right({ items, keptLength: offset, torn: offset < text.length });
};

export const decodeJsonRow = (line: string): MetricRow | undefined => {
  try {
    const decoded = rowCodec.decode(JSON.parse(line));
    return E.isRight(decoded) ? (decoded.right as MetricRow) : undefined;
  } catch {
    return undefined;
  }
};

const readText = async (path: string): Promise<string | null> => {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
};

/** The complete rows of a `metrics.jsonl` (none when the file does not exist). */
export const readMetricsJsonl = async (path: string): Promise<E.Either<MetricsFileError, ParsedLines<MetricRow>>> => {
  const text = await readText(path);
  return text === null ? E.right({ items: [], keptLength: 0, torn: false }) : parseLines(path, text, decodeJsonRow);
};

export interface CsvContent {
  /** The header's column names; empty when the file has no complete header line. */
  readonly columns: readonly string[];
  /** Complete data rows as raw cells. */
  readonly rows: readonly (readonly string[])[];
  readonly torn: boolean;
}

/** Header and complete rows of a `metrics.csv`; a row whose cell count differs from the header's is torn or corrupt. */
export const readMetricsCsv = async (path: string): Promise<E.Either<MetricsFileError, CsvContent>> => {
  const text = await readText(path);
  if (text === null) return E.right({ columns: [], rows: [], torn: false });
  const headerEnd = text.indexOf('\n');
  if (headerEnd < 0) return E.right({ columns: [], rows: [], torn: text.length > 0 });
  const columns = parseCsvLine(text.slice(0, headerEnd));
  const body = text.slice(headerEnd + 1);
  return E.map((parsed: ParsedLines<readonly string[]>) => ({ columns, rows: parsed.items, torn: parsed.torn }))(
    parseLines(path, body, (line) => {
      const cells = parseCsvLine(line);
      return cells.length === columns.length && /^\d+$/.test(cells[0] ?? '') ? cells : undefined;
    }),
  );
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
