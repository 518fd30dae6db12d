/**
 * SFT progress: on a terminal a cli-progress bar (step, ETA, loss, step time); otherwise one
 * plain line every `plainEvery` steps and at the last step:
 * `sft step 50/150 (33%) | loss 0.614 | 0.57s/step | eta 57.0s`.
 */
import cliProgress from 'cli-progress';
import { formatDuration } from '../metrics/index.js';
import { isTerminal, type ProgressStream } from '../run/index.js';
import type { SftStep } from './train.js';


export interface SftProgress {
  readonly update: (step: SftStep) => void;
  readonly stop: () => void;
}

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

export const createSftProgress = (options: SftProgressOptions): SftProgress => {
  const { totalSteps, stream } = options;
  if (isTerminal(stream)) {
    const bar = new cliProgress.SingleBar({
      stream,
      format: 'sft {bar} {value}/{total} | ETA {eta_formatted} | loss {loss} | {stepTime}/step',
      etaBuffer: 20,
      hideCursor: true,
      barsize: 24,
    });
    bar.start(totalSteps, 0, { loss: '–', stepTime: '–' });
    return {
      update: (step) => bar.update(step.step, { loss: step.loss.toFixed(3), stepTime: `${step.seconds.toFixed(2)}s` }),
      stop: () => bar.stop(),
    };
  }
  const every = options.plainEvery ?? 10;
  let elapsed = 0;
  return {
    update: (step) => {
      elapsed += step.seconds;
      if (step.step % every === 0 || step.step === totalSteps) stream.write(`${formatSftLine(step, totalSteps, elapsed)}\n`);
    },
    stop: () => undefined,
  };
};
