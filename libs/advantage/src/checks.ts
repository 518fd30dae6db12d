/**
 * Input checks shared by the advantage-side stages (docs/algorithms.md §1, §7, §9): the per-sequence
 * arrays agree in length, rewards and advantages are finite, group ids and lengths are
 * non-negative integers, correct flags are 0/1, and every output is finite.
 */
import * as E from 'fp-ts/lib/Either.js';
import {
  StageError,
  allBinary,
  allFinite,
  allNonNegativeIntegers,
  nonEmpty,
  sameLength,
  type Check,
} from '@rlflow/core';

/** `xs` is present (a stage that needs it was given it), with a hint on where it comes from. */
export const present =
  (stage: string, field: string, xs: unknown, hint: string): Check =>
  () =>
    xs === undefined || xs === null ? new StageError(stage, field, null, 'invalid', `is not set; ${hint}`) : undefined;

/** Checks for a per-sequence array that must be finite and as long as the reference field. */
export const finiteSequenceField = (stage: string, field: string, xs: ArrayLike<number>, refField: string, n: number): Check[] => [
  sameLength(stage, field, xs, refField, n),
  allFinite(stage, field, xs),
];

/** Checks for rewards (the reference length) and their group ids. */
export const rewardsAndGroups = (stage: string, rewards: ArrayLike<number>, groupIds: ArrayLike<number>): Check[] => [
  nonEmpty(stage, 'rewards', rewards),
  allFinite(stage, 'rewards', rewards),
  sameLength(stage, 'groupIds', groupIds, 'rewards', rewards.length),
  allNonNegativeIntegers(stage, 'groupIds', groupIds),
];

/** Checks for correct flags (the reference length) and their group ids. */
export const correctAndGroups = (stage: string, correct: ArrayLike<number>, groupIds: ArrayLike<number>): Check[] => [
  nonEmpty(stage, 'correct', correct),
  allBinary(stage, 'correct', correct),
  sameLength(stage, 'groupIds', groupIds, 'correct', correct.length),
  allNonNegativeIntegers(stage, 'groupIds', groupIds),
];

/** Checks for token lengths as long as the reference field. */
export const tokenLengths = (stage: string, lengths: ArrayLike<number>, refField: string, n: number): Check[] => [
  sameLength(stage, 'lengths', lengths, refField, n),
  allNonNegativeIntegers(stage, 'lengths', lengths),
];

/** The computed values, or a StageError naming the first that overflowed to a non-finite number. */
export const finiteOutput = <A extends ArrayLike<number>>(stage: string, field: string, out: A): E.Either<StageError, A> => {
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) {
      return E.left(new StageError(stage, field, i, 'not-finite', `computed ${out[i]}: the inputs are too large to represent the result`));
    }
  }
  return E.right(out);
};
