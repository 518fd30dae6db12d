/**
 * The resolved training configuration: every field present, every value checked. The
 * trainer pipeline reads only this type; `resolveConfig` builds it from the defaults, a
 * preset, the user's file and `--set` overrides, in that order of precedence (last wins).
 */

export const ADVANTAGE_ESTIMATORS = ['grpo', 'drgrpo', 'rloo', 'reinforcepp_baseline'] as const;
export type AdvantageEstimatorName = (typeof ADVANTAGE_ESTIMATORS)[number];

export const POLICY_LOSSES = ['ppo', 'gspo', 'cispo'] as const;
export type PolicyLossName = (typeof POLICY_LOSSES)[number];

export const LOSS_AGGREGATIONS = ['token-mean', 'seq-mean-token-sum', 'seq-mean-token-mean', 'seq-mean-token-sum-norm'] as const;
export type LossAggName = (typeof LOSS_AGGREGATIONS)[number];

/** `padded-length`: T, the padded response length of the batch; `max-new-tokens`: `rollout.maxNewTokens`. */
export const NORM_CONSTANT_REFERENCES = ['padded-length', 'max-new-tokens'] as const;
export type NormConstant = number | (typeof NORM_CONSTANT_REFERENCES)[number];

export const KL_ESTIMATORS = ['k1', 'abs', 'k2', 'k3'] as const;
export type KlEstimatorName = (typeof KL_ESTIMATORS)[number];

export const CLIP_MODES = ['fixed', 'aaac'] as const;
export type ClipMode = (typeof CLIP_MODES)[number];

export const REUSE_SCHEDULES = ['constant', 'linear', 'cosine', 'step', 'adaptive'] as const;
export type ReuseScheduleKind = (typeof REUSE_SCHEDULES)[number];

export const TASK_FAMILIES = ['counting', 'comparison', 'arithmetic', 'chart', 'pattern'] as const;
export type TaskFamily = (typeof TASK_FAMILIES)[number];

export const TASK_LEVELS = [1, 2, 3, 4, 5] as const;

export const BACKENDS = ['auto', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const LR_SCHEDULES = ['constant', 'cosine'] as const;
export type LrScheduleKind = (typeof LR_SCHEDULES)[number];

export const PRESET_NAMES = ['grpo', 'drgrpo', 'dapo', 'ppo', 'gspo', 'cispo', 'papo', 'apo', 'acpo', 'acpo-apo'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface AlgorithmConfig {
  /** A label for the run's algorithm (the preset name by default); components are picked by the fields below. */
  readonly name: string;
  /** docs/algorithms.md §1. */
  readonly advantage: AdvantageEstimatorName;
  /** The eps of `grpo` and `reinforcepp_baseline` (docs/algorithms.md §1). */
  readonly advantageEps: number;
  /** docs/algorithms.md §5. */
  readonly policyLoss: PolicyLossName;
  /** Aggregation of the policy loss (docs/algorithms.md §3). */
  readonly lossAgg: LossAggName;
  /** C of `seq-mean-token-sum-norm`: a number, or a reference resolved by the pipeline. */
  readonly normConstant: NormConstant;
}

export interface RolloutConfig {
  /** G, responses sampled per prompt. */
  readonly groupSize: number;
  /** Groups in one step's rollout batch (after gating, when the gate is on). */
  readonly promptsPerStep: number;
  readonly maxNewTokens: number;
  readonly temperature: number;
  /** Nucleus sampling mass; 1 keeps every token. */
  readonly topP: number;
  /** Keep the k most likely tokens; 0 turns the filter off. */
  readonly topK: number;
  /** Sampling rounds per step to refill groups rejected by the gate (1: no refill). */
  readonly maxAttempts: number;
  readonly families: readonly TaskFamily[];
  readonly levels: readonly number[];
  /** A JSONL/Parquet prompt file used instead of the synthetic suite, or null. */
  readonly dataset: string | null;
}

export interface ClipConfig {
  /** docs/algorithms.md §4. */
  readonly mode: ClipMode;
  /** `fixed` bounds: ratio clamped to [1 − epsLow, 1 + epsHigh]. */
  readonly epsLow: number;
  readonly epsHigh: number;
  /** `aaac` parameters. */
  readonly epsLow0: number;
  readonly epsHigh0: number;
  readonly deltaLow: number;
  readonly deltaHigh: number;
  readonly kappa: number;
  /** Dual-clip constant c (> 1) for negative advantages, or null for none. */
  readonly dualClipC: number | null;
}

export interface KlConfig {
  /** 0: no KL term (and no reference policy needed). docs/algorithms.md §6. */
  readonly coef: number;
  readonly estimator: KlEstimatorName;
  readonly lossAgg: LossAggName;
}

export interface AdaptiveReuseTargets {
  /** Approximate KL (masked mean of oldLogp − logp) per step the adaptive schedule steers towards. */
  readonly targetKl: number;
  /** Clip fraction per step the adaptive schedule steers towards. */
  readonly targetClipFrac: number;
}

export interface CurriculumConfig {
  /** Gating filter on or off (docs/algorithms.md §8). */
  readonly gate: boolean;
  readonly tau: number;
  /** Keep a group iff 0 < #{r > tau} ≤ nMax; null means groupSize − 1. */
  readonly nMax: number | null;
  /** Sample reuse schedule K(t) (docs/algorithms.md §8). */
  readonly schedule: ReuseScheduleKind;
  readonly kMin: number;
  readonly kMax: number;
  readonly warmupFrac: number;
  readonly adaptive: AdaptiveReuseTargets;
  /** Mini-batches per pass over the rollout batch. */
  readonly miniBatches: number;
}

export interface ApoConfig {
  /** Difficulty-adaptive KL weights for positive samples (docs/algorithms.md §7). */
  readonly dads: boolean;
  /** Length regularization of negative samples (docs/algorithms.md §7). */
  readonly stcr: boolean;
  /** b in m = 1 + (1 − b^(−Δ)). */
  readonly stcrBase: number;
}

export interface PapoConfig {
  /** docs/algorithms.md §10. */
  readonly enabled: boolean;
  readonly gamma: number;
  readonly eta: number;
  readonly maskProb: number;
}

export interface OverlongConfig {
  /** DAPO overlong reward shaping (docs/algorithms.md §9). */
  readonly enabled: boolean;
  readonly maxLen: number;
  readonly bufferLen: number;
  readonly penaltyFactor: number;
}

export interface RewardConfig {
  /** λ, the weight of the format reward in the verifier's reward. */
  readonly formatWeight: number;
  readonly overlong: OverlongConfig;
}

export interface OptimizerConfig {
  /** AdamW. */
  readonly lr: number;
  readonly weightDecay: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  /** Linear warm-up from 0 over this many steps. */
  readonly warmupSteps: number;
  /** After warm-up: constant, or cosine decay to 0 at the last step. */
  readonly schedule: LrScheduleKind;
  /** Global gradient-norm clip, or null for none. */
  readonly maxGradNorm: number | null;
  /** Upper bound on tokens (prompt + response) in one forward/backward micro-batch. */
  readonly microBatchTokens: number;
}

export interface CheckpointConfig {
  /** Write a checkpoint every this many steps (0: only at the end and on a signal). */
  readonly every: number;
  /** Complete checkpoints kept; older ones are pruned. */
  readonly keep: number;
}

export interface EvalConfig {
  /** Evaluate every this many steps (0: never). */
  readonly every: number;
  /** Held-out problems per (family, level) cell. */
  readonly problemsPerCell: number;
  /**
   * Answers sampled per held-out problem at the rollout's temperature and top-p, for
   * `eval/sampled_accuracy` (avg@k: the policy's expected accuracy, the quantity RL raises);
   * 0: greedy evaluation only.
   */
  readonly samples: number;
  readonly families: readonly TaskFamily[];
  readonly levels: readonly number[];
}

export interface GuardConfig {
  /** Abort after this many consecutive updates skipped for a non-finite loss or gradient. */
  readonly maxNonFiniteInARow: number;
}

export interface TrainConfig {
  /** The preset the config was built on, or null. */
  readonly preset: PresetName | null;
  /** Optimizer steps; metrics rows and checkpoints are numbered 1 … steps (the state after that step). */
  readonly steps: number;
  readonly seed: number;
  readonly backend: BackendName;
  /** "sft": the default warm start; "scratch": random initialisation; otherwise a checkpoint directory. */
  readonly init: string;
  readonly algorithm: AlgorithmConfig;
  readonly rollout: RolloutConfig;
  readonly clip: ClipConfig;
  readonly kl: KlConfig;
  readonly curriculum: CurriculumConfig;
  readonly apo: ApoConfig;
  readonly papo: PapoConfig;
  readonly reward: RewardConfig;
  readonly optimizer: OptimizerConfig;
  readonly checkpoint: CheckpointConfig;
  readonly eval: EvalConfig;
  readonly guard: GuardConfig;
}
