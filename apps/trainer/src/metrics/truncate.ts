/**
 * Resume support: cut `metrics.jsonl` and `metrics.csv` back to the rows of steps ≤ the step of
 * the checkpoint being resumed, dropping a torn last line, so that the resumed run appends
 * exactly the rows an uninterrupted run would have written. The JSONL is cut in place (its kept bytes unchanged);
 * the CSV is rebuilt from the kept JSONL rows under its existing header (the bytes the writer
 * produced for them). The trainer writes a step's row before that step's checkpoint, so the
 * row of the checkpoint's step must be there; if it is not, that is an error.
 */
import { cutLineFile, writeFileAtomic } from '@rlflow/core';
import * as E from 'fp-ts/lib/Either.js';
import { runPaths } from '../run/layout.js';
import { extendColumns, metricColumns } from './columns.js';
import { encodeCsvFile } from './encode.js';
import { MetricsFileError, readMetricsCsv, readMetricsJsonl } from './read.js';

export interface TruncateReport {
  readonly keptRows: number;
  /** Complete rows of later steps that were removed. */
  readonly droppedRows: number;
  /** Whether either file ended with a torn line. */
  readonly torn: boolean;
  readonly lastStep: number | null;
}

export const truncateMetrics = async (dir: string, step: number): Promise<E.Either<MetricsFileError, TruncateReport>> => {
  const paths = runPaths(dir);
  if (!Number.isSafeInteger(step) || step < 0) return E.left(new MetricsFileError(paths.metricsJsonl, `cannot truncate to step ${step}: expected an integer ≥ 0`));
  const jsonl = await readMetricsJsonl(paths.metricsJsonl);
  if (E.isLeft(jsonl)) return jsonl;
  const csv = await readMetricsCsv(paths.metricsCsv);
  if (E.isLeft(csv)) return csv;
  const rows = jsonl.right.items;
  const torn = jsonl.right.torn || csv.right.torn;
  const firstLater = rows.findIndex((row) => row.step > step);
  const kept = firstLater < 0 ? rows : rows.slice(0, firstLater);
  const lastStep = kept.length > 0 ? kept[kept.length - 1]!.step : null;
  if (step > 0 && lastStep !== step) {
    return E.left(new MetricsFileError(paths.metricsJsonl, `the rows up to the checkpoint end at step ${lastStep ?? 'none'}, expected step ${step}`));
  }
  const header = csv.right.columns;
  const csvText =
    header.length === 0 && kept.length === 0
      ? ''
      : encodeCsvFile(extendColumns(header.length > 0 ? header : metricColumns(), kept.flatMap((row) => Object.keys(row))), kept);
  if (rows.length > 0 || torn || header.length > 0) {
    await cutLineFile(paths.metricsJsonl, jsonl.right.file, kept.length);
    await writeFileAtomic(paths.metricsCsv, csvText);
  }
  return E.right({ keptRows: kept.length, droppedRows: rows.length - kept.length, torn, lastStep });
};
