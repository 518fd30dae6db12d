/**
 * The learning-rate schedule of the optimizer steps a caller asks an engine for (the engine takes
 * the rate per step, as the Tinker API's `optim_step` does):
 *
 *   η_t = η·(t+1)/W                                   for t < W (warm-up)
 *   η_t = η                                           constant, after warm-up
 *   η_t = η·(r + (1−r)·½(1 + cos(π·p))),  p = (t−W)/max(1, T−W) clamped to [0, 1]   cosine
 *
 * t is the 0-based index of the optimizer step being taken, T the run's total, r the final ratio.
 */
import type { AdamWParams } from './contract.js';

export const LEARNING_RATE_SCHEDULES = ['constant', 'cosine'] as const;
export type LearningRateScheduleName = (typeof LEARNING_RATE_SCHEDULES)[number];

export interface LearningRateSchedule {
  readonly learningRate: number;
  readonly warmupSteps: number;
  readonly schedule: LearningRateScheduleName;
  /** Optimizer steps of the whole run (the cosine schedule's horizon). */
  readonly totalSteps: number;
  /** Final learning rate of the cosine schedule as a fraction of `learningRate`. */
  readonly minLearningRateRatio: number;
}

/** η_t for the 0-based optimizer step `step`. */
export const learningRateAt = (schedule: LearningRateSchedule, step: number): number => {
  if (step < schedule.warmupSteps) return (schedule.learningRate * (step + 1)) / schedule.warmupSteps;
  if (schedule.schedule === 'constant') return schedule.learningRate;
  const progress = Math.min(1, Math.max(0, (step - schedule.warmupSteps) / Math.max(1, schedule.totalSteps - schedule.warmupSteps)));
  const r = schedule.minLearningRateRatio;
  return schedule.learningRate * (r + (1 - r) * 0.5 * (1 + Math.cos(Math.PI * progress)));
};

/** AdamW's fixed parameters together with a schedule: what every optimizer step of a run uses. */
export interface OptimizerSettings extends LearningRateSchedule, Omit<AdamWParams, 'learningRate'> {}

/** The AdamW parameters of optimizer step `step`. */
export const adamWAt = (settings: OptimizerSettings, step: number): AdamWParams => ({
  learningRate: learningRateAt(settings, step),
  beta1: settings.beta1,
  beta2: settings.beta2,
  eps: settings.eps,
  weightDecay: settings.weightDecay,
  maxGradNorm: settings.maxGradNorm,
});
