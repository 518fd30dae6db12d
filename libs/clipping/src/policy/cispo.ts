/**
 * CISPO, clipped importance-sampling-weight policy optimization:
 *
 *   ratio = exp(clamp(logp − oldLogp, −20, 20)),  w = sg(clamp(ratio, 1 − epsLow, 1 + epsHigh))
 *   l = −A·w·logp,  loss = agg(l)  (default token-mean)
 *
 * The weight is a constant for the gradient, so ∂l/∂logp = −A·w (times ∂agg/∂l) at every
 * token, clipped or not: no token's gradient is dropped. Metrics: clipFrac = masked mean of
 * [ratio < 1 − epsLow or ratio > 1 + epsHigh]; approxKl = masked mean (oldLogp − logp).
 * Typical bounds epsLow 0, epsHigh 4 (docs/algorithms.md §5).
 *
 * Reference: docs/algorithms.md §5 (`cispo`); MiniMax-M1 (arXiv:2506.13585), §3.1, eq. 4–5.
 */
import type * as E from 'fp-ts/lib/Either.js';
import { guarded, type StageError } from '@rlflow/core';
import { aggregationWeightsUnchecked } from '../aggregation.js';
import { boundAt, clamp, maskedMean, policyChecks, ratioAndDerivative } from './common.js';
import type { PolicyLossInput, PolicyLossParams, PolicyLossResult } from './types.js';

export const CISPO_TYPICAL_BOUNDS = { epsLow: 0, epsHigh: 4 } as const;

export const cispo =
  (params: PolicyLossParams) =>
  (input: PolicyLossInput): E.Either<StageError, PolicyLossResult> => {
    const lossAgg = params.lossAgg ?? 'token-mean';
    return guarded(policyChecks('policy.cispo', input, params, lossAgg, false), () => {
      const { logp, oldLogp, advantages, mask } = input;
      const weights = aggregationWeightsUnchecked(lossAgg, mask, params);
      const n = logp.data.length;
      const grad = new Float64Array(n);
      const clipped = new Uint8Array(n);
      let loss = 0;
      for (let i = 0; i < n; i++) {
        const { ratio } = ratioAndDerivative(logp.data[i]!, oldLogp.data[i]!);
        const lo = 1 - boundAt(params.epsLow, i);
        const hi = 1 + boundAt(params.epsHigh, i);
        clipped[i] = ratio < lo || ratio > hi ? 1 : 0;
        const isWeight = clamp(ratio, lo, hi);
        const w = weights.data[i]!;
        if (w !== 0) {
          const dl = -advantages.data[i]! * isWeight;
          loss += w * dl * logp.data[i]!;
          grad[i] = w * dl;
        }
      }
      return {
        loss,
        clipFrac: maskedMean(mask, (i) => clipped[i]!),
        approxKl: maskedMean(mask, (i) => oldLogp.data[i]! - logp.data[i]!),
        gradLogp: { rows: logp.rows, cols: logp.cols, data: grad },
      };
    });
  };
