/** Option checks shared by the rollout stream's entry points. */
import { StageError, type Check } from '@rlflow/core';

/** An integer ≥ `min`. */
export const integerAtLeast =
  (stage: string, field: string, n: number, min: number): Check =>
  () =>
    Number.isSafeInteger(n) && n >= min ? undefined : new StageError(stage, field, null, Number.isInteger(n) ? 'out-of-range' : 'not-integer', `is ${n}, expected an integer ≥ ${min}`);
