/**
 * Built-in token-sum losses (the Tinker API's `importance_sampling`, `ppo`, `cispo`), and the
 * decision whether one reproduces rlflow's objective exactly on a mini-batch.
 *
 * The built-in losses, summed over every position t of every sequence (Tinker docs, "Loss
 * functions"; r_t = exp(logp_t − q_t), q the behaviour log-probs sent as `logprobs`, A_t the
 * per-token `advantages`, [lo, hi] = `clip_low_threshold`, `clip_high_threshold`):
 *
 *   importance_sampling   L = −Σ_t r_t·A_t                          ∂L/∂logp_t = −A_t·r_t
 *   ppo                   L = −Σ_t min(r_t·A_t, clamp(r_t, lo, hi)·A_t)
 *                                                  ∂L/∂logp_t = −A_t·r_t where r_t·A_t ≤ clamp(r_t)·A_t, else 0
 *   cispo                 L = −Σ_t sg(clamp(r_t, lo, hi))·A_t·logp_t  ∂L/∂logp_t = −A_t·clamp(r_t, lo, hi)
 *
 * rlflow's loss is L = Σ_t ω_t·l_t with ω = ∂agg/∂l ≥ 0 (aggregation.ts: token-mean,
 * seq-mean-token-mean, …; ω depends on the mask only). For ppo, l_t = max(−A·r, −A·clamp(r,
 * 1 − ε_low, 1 + ε_high)) = −min(A·r, A·clamp(r)); since ω_t ≥ 0, ω_t·l_t = −min(r·(ω_t·A),
 * clamp(r)·(ω_t·A)). So with scalar bounds, lo = 1 − ε_low, hi = 1 + ε_high and per-token
 * advantages A_t = ω_t·A_b (0 outside the mask), the built-in ppo sum is rlflow's PPO-clip
 * loss, value and gradient; likewise cispo (l = −A·sg(clamp(r))·logp). rlflow has no
 * REINFORCE-with-ratio loss, so `importance_sampling` is never chosen (the server computes it).
 *
 * Exact means: policy loss ppo or cispo (gspo's ratio is per sequence), no dual clip, scalar
 * bounds (fixed or clip-higher; not AAAC's per-token ones, and every masked token of the
 * mini-batch carries those bounds), no KL term, no entropy bonus, no PAPO term (one full-image
 * view). One difference remains: rlflow clamps the log-ratio to ±20 (LOG_RATIO_LIMIT) before
 * the exponential and the built-in losses do not; `ratioClampCorrection` gives the weights that
 * make up the difference at such tokens (there are none in practice: a ratio of e^20).
 */
import * as E from 'fp-ts/lib/Either.js';
import { FLOAT32_MAX, matrix, type Matrix } from '@rlflow/core';
import { aggregationWeightsUnchecked, LOG_RATIO_LIMIT, type LossAggregation, type PolicyLossName } from '@rlflow/clipping';
import type { BuiltinLossName, BuiltinLossRequest, BuiltinLossThresholds } from '../contract.js';
import type { ObjectiveConfig } from '../objective/types.js';

// ---- the built-in losses ------------------------------------------------------------------------

export interface BuiltinTokenTerm {
  readonly loss: number;
  /** ∂loss/∂logp at this token. */
  readonly gradLogp: number;
}

/** One token's built-in loss and its ∂/∂logp (formulas above). */
export const builtinTokenLoss = (
  loss: BuiltinLossName,
  thresholds: BuiltinLossThresholds | null,
  logp: number,
  samplingLogp: number,
  advantage: number,
): BuiltinTokenTerm => {
  if (advantage === 0) return { loss: 0, gradLogp: 0 };
  const ratio = Math.exp(logp - samplingLogp);
  if (loss === 'importance_sampling') return { loss: -ratio * advantage, gradLogp: -advantage * ratio };
  const { clipLow, clipHigh } = thresholds ?? { clipLow: -Infinity, clipHigh: Infinity };
  const clipped = Math.min(Math.max(ratio, clipLow), clipHigh);
  if (loss === 'cispo') return { loss: -clipped * advantage * logp, gradLogp: -advantage * clipped };
  const unclippedObjective = ratio * advantage;
  const clippedObjective = clipped * advantage;
  // Ties go to the unclipped branch, as rlflow's ppo does (and a tie's two gradients are equal).
  return unclippedObjective <= clippedObjective ? { loss: -unclippedObjective, gradLogp: -advantage * ratio } : { loss: -clippedObjective, gradLogp: 0 };
};

// ---- the decision -------------------------------------------------------------------------------

/** How the run's clip bounds are made: one pair for every token, or per token (AAAC). */
export type ClipBoundsSpec = { readonly kind: 'scalar'; readonly epsLow: number; readonly epsHigh: number } | { readonly kind: 'per-token'; readonly mode: string };

export interface BuiltinLossConfig {
  readonly objective: ObjectiveConfig;
  readonly clip: ClipBoundsSpec;
}

/** Why no built-in loss reproduces the objective (the gradient-by-log-prob path is used). */
export type BuiltinLossRefusal =
  | { readonly reason: 'policy-loss'; readonly policyLoss: PolicyLossName }
  | { readonly reason: 'dual-clip'; readonly dualClipC: number }
  | { readonly reason: 'per-token-bounds'; readonly mode: string }
  | { readonly reason: 'kl-term'; readonly coef: number }
  | { readonly reason: 'entropy-bonus'; readonly coef: number }
  | { readonly reason: 'masked-view' }
  | { readonly reason: 'bounds-differ'; readonly field: 'epsLow' | 'epsHigh'; readonly index: readonly [number, number] }
  | { readonly reason: 'not-finite'; readonly field: 'oldLogp' | 'advantages'; readonly index: readonly [number, number] };

export const describeBuiltinLossRefusal = (refusal: BuiltinLossRefusal): string => {
  switch (refusal.reason) {
    case 'policy-loss':
      return `algorithm.policyLoss is ${refusal.policyLoss}: no built-in loss has its ratio`;
    case 'dual-clip':
      return `clip.dualClipC is ${refusal.dualClipC}: no built-in loss has dual clip`;
    case 'per-token-bounds':
      return `clip.mode is ${refusal.mode}: per-token bounds, the built-in losses take scalar thresholds`;
    case 'kl-term':
      return `kl.coef is ${refusal.coef}: the built-in losses have no KL term`;
    case 'entropy-bonus':
      return `entropy.coef is ${refusal.coef}: the built-in losses have no entropy bonus`;
    case 'masked-view':
      return 'papo.enabled is true: the built-in losses have no masked-image term';
    case 'bounds-differ':
      return `batch.clipBounds.${refusal.field}[${refusal.index.join(', ')}] is not the config's scalar bound`;
    case 'not-finite':
      return `batch.${refusal.field}[${refusal.index.join(', ')}] is not a finite float32`;
  }
};

/** What a run's config allows: the built-in loss, its thresholds and the aggregation whose weights scale the advantages. */
export interface BuiltinLossPlan {
  readonly loss: BuiltinLossName;
  readonly thresholds: BuiltinLossThresholds;
  readonly epsLow: number;
  readonly epsHigh: number;
  readonly lossAgg: LossAggregation;
  readonly normConstant: number;
}

const BUILTIN_OF: Readonly<Record<PolicyLossName, BuiltinLossName | null>> = { ppo: 'ppo', cispo: 'cispo', gspo: null };

/** The built-in loss that reproduces a config's objective exactly, or the first reason none does. */
export const builtinLossPlan = ({ objective, clip }: BuiltinLossConfig): E.Either<BuiltinLossRefusal, BuiltinLossPlan> => {
  const loss = BUILTIN_OF[objective.policyLoss];
  if (loss === null) return E.left({ reason: 'policy-loss', policyLoss: objective.policyLoss });
  if (objective.dualClipC !== null) return E.left({ reason: 'dual-clip', dualClipC: objective.dualClipC });
  if (clip.kind === 'per-token') return E.left({ reason: 'per-token-bounds', mode: clip.mode });
  if (objective.kl.coef !== 0) return E.left({ reason: 'kl-term', coef: objective.kl.coef });
  if (objective.entropy.coef !== 0) return E.left({ reason: 'entropy-bonus', coef: objective.entropy.coef });
  if (objective.papo !== null) return E.left({ reason: 'masked-view' });
  return E.right({
    loss,
    thresholds: { clipLow: 1 - clip.epsLow, clipHigh: 1 + clip.epsHigh },
    epsLow: clip.epsLow,
    epsHigh: clip.epsHigh,
    lossAgg: objective.lossAgg,
    normConstant: objective.normConstant,
  });
};

/** A mini-batch's data the built-in request is made from (all [B, T] but the per-sequence advantages). */
export interface BuiltinLossBatch {
  readonly oldLogp: Matrix;
  readonly mask: Matrix;
  readonly advantages: Float64Array;
  readonly epsLow: number | Matrix;
  readonly epsHigh: number | Matrix;
}

/** The built-in request of one mini-batch (without its sequences). */
export interface BuiltinLossCall {
  readonly loss: BuiltinLossName;
  readonly thresholds: BuiltinLossThresholds;
  /** A_t = ω_t·A_b, ω = ∂agg/∂loss of the plan's aggregation; 0 outside the mask. */
  readonly advantages: Matrix;
  readonly samplingLogp: Matrix;
}

const boundAt = (bound: number | Matrix, i: number): number => (typeof bound === 'number' ? bound : bound.data[i]!);

/** The plan's request for a mini-batch, or why this mini-batch takes the gradient path. */
export const builtinLossCall = (plan: BuiltinLossPlan, batch: BuiltinLossBatch): E.Either<BuiltinLossRefusal, BuiltinLossCall> => {
  const { mask, oldLogp } = batch;
  const omega = aggregationWeightsUnchecked(plan.lossAgg, mask, { normConstant: plan.normConstant });
  const advantages = new Float64Array(mask.data.length);
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] !== 1) continue;
    const index = [Math.floor(i / mask.cols), i % mask.cols] as const;
    if (boundAt(batch.epsLow, i) !== plan.epsLow) return E.left({ reason: 'bounds-differ', field: 'epsLow', index });
    if (boundAt(batch.epsHigh, i) !== plan.epsHigh) return E.left({ reason: 'bounds-differ', field: 'epsHigh', index });
    if (!Number.isFinite(oldLogp.data[i]!)) return E.left({ reason: 'not-finite', field: 'oldLogp', index });
    const a = omega.data[i]! * batch.advantages[index[0]]!;
    if (!Number.isFinite(a) || Math.abs(a) > FLOAT32_MAX) return E.left({ reason: 'not-finite', field: 'advantages', index });
    advantages[i] = 0 + a;
  }
  return E.right({ loss: plan.loss, thresholds: plan.thresholds, advantages: matrix(mask.rows, mask.cols, advantages), samplingLogp: oldLogp });
};

/** The decision for one mini-batch: the built-in request, or the reason the gradient path is used. */
export const decideBuiltinLoss = (config: BuiltinLossConfig, batch: BuiltinLossBatch): E.Either<BuiltinLossRefusal, BuiltinLossCall> =>
  E.chain((plan: BuiltinLossPlan) => builtinLossCall(plan, batch))(builtinLossPlan(config));

/** The built-in loss of a call at `logp` (the token sum a server reports), with ∂/∂logp per token. */
export const builtinLossSum = (call: Pick<BuiltinLossRequest, 'loss' | 'thresholds' | 'advantages' | 'samplingLogp'>, logp: Matrix): { readonly loss: number; readonly gradLogp: Matrix } => {
  let loss = 0;
  const grad = new Float64Array(logp.data.length);
  for (let i = 0; i < logp.data.length; i++) {
    const term = builtinTokenLoss(call.loss, call.thresholds, logp.data[i]!, call.samplingLogp.data[i]!, call.advantages.data[i]!);
    loss += term.loss;
    grad[i] = term.gradLogp;
  }
  return { loss, gradLogp: matrix(logp.rows, logp.cols, grad) };
};

/**
 * Weights Δ = ∂L_rlflow/∂logp − ∂L_builtin/∂logp at the masked tokens whose log-ratio is
 * outside rlflow's clamp (|logp − q| > 20), 0 elsewhere; null when there is no such token. The
 * built-in gradient plus ∇θ Σ Δ·logp is rlflow's gradient there too.
 */
export const ratioClampCorrection = (call: BuiltinLossCall, logp: Matrix, mask: Matrix, objectiveGrad: Matrix): Matrix | null => {
  let delta: Float64Array | null = null;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] !== 1 || Math.abs(logp.data[i]! - call.samplingLogp.data[i]!) <= LOG_RATIO_LIMIT) continue;
    delta ??= new Float64Array(mask.data.length);
    delta[i] = objectiveGrad.data[i]! - builtinTokenLoss(call.loss, call.thresholds, logp.data[i]!, call.samplingLogp.data[i]!, call.advantages.data[i]!).gradLogp;
  }
  return delta === null ? null : matrix(mask.rows, mask.cols, delta);
};
