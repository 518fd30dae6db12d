/**
 * Text forms of a metrics row: one JSON object for a line of `metrics.jsonl` (keys in column
 * order) and one RFC 4180 record for a line of `metrics.csv` (`@rlflow/core`'s `formatCsv`). Both
 * are deterministic, so the same rows give the same bytes. Lines are returned without their newline.
 */
import { formatCsv } from '@rlflow/core';
import type { MetricRow, MetricValue } from './columns.js';

const cellValue = (value: MetricValue | undefined): MetricValue | undefined =>
  typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;

export const encodeJsonLine = (row: MetricRow, columns: readonly string[]): string => {
  const ordered: Record<string, MetricValue> = {};
  for (const key of columns) {
    const value = cellValue(row[key]);
    if (value !== undefined) ordered[key] = value;
  }
  return JSON.stringify(ordered);
};

/** The text of a cell before CSV quoting: empty for absent and null, `NaN`/`Infinity` for non-finite numbers. */
export const encodeCsvCell = (value: MetricValue | undefined): string => {
  const v = cellValue(value);
  return v === undefined || v === null ? '' : String(v);
};

const csvCells = (row: MetricRow, columns: readonly string[]): string[] => columns.map((key) => encodeCsvCell(row[key]));

/** The whole of a `metrics.csv`: the header and one line per row. */
export const encodeCsvFile = (columns: readonly string[], rows: readonly MetricRow[]): string =>
  formatCsv([columns, ...rows.map((row) => csvCells(row, columns))], { lineBreak: '\n' });

/** One row's CSV line, without its newline. */
export const encodeCsvRow = (row: MetricRow, columns: readonly string[]): string => formatCsv([csvCells(row, columns)], { lineBreak: '\n' }).slice(0, -1);
