/**
 * The entropy bonus, plain float64 form (docs/algorithms.md §11, with a §3 aggregation):
 *
 *   entropyLoss = −coef · agg(H)        ∂entropyLoss/∂H = −coef · w,  w = ∂agg/∂loss (mask only)
 *
 * H [B, T] is the policy's per-token entropy; the term is minimized, so a larger entropy lowers
 * the loss. It is linear in H, so its gradient is the aggregation weights scaled by −coef and
 * zero outside the mask. A batch with no valid token gives 0 and a zero gradient.
 */
import type * as E from 'fp-ts/lib/Either.js';
import { guarded, inRange, matrixBinary, matrixFinite, sameShape, type Matrix, type StageError } from '@rlflow/core';
import { aggregationChecks, aggregationWeightsUnchecked, weightedSum, type AggregationOptions, type LossAggregation } from '@rlflow/clipping';

export interface EntropyBonusParams extends AggregationOptions {
  /** coef ≥ 0. */
  readonly coef: number;
  readonly lossAgg: LossAggregation;
}

export interface EntropyBonusInput {
  readonly entropy: Matrix;
  readonly mask: Matrix;
}

export interface EntropyBonusResult {
  /** −coef · agg(H). */
  readonly loss: number;
  /** ∂loss/∂H, [B, T]. */
  readonly gradEntropy: Matrix;
}

const STAGE = 'entropy.bonus';

export const entropyBonus =
  (params: EntropyBonusParams) =>
  ({ entropy, mask }: EntropyBonusInput): E.Either<StageError, EntropyBonusResult> =>
    guarded(
      [
        inRange(STAGE, 'coef', params.coef, { min: 0 }),
        ...aggregationChecks(STAGE, params.lossAgg, params),
        sameShape(STAGE, 'mask', mask, 'entropy', entropy),
        matrixFinite(STAGE, 'entropy', entropy),
        matrixBinary(STAGE, 'mask', mask),
      ],
      () => {
        const weights = aggregationWeightsUnchecked(params.lossAgg, mask, params);
        const grad = new Float64Array(weights.data.length);
        for (let i = 0; i < grad.length; i++) grad[i] = weights.data[i]! === 0 ? 0 : -params.coef * weights.data[i]!;
        // `0 − x`, not `−x`: an empty batch gives +0.
        return { loss: 0 - params.coef * weightedSum(weights, entropy.data), gradEntropy: { rows: mask.rows, cols: mask.cols, data: grad } };
      },
    );
