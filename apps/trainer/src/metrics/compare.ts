/**
 * Compares the metrics of two runs row by row, ignoring what legitimately differs between two
 * runs of the same configuration (`time/*`, `memory/rss_mb` by default). Used to check that a
 * resumed run writes exactly the rows of an uninterrupted one. Values must be identical
 * (`Object.is`), not merely close, unless a relative tolerance is given: then two numbers agree
 * when |a − b| ≤ tolerance·max(1, |a|, |b|) (a run whose float32 sums are taken in another order).
 */
import * as E from 'fp-ts/lib/Either.js';
import { runPaths } from '../run/layout.js';
import { isRunDependentKey, type MetricRow, type MetricValue } from './columns.js';
import { decodeCsvCell, readMetricsCsv, readMetricsJsonl, type MetricsFileError } from './read.js';

const show = (value: MetricValue | undefined): string => (value === undefined ? 'absent' : typeof value === 'string' ? JSON.stringify(value) : String(value));

/** One line per difference; empty when the rows agree on every key `ignore` keeps. */
const agree = (va: MetricValue | undefined, vb: MetricValue | undefined, tolerance: number): boolean =>
  Object.is(va, vb) || (tolerance > 0 && typeof va === 'number' && typeof vb === 'number' && Math.abs(va - vb) <= tolerance * Math.max(1, Math.abs(va), Math.abs(vb)));

export const compareMetricRows = (
  a: readonly MetricRow[],
  b: readonly MetricRow[],
  ignore: (key: string) => boolean = isRunDependentKey,
  tolerance = 0,
): string[] => {
  const differences: string[] = [];
  if (a.length !== b.length) differences.push(`row count: ${a.length} vs ${b.length}`);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const rowA = a[i]!;
    const rowB = b[i]!;
    const keys = [...new Set([...Object.keys(rowA), ...Object.keys(rowB)])].filter((key) => !ignore(key));
    for (const key of keys) {
      const va = rowA[key];
      const vb = rowB[key];
      if (!agree(va, vb, tolerance)) differences.push(`row ${i + 1} (step ${rowA.step}): ${key}: ${show(va)} vs ${show(vb)}`);
    }
  }
  return differences;
};

const csvRows = (columns: readonly string[], rows: readonly (readonly string[])[]): MetricRow[] =>
  rows.map((cells) => {
    const row: Record<string, MetricValue> = {};
    columns.forEach((key, i) => {
      const value = decodeCsvCell(cells[i] ?? '');
      if (value !== undefined) row[key] = value;
    });
    return row as MetricRow;
  });

/**
 * Compares `metrics.jsonl` and `metrics.csv` of two run directories: the rows of each pair of
 * files, and the CSV headers without ignored columns. Torn lines count as differences.
 */
export const compareMetricsFiles = async (
  dirA: string,
  dirB: string,
  ignore: (key: string) => boolean = isRunDependentKey,
  tolerance = 0,
): Promise<E.Either<MetricsFileError, string[]>> => {
  const [a, b] = [runPaths(dirA), runPaths(dirB)];
  const [jsonlA, jsonlB, csvA, csvB] = await Promise.all([
    readMetricsJsonl(a.metricsJsonl),
    readMetricsJsonl(b.metricsJsonl),
    readMetricsCsv(a.metricsCsv),
    readMetricsCsv(b.metricsCsv),
  ]);
  if (E.isLeft(jsonlA)) return jsonlA;
  if (E.isLeft(jsonlB)) return jsonlB;
  if (E.isLeft(csvA)) return csvA;
  if (E.isLeft(csvB)) return csvB;
  const differences: string[] = [];
  if (jsonlA.right.torn || jsonlB.right.torn) differences.push(`metrics.jsonl: torn last line (${jsonlA.right.torn ? dirA : dirB})`);
  if (csvA.right.torn || csvB.right.torn) differences.push(`metrics.csv: torn last line (${csvA.right.torn ? dirA : dirB})`);
  differences.push(...compareMetricRows(jsonlA.right.items, jsonlB.right.items, ignore, tolerance).map((d) => `metrics.jsonl: ${d}`));
  const headerA = csvA.right.columns.filter((key) => !ignore(key)).join(',');
  const headerB = csvB.right.columns.filter((key) => !ignore(key)).join(',');
  if (headerA !== headerB) differences.push(`metrics.csv: header: ${headerA} vs ${headerB}`);
  const rowsA = csvRows(csvA.right.columns, csvA.right.rows);
  const rowsB = csvRows(csvB.right.columns, csvB.right.rows);
  differences.push(...compareMetricRows(rowsA, rowsB, ignore, tolerance).map((d) => `metrics.csv: ${d}`));
  return E.right(differences);
};
