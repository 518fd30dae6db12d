/**
 * APO positive/negative split (docs/algorithms.md §7; "Asymmetric Policy Optimization", §3):
 *
 *   positive_i = 1 if A_i > 0,   negative (positive_i = 0) if A_i ≤ 0
 *
 * Positives later get difficulty-adaptive KL weights (DADS), negatives length regularisation (STCR).
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { allFinite, guarded, nonEmpty, sameLength, validate, type Batch, type Stage } from '@rlflow/core';
import { present } from './checks.js';

const STAGE = 'apo.split';

/** 1 for each positive sample (A > 0), 0 for each negative one (A ≤ 0). */
export const positiveMask: Stage<{ readonly advantages: ArrayLike<number> }, Uint8Array> = ({ advantages }) =>
  guarded([nonEmpty(STAGE, 'advantages', advantages), allFinite(STAGE, 'advantages', advantages)], () =>
    Uint8Array.from(Array.from(advantages, (a) => (a > 0 ? 1 : 0))),
  );

export interface SignSplit {
  /** Indices of the positive samples, ascending. */
  readonly positive: Int32Array;
  /** Indices of the negative samples, ascending. */
  readonly negative: Int32Array;
}

/** The indices of the positive and of the negative samples. */
export const splitBySign: Stage<{ readonly advantages: ArrayLike<number> }, SignSplit> = ({ advantages }) =>
  guarded([nonEmpty(STAGE, 'advantages', advantages), allFinite(STAGE, 'advantages', advantages)], () => {
    const positive: number[] = [];
    const negative: number[] = [];
    for (let i = 0; i < advantages.length; i++) (advantages[i]! > 0 ? positive : negative).push(i);
    return { positive: Int32Array.from(positive), negative: Int32Array.from(negative) };
  });

/** Fills `positive` from the batch's advantages. */
export const apoSplit: Stage<Batch, Batch> = (batch) =>
  pipe(
    validate(present(STAGE, 'advantages', batch.advantages, 'run an advantage stage first')),
    E.chain(() => validate(sameLength(STAGE, 'advantages', batch.advantages!, 'rewards', batch.rewards.length))),
    E.chain(() => positiveMask({ advantages: batch.advantages! })),
    E.map((positive) => ({ ...batch, positive })),
  );
