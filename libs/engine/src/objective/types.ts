/**
 * The shapes of the objective (docs/algorithms.md §3, §5, §6, §10; docs/architecture.md,
 * "Engines: the gradient-by-log-prob contract"):
 *
 *   L = agg(l_policy(logp, oldLogp, A; ε_low, ε_high))                          policy loss (§5)
 *     + kl.coef · agg_kl(k(logp, refLogp); w_i)                                  KL term (§6), w_i = DADS weights when on
 *     − γ · agg_papo(k3(logp, sg(maskedLogp))) + η·(−mean logp) + η·(−mean maskedLogp)   PAPO (§10)
 *     − entropy.coef · agg_H(H)                                                  entropy bonus
 *
 * computed in float64 over one mini-batch, returning L, ∂L/∂logp, ∂L/∂maskedLogp, ∂L/∂H and the
 * metrics. Every choice is a field here; nothing is decided behind the config's back.
 */
import type * as E from 'fp-ts/lib/Either.js';
import type { Matrix, StageError } from '@rlflow/core';
import type { KlEstimator, LossAggregation, PolicyLossName } from '@rlflow/clipping';

export interface KlTermConfig {
  /** 0 turns the term off (and no reference is needed). */
  readonly coef: number;
  readonly estimator: KlEstimator;
  readonly lossAgg: LossAggregation;
  /** Weight each sequence's KL by its DADS weight (APO, §7); the input must then carry `klWeights`. */
  readonly sequenceWeights: boolean;
}

export interface PapoTermConfig {
  /** Weight of the perception term −γ·agg(k3(logp, sg(maskedLogp))). */
  readonly gamma: number;
  /** Weight of each entropy term η·(−mean logp) and η·(−mean maskedLogp). */
  readonly eta: number;
  readonly lossAgg: LossAggregation;
}

export interface EntropyBonusConfig {
  /** 0 turns the bonus off (and no entropies are needed). */
  readonly coef: number;
  readonly lossAgg: LossAggregation;
}

export interface ObjectiveConfig {
  readonly policyLoss: PolicyLossName;
  readonly lossAgg: LossAggregation;
  /** C of `seq-mean-token-sum-norm` (already resolved to a number). */
  readonly normConstant: number;
  /** Dual-clip constant c > 1 (ppo only); null: off. */
  readonly dualClipC: number | null;
  readonly kl: KlTermConfig;
  /** null: PAPO's terms are off (and no masked view is needed). */
  readonly papo: PapoTermConfig | null;
  readonly entropy: EntropyBonusConfig;
}

/** One mini-batch; every matrix is [B, T] with the same mask. */
export interface ObjectiveInput {
  readonly logp: Matrix;
  readonly oldLogp: Matrix;
  readonly mask: Matrix;
  /** One advantage per sequence, broadcast to its tokens. */
  readonly advantages: Float64Array;
  /** Clip bounds: numbers, or per token [B, T] (AAAC). */
  readonly epsLow: number | Matrix;
  readonly epsHigh: number | Matrix;
  /** Required when kl.coef ≠ 0. */
  readonly refLogp?: Matrix;
  /** Required when kl.sequenceWeights: one weight per sequence. */
  readonly klWeights?: Float64Array;
  /** Required when papo is on: log-probs under the masked-image view. */
  readonly maskedLogp?: Matrix;
  /** Required when entropy.coef ≠ 0. */
  readonly entropy?: Matrix;
}

export interface ObjectiveMetrics {
  readonly pgLoss: number;
  readonly clipFrac: number;
  readonly approxKl: number;
  /** The KL term as it enters L (coef included); 0 when off. */
  readonly klLoss: number;
  /** PAPO's terms as they enter L; 0 when off. */
  readonly papoLoss: number;
  /** The entropy bonus as it enters L; 0 when off. */
  readonly entropyLoss: number;
  /** Masked mean entropy, when entropies were given; else null. */
  readonly entropy: number | null;
}

export interface ObjectiveOutput {
  readonly loss: number;
  /** ∂L/∂logp, [B, T]. */
  readonly gradLogp: Matrix;
  /** ∂L/∂maskedLogp, [B, T], when PAPO is on; else null. */
  readonly gradMaskedLogp: Matrix | null;
  /** ∂L/∂H, [B, T], when the entropy bonus is on; else null. */
  readonly gradEntropy: Matrix | null;
  readonly metrics: ObjectiveMetrics;
}

/** What an objective needs from the engine, so a run can be refused before it starts. */
export interface ObjectiveNeeds {
  readonly reference: boolean;
  readonly maskedView: boolean;
  readonly entropyWeights: boolean;
}

export type Objective = (input: ObjectiveInput) => E.Either<StageError, ObjectiveOutput>;
