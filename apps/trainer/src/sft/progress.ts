/**
 * SFT progress: on a terminal a cli-progress bar (step, ETA, loss, step time); otherwise one
 * plain line every `plainEvery` steps and at the last step:
 * `sft step 50/150 (33%) | loss 0.614 | 0.57s/step | eta 57.0s`.
 */
import { createRequire } from 'node:module';
import { formatDuration } from '../metrics/index.js';
import type { ProgressStream } from '../run/index.js';
import type { SftStep } from './train.js';

/** The part of cli-progress's SingleBar used here (the package ships no types). */
interface SingleBar {
  start(total: number, startValue: number, payload: Readonly<Record<string, string>>): void;
  update(value: number, payload: Readonly<Record<string, string>>): void;
  stop(): void;
}
interface CliProgress {
  readonly SingleBar: new (options: Readonly<Record<string, unknown>>) => SingleBar;
}
const cliProgress = createRequire(import.meta.url)('cli-progress') as CliProgress;

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
  if (stream.isTTY === true) {
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
