/**
 * Training progress on stdout: on a terminal, a cli-progress bar with the ETA and the key
 * metrics of the last step (reward, accuracy, reuse K, kept/rejected groups, step time); when
 * stdout is not a terminal (a log file, CI), one plain line every `plainEvery` steps and at the
 * last step.
 */
import cliProgress from 'cli-progress';
import type { MetricRow } from '../metrics/columns.js';
import { formatDuration, formatMetricValue } from '../metrics/summary.js';


export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** A stream that says it is a terminal is one of Node's TTY write streams, which the bar draws on. */
export const isTerminal = (stream: ProgressStream): stream is NodeJS.WriteStream => stream.isTTY === true;

export interface ProgressOptions {
  readonly totalSteps: number;
  /** Steps already done (the resumed checkpoint's step; 0 for a fresh run). */
  readonly startStep: number;
  readonly stream?: ProgressStream;
  /** In plain mode, print every this many steps (default 10). */
  readonly plainEvery?: number;
  /** Milliseconds clock for the plain-mode ETA (default Date.now). */
  readonly now?: () => number;
}

export interface Progress {
  /** Reports the row of a finished step. */
  readonly update: (row: MetricRow) => void;
  readonly stop: () => void;
}

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

const BAR_FORMAT = '{bar} {value}/{total} | ETA {eta_formatted} | reward {reward} | acc {acc} | K {k} | kept {kept} rej {rejected} | {stepTime}/step';

export const createProgress = (options: ProgressOptions): Progress => {
  const stream = options.stream ?? process.stdout;
  const now = options.now ?? Date.now;
  const plainEvery = options.plainEvery ?? 10;
  if (isTerminal(stream)) {
    const bar = new cliProgress.SingleBar({ stream, format: BAR_FORMAT, etaBuffer: 20, hideCursor: true, barsize: 24 });
    bar.start(options.totalSteps, options.startStep, progressFields({ step: options.startStep }));
    return {
      update: (row) => bar.update(row.step, progressFields(row)),
      stop: () => bar.stop(),
    };
  }
  const started = now();
  let stepsDone = 0;
  return {
    update: (row) => {
      stepsDone++;
      if (row.step % plainEvery === 0 || row.step === options.totalSteps) {
        stream.write(`${formatProgressLine({ row, totalSteps: options.totalSteps, stepsDone, elapsedSeconds: (now() - started) / 1000 })}\n`);
      }
    },
    stop: () => undefined,
  };
};
