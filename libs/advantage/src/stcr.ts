/**
 * APO STCR, length regularisation of negative samples (docs/algorithms.md §7; "Asymmetric Policy
 * Optimization", §3.3 and its public code). Only in groups with at least one correct response;
 * for an incorrect response i:
 *
 *   Δ_i = L_i − mean{L_j : j correct in the group}
 *   m_i = 1 + (1 − b^(−Δ_i))   if Δ_i > 0,   else m_i = 1
 *
 * and m_i = 1 for correct responses and in groups without a correct one; b = 1.00001 by default
 * (`base`, b ≥ 1; a smaller-scale task wants a larger b). The multiplier scales the sample's
 * advantage, so failures longer than the group's successes are pushed down harder. m lies in
 * [1, 2) (it rounds to 2 in float64 once b^(−Δ) < 2⁻⁵³).
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { StageError, guarded, inRange, validate, type Batch, type Stage } from '@rlflow/core';
import { correctAndGroups, finiteSequenceField, present, tokenLengths } from './checks.js';
import { compensatedSum, groupMembers } from './groups.js';

export const STCR_BASE = 1.00001;
const STAGE = 'apo.stcr';

export interface StcrParams {
  readonly base?: number;
}

export interface StcrInput {
  readonly correct: ArrayLike<number>;
  readonly lengths: ArrayLike<number>;
  readonly groupIds: ArrayLike<number>;
}

export const stcr =
  ({ base = STCR_BASE }: StcrParams = {}): Stage<StcrInput, Float64Array> =>
  ({ correct, lengths, groupIds }) =>
    guarded(
      [
        inRange(STAGE, 'base', base, { min: 1 }),
        ...correctAndGroups(STAGE, correct, groupIds),
        ...tokenLengths(STAGE, lengths, 'correct', correct.length),
      ],
      () => {
        const logBase = Math.log1p(base - 1);
        const multipliers = new Float64Array(correct.length).fill(1);
        for (const members of groupMembers(groupIds)) {
          const correctMembers = members.filter((i) => correct[i] === 1);
          if (correctMembers.length === 0) continue;
          const meanCorrectLength = compensatedSum(lengths, correctMembers) / correctMembers.length;
          for (const i of members) {
            const excess = lengths[i]! - meanCorrectLength;
            if (correct[i] === 0 && excess > 0) multipliers[i] = 1 - Math.expm1(-excess * logBase);
          }
        }
        return multipliers;
      },
    );

/**
 * Multiplies the batch's advantages by the STCR multipliers and records them in
 * `advantageMultipliers`. A batch that already carries multipliers is an error, so the
 * regularisation cannot be applied twice.
 */
export const stcrStage =
  (params: StcrParams = {}): Stage<Batch, Batch> =>
  (batch) =>
    pipe(
      validate(present(STAGE, 'advantages', batch.advantages, 'run an advantage stage first')),
      E.chain(() =>
        validate(
          ...finiteSequenceField(STAGE, 'advantages', batch.advantages!, 'correct', batch.correct.length),
          () =>
            batch.advantageMultipliers === undefined
              ? undefined
              : new StageError(STAGE, 'advantageMultipliers', null, 'invalid', 'is already set: STCR was applied to this batch'),
        ),
      ),
      E.chain(() => stcr(params)({ correct: batch.correct, lengths: batch.lengths, groupIds: batch.groupIds })),
      E.map((advantageMultipliers) => ({
        ...batch,
        advantages: batch.advantages!.map((a, i) => a * advantageMultipliers[i]!),
        advantageMultipliers,
      })),
    );
