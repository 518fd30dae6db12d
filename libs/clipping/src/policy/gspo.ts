/**
 * GSPO, sequence-level importance ratio:
 *
 *   log s_i = Σ_t mask·(logp − oldLogp) / max(Σ_t mask, 1)
 *   log ratio_{i,t} = min(logp − sg(logp) + sg(log s_i), 10)     (value log s_i, clamped above at 10)
 *   l = max(−A·ratio, −A·clamp(ratio, 1 − epsLow, 1 + epsHigh)),  loss = agg(l), agg = seq-mean-token-mean
 *
 * so every token of sequence i carries the value s_i, and logp_{i,t} gets gradient only through
 * its own term: ∂ratio_{i,t}/∂logp_{i,t} = ratio (0 where log s_i > 10). Analytic gradient:
 * −A·ratio where the unclipped branch is taken (pg1 ≥ pg2), 0 where clipped, times ∂agg/∂l.
 * Metrics: clipFrac = masked mean [pg2 > pg1]; approxKl = masked mean (oldLogp − logp).
 * Typical bounds 3e-4 / 4e-4.
 *
 * Reference: docs/algorithms.md §5 (`gspo`); Zheng et al. 2025, "Group Sequence Policy Optimization"
 * (arXiv:2507.18071), GSPO-token, eq. 13–14; verl `core_algos.compute_policy_loss_gspo`.
 */
import type * as E from 'fp-ts/lib/Either.js';
import { guarded, type Matrix, type StageError } from '@rlflow/core';
import { aggregationWeightsUnchecked, rowCounts } from '../aggregation.js';
import { boundAt, clamp, maskedMean, policyChecks } from './common.js';
import type { PolicyLossInput, PolicyLossParams, PolicyLossResult } from './types.js';

export const GSPO_LOG_RATIO_MAX = 10;
export const GSPO_TYPICAL_BOUNDS = { epsLow: 3e-4, epsHigh: 4e-4 } as const;

/** log s_i per sequence: the masked mean of logp − oldLogp over its tokens (0 for none). */
export const sequenceLogRatios = (logp: Matrix, oldLogp: Matrix, mask: Matrix): Float64Array => {
  const { perRow } = rowCounts(mask);
  const out = new Float64Array(logp.rows);
  for (let r = 0; r < logp.rows; r++) {
    let s = 0;
    for (let c = 0; c < logp.cols; c++) {
      const i = r * logp.cols + c;
      if (mask.data[i] === 1) s += logp.data[i]! - oldLogp.data[i]!;
    }
    out[r] = s / Math.max(perRow[r]!, 1);
  }
  return out;
};

export const gspo =
  (params: PolicyLossParams) =>
  (input: PolicyLossInput): E.Either<StageError, PolicyLossResult> => {
    const lossAgg = params.lossAgg ?? 'seq-mean-token-mean';
    return guarded(policyChecks('policy.gspo', input, params, lossAgg, false), () => {
      const { logp, oldLogp, advantages, mask } = input;
      const weights = aggregationWeightsUnchecked(lossAgg, mask, params);
      const logS = sequenceLogRatios(logp, oldLogp, mask);
      const grad = new Float64Array(logp.data.length);
      const clipped = new Uint8Array(logp.data.length);
      let loss = 0;
      for (let r = 0; r < logp.rows; r++) {
        const ratio = Math.exp(Math.min(logS[r]!, GSPO_LOG_RATIO_MAX));
        const dRatio = logS[r]! <= GSPO_LOG_RATIO_MAX ? ratio : 0;
        for (let c = 0; c < logp.cols; c++) {
          const i = r * logp.cols + c;
          const a = advantages.data[i]!;
          const pg1 = -a * ratio;
          const pg2 = -a * clamp(ratio, 1 - boundAt(params.epsLow, i), 1 + boundAt(params.epsHigh, i));
          clipped[i] = pg2 > pg1 ? 1 : 0;
          const w = weights.data[i]!;
          if (w !== 0) {
            loss += w * (pg1 >= pg2 ? pg1 : pg2);
            grad[i] = pg1 >= pg2 ? w * -a * dRatio : 0;
          }
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
