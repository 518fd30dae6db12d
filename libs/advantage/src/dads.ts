/**
 * APO DADS, difficulty-adaptive KL weights for positive samples (docs/algorithms.md §7; "Asymmetric
 * Policy Optimization", §3.2 and its public code):
 *
 *   d_g = 1 − (pass rate of group g),   pass rate = #{correct} / n_g
 *   w_i = 1 − exp(−e·(1 − d_g))   for a positive sample (A_i > 0) with 0 < d_g < 1
 *   w_i = 1                        for a positive sample with d_g ∈ {0, 1}, and for every negative
 *
 * e is Euler's number by default (`scale`). Weights lie in (0, 1]; they scale the per-sequence KL
 * term of §6 (estimator k3, coef 1e-3), so easy prompts keep the policy closer to the reference.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { guarded, inRange, validate, type Batch, type Stage } from '@rlflow/core';
import { correctAndGroups, finiteSequenceField, present } from './checks.js';
import { groupMembers } from './groups.js';

const STAGE = 'apo.dads';

export interface DadsParams {
  /** The rate e in 1 − exp(−e·(1 − d)); Euler's number by default. */
  readonly scale?: number;
}

export interface DadsInput {
  readonly correct: ArrayLike<number>;
  readonly groupIds: ArrayLike<number>;
  readonly advantages: ArrayLike<number>;
}

export const dads =
  ({ scale = Math.E }: DadsParams = {}): Stage<DadsInput, Float64Array> =>
  ({ correct, groupIds, advantages }) =>
    guarded(
      [
        inRange(STAGE, 'scale', scale, { min: 0, exclusiveMin: true }),
        ...correctAndGroups(STAGE, correct, groupIds),
        ...finiteSequenceField(STAGE, 'advantages', advantages, 'correct', correct.length),
      ],
      () => {
        const weights = new Float64Array(correct.length).fill(1);
        for (const members of groupMembers(groupIds)) {
          let passed = 0;
          for (const i of members) passed += correct[i]!;
          if (passed === 0 || passed === members.length) continue;
          const passRate = passed / members.length;
          const weight = -Math.expm1(-scale * passRate);
          for (const i of members) if (advantages[i]! > 0) weights[i] = weight;
        }
        return weights;
      },
    );

/** Fills `klWeights` from the batch's correct flags, group ids and advantages. */
export const dadsStageWith =
  (params: DadsParams): Stage<Batch, Batch> =>
  (batch) =>
    pipe(
      validate(present(STAGE, 'advantages', batch.advantages, 'run an advantage stage first')),
      E.chain(() => dads(params)({ correct: batch.correct, groupIds: batch.groupIds, advantages: batch.advantages! })),
      E.map((klWeights) => ({ ...batch, klWeights })),
    );

/** `dadsStageWith` at the default scale e. */
export const dadsStage: Stage<Batch, Batch> = dadsStageWith({});
