/** Option checks shared by the rollout stream's entry points (the check itself is `@rlflow/core`'s). */
import { integerInRange, type Check } from '@rlflow/core';

/** An integer ≥ `min`. */
export const integerAtLeast = (stage: string, field: string, n: number, min: number): Check => integerInRange(stage, field, n, { min });
