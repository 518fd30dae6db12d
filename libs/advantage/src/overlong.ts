/**
 * DAPO overlong reward shaping (docs/algorithms.md §9; Yu et al. 2025, "DAPO", §3.4, soft overlong
 * punishment):
 *
 *   expected  = maxLen − bufferLen
 *   penalty_i = min(−(L_i − expected) / bufferLen · penaltyFactor, 0)
 *
 * added to the reward of sequence i. Responses up to `expected` tokens are not penalised; the
 * penalty grows linearly through the buffer (reaching −penaltyFactor at maxLen) and beyond it.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { StageError, allNonNegativeIntegers, guarded, inRange, integerInRange, nonEmpty, type Batch, type Stage } from '@rlflow/core';
import { finiteOutput, finiteSequenceField } from './checks.js';

const STAGE = 'dapo.overlong';

export interface OverlongParams {
  readonly maxLen: number;
  readonly bufferLen: number;
  readonly penaltyFactor: number;
}

export const overlong =
  ({ maxLen, bufferLen, penaltyFactor }: OverlongParams): Stage<{ readonly lengths: ArrayLike<number> }, Float64Array> =>
  ({ lengths }) =>
    guarded(
      [
        integerInRange(STAGE, 'maxLen', maxLen, { min: 1 }),
        integerInRange(STAGE, 'bufferLen', bufferLen, { min: 1, max: maxLen }),
        inRange(STAGE, 'penaltyFactor', penaltyFactor, { min: 0 }),
        nonEmpty(STAGE, 'lengths', lengths),
        allNonNegativeIntegers(STAGE, 'lengths', lengths),
      ],
      () => {
        const expected = maxLen - bufferLen;
        return Float64Array.from(lengths, (length) => Math.min((-(length - expected) / bufferLen) * penaltyFactor, 0));
      },
    );

/**
 * Adds each sequence's overlong penalty to its reward. Shaping must precede advantage
 * estimation, so a batch whose advantages are already set is an error.
 */
export const overlongStage =
  (params: OverlongParams): Stage<Batch, Batch> =>
  (batch) =>
    pipe(
      overlong(params)({ lengths: batch.lengths }),
      E.chainFirst(() =>
        guarded(
          [
            () =>
              batch.advantages === undefined
                ? undefined
                : new StageError(STAGE, 'advantages', null, 'invalid', 'is already set: shape rewards before estimating advantages'),
            ...finiteSequenceField(STAGE, 'rewards', batch.rewards, 'lengths', batch.lengths.length),
          ],
          () => undefined,
        ),
      ),
      E.chain((penalties) => finiteOutput(STAGE, 'rewards', batch.rewards.map((r, i) => r + penalties[i]!))),
      E.map((rewards) => ({ ...batch, rewards })),
    );
