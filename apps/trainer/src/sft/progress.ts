/**
 * SFT progress (the reporter in progress/): step, ETA, loss and step time; plain lines read
 * `sft step 50/150 (33%) | loss 0.614 | 0.57s/step | eta 57.0s`.
 */
import { formatDuration } from '../metrics/index.js';
import { createProgressReporter, type Progress, type ProgressSpec, type ProgressStream } from '../progress/index.js';
import type { SftStep } from './train.js';

export type SftProgress = Progress<SftStep>;

export interface SftProgressOptions {
  readonly totalSteps: number;
  readonly stream: ProgressStream;
  /** Plain mode: a line every this many steps (default 10). */
  readonly plainEvery?: number;
}

export const formatSftLine = (step: SftStep, totalSteps: number, elapsedSeconds: number): string => {
  const perStep = elapsedSeconds / step.step;
  return `sft step ${step.step}/${totalSteps} (${Math.floor((100 * step.step) / totalSteps)}%) | loss ${step.loss.toFixed(3)} | ${step.seconds.toFixed(2)}s/step | eta ${formatDuration(perStep * (totalSteps - step.step))}`;
};

const SFT: ProgressSpec<SftStep> = {
  step: (step) => step.step,
  barFormat: 'sft {bar} {value}/{total} | ETA {eta_formatted} | loss {loss} | {stepTime}/step',
  barFields: (step) => (step === null ? { loss: '–', stepTime: '–' } : { loss: step.loss.toFixed(3), stepTime: `${step.seconds.toFixed(2)}s` }),
  plainLine: (step, { totalSteps, elapsedSeconds }) => formatSftLine(step, totalSteps, elapsedSeconds),
  seconds: (step) => step.seconds,
};

export const createSftProgress = (options: SftProgressOptions): SftProgress => createProgressReporter(SFT, options);
