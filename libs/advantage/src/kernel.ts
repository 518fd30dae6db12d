/**
 * The shape every outcome-advantage estimator shares (docs/algorithms.md §1): one scalar reward per
 * sequence and its group id in, one advantage per sequence out, as an `Either` so bad input is
 * a `StageError` instead of NaN. `lengths` (tokens per sequence) is read only by estimators
 * that whiten over tokens (REINFORCE++-baseline).
 */
import type { Stage } from '@rlflow/core';

export interface AdvantageInput {
  readonly rewards: ArrayLike<number>;
  readonly groupIds: ArrayLike<number>;
  readonly lengths?: ArrayLike<number>;
}

export type AdvantageKernel = Stage<AdvantageInput, Float64Array>;
