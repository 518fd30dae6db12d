/**
 * DAPO overlong reward shaping (docs/algorithms.md §9; DAPO, Yu et al. 2025, §3.4):
 *   expected = maxLen − bufferLen
 *   penalty(L) = min(−(L − expected) / bufferLen · factor, 0)
 * 0 up to `expected` tokens, falling linearly to −factor at `maxLen` (and beyond, unclamped).
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError, allNonNegativeIntegers, guarded, inRange, type Check } from '@rlflow/core';

export interface OverlongParams {
  readonly maxLen: number;
  readonly bufferLen: number;
  readonly factor: number;
}

const STAGE = 'reward.overlong';

export const overlongChecks = (params: OverlongParams): Check[] => [
  inRange(STAGE, 'bufferLen', params.bufferLen, { min: 0, exclusiveMin: true }),
  inRange(STAGE, 'maxLen', params.maxLen, { min: params.bufferLen }),
  inRange(STAGE, 'factor', params.factor, { min: 0 }),
];

/** The penalty of one length; parameters assumed valid (see `overlongPenalties`). */
export const overlongPenalty =
  (params: OverlongParams) =>
  (length: number): number => {
    const expected = params.maxLen - params.bufferLen;
    // `+ 0` turns the -0 at L = expected into 0.
    return Math.min((-(length - expected) / params.bufferLen) * params.factor, 0) + 0;
  };

export const overlongPenalties =
  (params: OverlongParams) =>
  (lengths: ArrayLike<number>): E.Either<StageError, Float64Array> =>
    guarded([...overlongChecks(params), allNonNegativeIntegers(STAGE, 'lengths', lengths)], () =>
      Float64Array.from(Array.from(lengths), overlongPenalty(params)),
    );
