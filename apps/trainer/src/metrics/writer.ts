/**
 * Appends one row per step to `DIR/metrics.jsonl` and `DIR/metrics.csv` (`@rlflow/core` line
 * files: each row fsync'd), so after a crash both files hold every row that was acknowledged plus
 * at most one torn line (see `truncateMetrics`). The CSV header is written once; a key that is not a column yet
 * extends it (sorted), and the CSV is then rewritten atomically from the JSONL rows under the
 * new header, so every row of the file has the same columns.
 */
import { openLineAppender, writeFileAtomic } from '@rlflow/core';
import { serialWriter } from '../run/serial.js';
import * as E from 'fp-ts/lib/Either.js';
import { runPaths } from '../run/layout.js';
import { extendColumns, metricColumns, type MetricRow } from './columns.js';
import { encodeCsvFile, encodeCsvRow, encodeJsonLine } from './encode.js';
import { readMetricsCsv, readMetricsJsonl } from './read.js';

export interface MetricsWriter {
  /** The CSV columns, in order. */
  readonly columns: () => readonly string[];
  /** The step of the last row written (or found on opening), or null. */
  readonly lastStep: () => number | null;
  /** Appends a row; its step must be an integer greater than the last row's. Calls are serialised. */
  readonly append: (row: MetricRow) => Promise<void>;
  readonly close: () => Promise<void>;
}

export interface MetricsWriterOptions {
  /** Columns to place after the known metrics from the start (e.g. `evalCellKeys(families, levels)`). */
  readonly columns?: readonly string[];
}

const checkRow = (row: MetricRow, lastStep: number | null): void => {
  if (!Number.isSafeInteger(row.step) || row.step < 1) throw new RangeError(`metrics: step ${row.step} is not a positive integer`);
  if (lastStep !== null && row.step <= lastStep) throw new RangeError(`metrics: step ${row.step} follows step ${lastStep}; rows must have increasing steps (truncate the files on resume)`);
  for (const [key, value] of Object.entries(row)) {
    if (typeof value === 'string' && /[\r\n]/.test(value)) throw new RangeError(`metrics: ${key} holds a line break`);
  }
};

/**
 * Opens the run's metrics files for appending. Existing files must end on a complete row (call
 * `truncateMetrics` first when resuming); an existing CSV header fixes the column order.
 */
export const openMetricsWriter = async (dir: string, options: MetricsWriterOptions = {}): Promise<MetricsWriter> => {
  const paths = runPaths(dir);
  const jsonl = await readMetricsJsonl(paths.metricsJsonl);
  const csv = await readMetricsCsv(paths.metricsCsv);
  if (E.isLeft(jsonl)) throw jsonl.left;
  if (E.isLeft(csv)) throw csv.left;
  if (jsonl.right.torn || csv.right.torn) throw new Error(`metrics: ${dir} ends with a partial row; truncate the metrics files before appending`);
  if (csv.right.rows.length !== jsonl.right.items.length) {
    throw new Error(`metrics: ${paths.metricsCsv} has ${csv.right.rows.length} rows but ${paths.metricsJsonl} has ${jsonl.right.items.length}; truncate the metrics files before appending`);
  }
  const existingRows = jsonl.right.items;
  let columns: string[] = csv.right.columns.length > 0 ? [...csv.right.columns] : metricColumns(options.columns);
  columns = extendColumns(columns, options.columns ?? []);
  let lastStep: number | null = existingRows.length > 0 ? existingRows[existingRows.length - 1]!.step : null;

  const rewriteCsv = async (rows: readonly MetricRow[]): Promise<void> => writeFileAtomic(paths.metricsCsv, encodeCsvFile(columns, rows));

  if (csv.right.columns.length === 0 || csv.right.columns.length !== columns.length) await rewriteCsv(existingRows);
  const jsonlLog = await openLineAppender(paths.metricsJsonl);
  let csvLog = await openLineAppender(paths.metricsCsv);
  const write = async (row: MetricRow): Promise<void> => {
    checkRow(row, lastStep);
    const keys = Object.keys(row).filter((key) => row[key] !== undefined);
    const extended = extendColumns(columns, keys);
    if (extended.length !== columns.length) {
      columns = extended;
      await csvLog.close();
      const rows = await readMetricsJsonl(paths.metricsJsonl);
      if (E.isLeft(rows)) throw rows.left;
      await rewriteCsv(rows.right.items);
      csvLog = await openLineAppender(paths.metricsCsv);
    }
    await jsonlLog.appendLine(encodeJsonLine(row, columns));
    await csvLog.appendLine(encodeCsvRow(row, columns));
    lastStep = row.step;
  };

  const writer = serialWriter('metrics: the writer', write, async () => {
    await jsonlLog.close();
    await csvLog.close();
  });
  return {
    columns: () => columns,
    lastStep: () => lastStep,
    append: writer.push,
    close: writer.close,
  };
};
