/**
 * Text forms of a metrics row: one JSON object per line for `metrics.jsonl` (keys in column
 * order) and one RFC 4180 line for `metrics.csv`. Both are deterministic, so the same rows give
 * the same bytes.
 */
import type { MetricRow, MetricValue } from './columns.js';

const cellValue = (value: MetricValue | undefined): MetricValue | undefined =>
  typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;

export const encodeJsonLine = (row: MetricRow, columns: readonly string[]): string => {
  const ordered: Record<string, MetricValue> = {};
  for (const key of columns) {
    const value = cellValue(row[key]);
    if (value !== undefined) ordered[key] = value;
  }
  return `${JSON.stringify(ordered)}\n`;
};

const quoteCsv = (text: string): string => (/[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text);

export const encodeCsvCell = (value: MetricValue | undefined): string => {
  const v = cellValue(value);
  return v === undefined || v === null ? '' : quoteCsv(String(v));
};

export const encodeCsvLine = (cells: readonly string[]): string => `${cells.join(',')}\n`;

export const encodeCsvHeader = (columns: readonly string[]): string => encodeCsvLine(columns.map(quoteCsv));

export const encodeCsvRow = (row: MetricRow, columns: readonly string[]): string => encodeCsvLine(columns.map((key) => encodeCsvCell(row[key])));

/** Splits one CSV line (without its newline) into cells, undoing the quoting of `encodeCsvCell`. */
export const parseCsvLine = (line: string): string[] => {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
};
