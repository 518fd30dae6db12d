/**
 * The value that flows through the algorithm stages. A batch holds B sequences (responses)
 * grouped by prompt; sequence-level fields are arrays of length B, per-token fields are
 * [B, T] matrices over the padded response length T. Stages return a new batch with the
 * fields they compute filled in; nothing is mutated.
 */
import type { Matrix } from './matrix.js';

export interface Batch {
  /** Group (prompt) index of each sequence, [B]. Sequences of a group need not be adjacent. */
  readonly groupIds: Int32Array;
  /** Stable identity of each sequence's prompt, [B], used for per-prompt difficulty tracking. */
  readonly promptKeys: readonly string[];
  /** Scalar reward of each sequence, [B]. */
  readonly rewards: Float64Array;
  /** 1 when the sequence's answer is correct, [B]. */
  readonly correct: Uint8Array;
  /** Response length in tokens, [B]. */
  readonly lengths: Int32Array;
  /** 1 for a response token that counts, [B, T]. */
  readonly mask: Matrix;
  /** Per-token log-probs under the behaviour (sampling) policy, [B, T]. */
  readonly oldLogp: Matrix;
  /** Per-token log-probs under the frozen reference policy, [B, T], when a KL term needs them. */
  readonly refLogp?: Matrix;
  /** Outcome advantage of each sequence, [B], broadcast to its tokens by the losses. */
  readonly advantages?: Float64Array;
  /** APO split: 1 for a positive sample (A > 0), [B]. */
  readonly positive?: Uint8Array;
  /** Per-sequence KL weights (APO DADS), [B]. */
  readonly klWeights?: Float64Array;
  /** Per-sequence advantage multipliers (APO STCR), [B]; already applied to `advantages`. */
  readonly advantageMultipliers?: Float64Array;
  /** Per-token clip bounds, [B, T]. */
  readonly clipBounds?: { readonly epsLow: Matrix; readonly epsHigh: Matrix };
}

/** Metrics of one optimizer step over a rollout batch, the input of the curriculum reducer. */
export interface StepSummary {
  readonly step: number;
  /** Prompt key and pass rate (fraction correct) of each group seen at this step, kept or not. */
  readonly groupPassRates: ReadonlyArray<{ readonly promptKey: string; readonly passRate: number }>;
  readonly keptGroups: number;
  readonly rejectedGroups: number;
  /** Masked mean of (oldLogp − logp) over the step's updates. */
  readonly approxKl: number;
  /** Fraction of tokens whose ratio was clipped. */
  readonly clipFrac: number;
  readonly rewardMean: number;
  readonly accuracy: number;
}
