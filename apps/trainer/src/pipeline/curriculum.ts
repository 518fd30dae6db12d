/**
 * The curriculum of a run (docs/algorithms.md §8) from its config: the reuse schedule K(t) over the
 * run's steps (or the adaptive one), the gate's predicate on a group's rewards, the prompt pool
 * and how it is ordered, and the state threaded through the loop by `scan`.
 */
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, type StageError } from '@rlflow/core';
import type { CurriculumConfig, PoolSamplingParams } from '@rlflow/curriculum';
import { passesGate } from '@rlflow/curriculum';
import { sampleProblems, type Family, type Level, type Problem } from '@rlflow/rollout';
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

/** The pool's ordering parameters, or null for `fresh` sampling (no pool). */
export const poolSampling = (config: TrainConfig): PoolSamplingParams | null => {
  const { strategy, floor } = config.curriculum.sampling;
  return strategy === 'fresh' ? null : { strategy, floor };
};

/**
 * The run's prompt pool: the first `curriculum.sampling.pool` train problems of the suite drawn
 * from `deriveSeed(seed, "prompt-pool")`, repeats (the same problem drawn twice) dropped, so the
 * pool holds at most that many distinct prompts; null for `fresh` sampling.
 */
export const promptPool = (config: TrainConfig): E.Either<StageError, readonly Problem[] | null> => {
  if (poolSampling(config) === null) return E.right(null);
  return E.map((problems: Problem[]) => [...new Map(problems.map((p) => [p.id, p])).values()])(
    sampleProblems({
      families: config.rollout.families as readonly Family[],
      levels: config.rollout.levels as readonly Level[],
      split: 'train',
      seed: deriveSeed(config.seed, 'prompt-pool'),
      count: config.curriculum.sampling.pool,
    }),
  );
};
