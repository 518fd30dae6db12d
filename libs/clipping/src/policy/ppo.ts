/**
 * PPO clipped surrogate, with per-token or scalar bounds and optional dual clip:
 *
 *   ratio = exp(clamp(logp − oldLogp, −20, 20))
 *   pg1 = −A·ratio,  pg2 = −A·clamp(ratio, 1 − epsLow, 1 + epsHigh),  l = max(pg1, pg2)
 *   dual clip (c > 1): pg3 = −A·c, and for A < 0: l ← min(pg3, l)
 *   loss = agg(l)   (any §3 aggregation; default token-mean)
 *
 * Metrics: clipFrac = masked mean [pg2 > pg1]; clipFracLower = masked mean [l > pg3 and A < 0]
 * (0 without dual clip); approxKl = masked mean (oldLogp − logp).
 * Analytic gradient: ∂l/∂logp = −A·ratio where pg1 ≥ pg2 (ties go to pg1, as tfjs `maximum`;
 * PyTorch splits a tie in half between two equal branches, which sums to the same value) and the
 * log-ratio is inside its clamp; 0 where clipped (pg2 > pg1) or where dual clip holds l at pg3;
 * then times ∂agg/∂l.
 *
 * Reference: docs/algorithms.md §5 (`ppo`); Schulman et al. 2017, eq. 7; dual clip: Ye et al. 2020
 * (arXiv:1912.09729), as in verl `core_algos.compute_policy_loss_vanilla`.
 */
import type * as E from 'fp-ts/lib/Either.js';
import { guarded, type StageError } from '@rlflow/core';
import { aggregationWeightsUnchecked } from '../aggregation.js';
import { LOG_RATIO_LIMIT, boundReader, clamp, policyChecks } from './common.js';
import type { PolicyLossInput, PolicyLossParams, PolicyLossResult } from './types.js';

export const ppo =
  (params: PolicyLossParams) =>
  (input: PolicyLossInput): E.Either<StageError, PolicyLossResult> => {
    const lossAgg = params.lossAgg ?? 'token-mean';
    return guarded(policyChecks('policy.ppo', input, params, lossAgg, true), () => {
      const { logp, oldLogp, advantages, mask } = input;
      const weights = aggregationWeightsUnchecked(lossAgg, mask, params).data;
      const lowAt = boundReader(params.epsLow);
      const highAt = boundReader(params.epsHigh);
      const c = params.dualClipC ?? null;
      const n = logp.data.length;
      const grad = new Float64Array(n);
      let loss = 0;
      let valid = 0;
      let clipped = 0;
      let clippedLower = 0;
      let kl = 0;
      for (let i = 0; i < n; i++) {
        const a = advantages.data[i]!;
        const d = logp.data[i]! - oldLogp.data[i]!;
        const ratio = Math.exp(clamp(d, -LOG_RATIO_LIMIT, LOG_RATIO_LIMIT));
        const dRatio = d >= -LOG_RATIO_LIMIT && d <= LOG_RATIO_LIMIT ? ratio : 0;
        const pg1 = -a * ratio;
        const pg2 = -a * clamp(ratio, 1 - lowAt(i), 1 + highAt(i));
        let l = pg1 >= pg2 ? pg1 : pg2;
        let dl = pg1 >= pg2 ? -a * dRatio : 0;
        let lower = false;
        if (c !== null && a < 0 && l > -a * c) {
          lower = true;
          l = -a * c;
          dl = 0;
        }
        if (mask.data[i] === 1) {
          valid++;
          if (pg2 > pg1) clipped++;
          if (lower) clippedLower++;
          kl -= d;
        }
        const w = weights[i]!;
        if (w !== 0) {
          loss += w * l;
          grad[i] = w * dl;
        }
      }
      const tokens = Math.max(valid, 1);
      return {
        loss,
        clipFrac: clipped / tokens,
        clipFracLower: clippedLower / tokens,
        approxKl: kl / tokens,
        gradLogp: { rows: logp.rows, cols: logp.cols, data: grad },
      };
    });
  };
