/**
 * ACPO sample reuse schedule K(t) (docs/algorithms.md §8): how many optimizer passes are made over
 * the rollout batch of step t = 0 … T − 1.
 *
 *   p = t / (T − 1) clamped to [0, 1]   (p = 0 when T ≤ 1)
 *   s(p) = constant: 0 | linear: p | cosine: (1 − cos πp)/2 | step: 1 if p ≥ warmupFrac else 0
 *   K(t) = floor(K_min + (K_max − K_min)·s(p) + 0.5)
 *
 * K = 1 with one mini-batch is exactly on-policy. K stays in [K_min, K_max] and, for every
 * schedule, never decreases in t.
 */
import { StageError, guarded, inRange, type Check, type Stage } from '@rlflow/core';
import { integerIn, oneOf } from './checks.js';

const STAGE = 'curriculum.reuse';

export const reuseScheduleNames = ['constant', 'linear', 'cosine', 'step'] as const;
export type ReuseScheduleName = (typeof reuseScheduleNames)[number];

export const isReuseScheduleName = (name: string): name is ReuseScheduleName => (reuseScheduleNames as readonly string[]).includes(name);

export interface ReuseScheduleParams {
  readonly schedule: ReuseScheduleName;
  readonly kMin: number;
  readonly kMax: number;
  /** T, the number of steps of the run. */
  readonly totalSteps: number;
  /** Where the step schedule jumps from K_min to K_max, as a fraction of the run. */
  readonly warmupFrac: number;
}

/** A schedule maps a step to its K, or to a StageError for a bad step or bad parameters. */
export type ReuseSchedule = Stage<number, number>;

/** The checks on the bounds shared with the adaptive schedule. */
export const reuseBoundsChecks = (stage: string, kMin: number, kMax: number): Check[] => [
  integerIn(stage, 'kMin', kMin, { min: 1 }),
  integerIn(stage, 'kMax', kMax, { min: kMin }),
];

const shape = (schedule: ReuseScheduleName, p: number, warmupFrac: number): number => {
  switch (schedule) {
    case 'constant':
      return 0;
    case 'linear':
      return p;
    case 'cosine':
      return (1 - Math.cos(Math.PI * p)) / 2;
    case 'step':
      return p >= warmupFrac ? 1 : 0;
  }
};

export const reuseSchedule =
  ({ schedule, kMin, kMax, totalSteps, warmupFrac }: ReuseScheduleParams): ReuseSchedule =>
  (t) =>
    guarded(
      [
        oneOf(STAGE, 'schedule', schedule, reuseScheduleNames),
        ...reuseBoundsChecks(STAGE, kMin, kMax),
        integerIn(STAGE, 'totalSteps', totalSteps, { min: 0 }),
        inRange(STAGE, 'warmupFrac', warmupFrac, { min: 0, max: 1 }),
        () =>
          Number.isInteger(t) && t >= 0
            ? undefined
            : new StageError(STAGE, 'step', null, 'invalid', `is ${t}, expected a non-negative integer`),
      ],
      () => {
        const p = totalSteps <= 1 ? 0 : Math.min(Math.max(t / (totalSteps - 1), 0), 1);
        return Math.floor(kMin + (kMax - kMin) * shape(schedule, p, warmupFrac) + 0.5);
      },
    );
