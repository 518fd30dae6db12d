/** Parameter checks shared by the curriculum stages (docs/algorithms.md §8). */
import { StageError, type Check } from '@rlflow/core';

/** A scalar that must be an integer inside the range (`@rlflow/core`'s check). */
export { integerInRange as integerIn } from '@rlflow/core';

/** A string that must be one of the listed names. */
export const oneOf =
  (stage: string, field: string, x: string, names: readonly string[]): Check =>
  () =>
    names.includes(x) ? undefined : new StageError(stage, field, null, 'invalid', `is "${x}", expected one of ${names.join(', ')}`);
