/**
 * The curriculum of a run (docs/algorithms.md §8) from its config: the reuse schedule K(t) over the
 * run's steps (or the adaptive one), the gate's predicate on a group's rewards, and the state
 * threaded through the loop by `scan`.
 */
import type { CurriculumConfig } from '@rlflow/curriculum';
import { passesGate } from '@rlflow/curriculum';
import type { TrainConfig } from '../config/index.js';

export const curriculumConfig = (config: TrainConfig): CurriculumConfig => {
  const c = config.curriculum;
  return {
    reuse:
      c.schedule === 'adaptive'
        ? { schedule: 'adaptive', kMin: c.kMin, kMax: c.kMax, targetKl: c.adaptive.targetKl, targetClipFrac: c.adaptive.targetClipFrac }
        : { schedule: c.schedule, kMin: c.kMin, kMax: c.kMax, totalSteps: config.steps, warmupFrac: c.warmupFrac },
    historyWindow: 8,
    exploreSteps: 0,
    minKeepRate: 0,
  };
};

/** The gate's predicate (keep 0 < #{r > τ} ≤ N_max), or keep-all when the gate is off. */
export const groupGate = (config: TrainConfig): ((rewards: ArrayLike<number>) => boolean) => {
  const { gate, tau, nMax } = config.curriculum;
  if (!gate) return () => true;
  return passesGate({ tau, nMax: nMax ?? config.rollout.groupSize - 1 });
};
