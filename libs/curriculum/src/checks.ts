/** Parameter checks shared by the curriculum stages (docs/algorithms.md §8). */
import { StageError, inRange, type Check } from '@rlflow/core';

/** A scalar that must be an integer inside the range. */
export const integerIn =
  (stage: string, field: string, x: number, range: { readonly min?: number; readonly max?: number }): Check =>
  () =>
    inRange(stage, field, x, range)() ??
    (Number.isInteger(x) ? undefined : new StageError(stage, field, null, 'not-integer', `is ${x}, expected an integer`));

/** A string that must be one of the listed names. */
export const oneOf =
  (stage: string, field: string, x: string, names: readonly string[]): Check =>
  () =>
    names.includes(x) ? undefined : new StageError(stage, field, null, 'invalid', `is "${x}", expected one of ${names.join(', ')}`);
