/**
 * Shared shapes of the policy losses (docs/algorithms.md §5): per-token inputs over a padded [B, T]
 * batch, clip bounds as numbers or per-token values, the loss with its metrics and its analytic
 * gradient ∂loss/∂logp.
 */
import type { Matrix } from '@rlflow/core';
import type { AggregationOptions, LossAggregation } from '../aggregation.js';

export const POLICY_LOSS_NAMES = ['ppo', 'gspo', 'cispo'] as const;
export type PolicyLossName = (typeof POLICY_LOSS_NAMES)[number];

/** Plain-number inputs, all [B, T]; `advantages` is the sequence advantage broadcast to its tokens. */
export interface PolicyLossInput {
  readonly logp: Matrix;
  readonly oldLogp: Matrix;
  readonly advantages: Matrix;
  readonly mask: Matrix;
}

export interface PolicyLossParams extends AggregationOptions {
  /** Lower clip bound, one number or per token [B, T] (e.g. from `aaac`). */
  readonly epsLow: number | Matrix;
  /** Upper clip bound, one number or per token [B, T]. */
  readonly epsHigh: number | Matrix;
  /** Dual-clip constant c > 1 (ppo only); null or absent: off. */
  readonly dualClipC?: number | null;
  /** Loss aggregation; default per loss (ppo, cispo: token-mean; gspo: seq-mean-token-mean). */
  readonly lossAgg?: LossAggregation;
}

export interface PolicyLossResult {
  readonly loss: number;
  /** Masked mean of the tokens whose ratio was clipped. */
  readonly clipFrac: number;
  /** ppo: masked mean of [l > −A·c and A < 0] (0 without dual clip). */
  readonly clipFracLower?: number;
  /** Masked mean of (oldLogp − logp). */
  readonly approxKl: number;
  /** ∂loss/∂logp per token, [B, T]. */
  readonly gradLogp: Matrix;
}
