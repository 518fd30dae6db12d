/**
 * Training progress (the reporter in progress/): the ETA and the key metrics of the last step —
 * reward, accuracy, reuse K, kept/rejected groups, step time.
 */
import type { MetricRow } from '../metrics/columns.js';
import { formatDuration, formatMetricValue } from '../metrics/summary.js';
import { createProgressReporter, type Progress as ProgressOf, type ProgressOptions as ReporterOptions, type ProgressSpec } from '../progress/index.js';

export { isTerminal, type ProgressStream } from '../progress/index.js';

export interface ProgressOptions extends ReporterOptions {
  /** Steps already done (the resumed checkpoint's step; 0 for a fresh run). */
  readonly startStep: number;
}

export type Progress = ProgressOf<MetricRow>;

const show = (value: MetricRow[string]): string => (typeof value === 'number' ? formatMetricValue(value) : value === undefined || value === null ? '–' : String(value));

/** The metric fields shown with the progress, already formatted. */
export const progressFields = (row: MetricRow): Readonly<Record<'reward' | 'acc' | 'k' | 'kept' | 'rejected' | 'stepTime', string>> => ({
  reward: show(row['reward/mean']),
  acc: show(row['reward/accuracy']),
  k: show(row['curriculum/reuse']),
  kept: show(row['curriculum/kept_groups']),
  rejected: show(row['curriculum/rejected_groups']),
  stepTime: typeof row['time/step_s'] === 'number' ? `${formatMetricValue(row['time/step_s'])}s` : '–',
});

export interface ProgressLineInput {
  readonly row: MetricRow;
  readonly totalSteps: number;
  /** Steps done in this process and the seconds they took, for the ETA. */
  readonly stepsDone: number;
  readonly elapsedSeconds: number;
}

/** `step 10/200 (5%) | eta 3m12s | reward 0.512 | acc 0.43 | K 2 | kept 6 rejected 2 | 1.23s/step` */
export const formatProgressLine = ({ row, totalSteps, stepsDone, elapsedSeconds }: ProgressLineInput): string => {
  const f = progressFields(row);
  const percent = Math.floor((100 * row.step) / totalSteps);
  const eta = stepsDone > 0 ? formatDuration((elapsedSeconds / stepsDone) * Math.max(0, totalSteps - row.step)) : '?';
  return `step ${row.step}/${totalSteps} (${percent}%) | eta ${eta} | reward ${f.reward} | acc ${f.acc} | K ${f.k} | kept ${f.kept} rejected ${f.rejected} | ${f.stepTime}/step`;
};

const TRAINING: ProgressSpec<MetricRow> = {
  step: (row) => row.step,
  barFormat: '{bar} {value}/{total} | ETA {eta_formatted} | reward {reward} | acc {acc} | K {k} | kept {kept} rej {rejected} | {stepTime}/step',
  barFields: (row) => progressFields(row ?? { step: 0 }),
  plainLine: (row, timing) => formatProgressLine({ row, ...timing }),
};

export const createProgress = (options: ProgressOptions): Progress => createProgressReporter(TRAINING, options);
