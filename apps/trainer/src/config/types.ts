/**
 * The resolved training configuration: every field present, every value checked. The
 * trainer pipeline reads only this type; `resolveConfig` builds it from the defaults, a
 * preset, the user's file and `--set` overrides, in that order of precedence (last wins).
 *
 * A field that names a library's component takes the library's own type, and schema.ts builds its
 * codec from the library's own list (its registry's keys where the registry is an object), so a
 * component added to a library is accepted here with no edit. Only the choices the trainer makes
 * itself (clip modes, norm-constant references, presets) are listed in this file.
 */
import type { AdvantageEstimatorName } from '@rlflow/advantage';
import type { KlEstimator, LossAggregation, PolicyLossName } from '@rlflow/clipping';
import type { PromptSamplingStrategy, ReuseScheduleKind } from '@rlflow/curriculum';
import { LEARNING_RATE_SCHEDULES, type EntropyBonusConfig, type LearningRateScheduleName } from '@rlflow/engine';
import type { BackendChoice } from '@rlflow/policy';
import type { Family, HeldOutSplit, Level } from '@rlflow/rollout';
import type { EngineChoice } from '../engines.js';
import type { VisionTokenRuleName } from '@rlflow/tinker/vision-tokens';

/** `padded-length`: T, the padded response length of the batch; `max-new-tokens`: `rollout.maxNewTokens`. */
export const NORM_CONSTANT_REFERENCES = ['padded-length', 'max-new-tokens'] as const;
export type NormConstant = number | (typeof NORM_CONSTANT_REFERENCES)[number];

/** The clip-bound kernels the pipeline composes (docs/algorithms.md §4). */
export const CLIP_MODES = ['fixed', 'aaac'] as const;
export type ClipMode = (typeof CLIP_MODES)[number];

export interface RemoteConfig {
  /** The Tinker-API server's base URL (http://host:port); required with engine tinker. */
  readonly url: string | null;
  /** The base model to train; null takes the first the server lists. */
  readonly baseModel: string | null;
  readonly loraRank: number;
  /** How many positions an image takes: the built-in model's count, or a Qwen-VL processor's rule (libs/tinker vision-tokens.ts). */
  readonly imageTokens: 'builtin' | VisionTokenRuleName;
  /** A local Hugging Face tokenizer folder (tokenizer.json, tokenizer_config.json with chat_template): the model's own tokenizer and chat template; null: the built-in tokenizer. */
  readonly tokenizer: string | null;
  /** The remote model's input and output budgets (images resized to imageSize², prompt and response token limits); null: the built-in model's. */
  readonly imageSize: number | null;
  readonly maxPromptTokens: number | null;
  readonly maxResponseTokens: number | null;
  /** Long-poll request timeout, retry backoff and per-call deadline (ms). */
  readonly pollTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retryBaseDelayMs: number;
  readonly deadlineMs: number;
  /** Use the server's built-in losses (importance_sampling, ppo, cispo) where the objective is one exactly; false: always the gradient-by-log-prob path (docs/remote.md, "Built-in losses"). */
  readonly builtinLosses: boolean;
}

/** The learning-rate schedules of @rlflow/engine (schedule.ts). */
export const LR_SCHEDULES = LEARNING_RATE_SCHEDULES;
export type LrScheduleKind = LearningRateScheduleName;

/** One per file in apps/trainer/presets/ (the preset tests check the two agree). */
export const PRESET_NAMES = ['grpo', 'drgrpo', 'dapo', 'ppo', 'gspo', 'cispo', 'papo', 'apo', 'acpo', 'acpo-apo'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface TrainAlgorithmSection {
  /** A label for the run's algorithm (the preset name by default); components are picked by the fields below. */
  readonly name: string;
  /** docs/algorithms.md §1. */
  readonly advantage: AdvantageEstimatorName;
  /** The eps of `grpo` and `reinforcepp_baseline` (docs/algorithms.md §1). */
  readonly advantageEps: number;
  /** docs/algorithms.md §5. */
  readonly policyLoss: PolicyLossName;
  /** Aggregation of the policy loss (docs/algorithms.md §3). */
  readonly lossAgg: LossAggregation;
  /** C of `seq-mean-token-sum-norm`: a number, or a reference resolved by the pipeline. */
  readonly normConstant: NormConstant;
}

export interface TrainRolloutSection {
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
  readonly families: readonly Family[];
  readonly levels: readonly Level[];
  /** A JSONL/Parquet prompt file used instead of the synthetic suite, or null. */
  readonly dataset: string | null;
}

export interface TrainClipSection {
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

export interface TrainKlSection {
  /** 0: no KL term (and no reference policy needed). docs/algorithms.md §6. */
  readonly coef: number;
  readonly estimator: KlEstimator;
  /** Aggregation of the KL term, as configured (with DADS too: its weights scale each sequence's term). */
  readonly lossAgg: LossAggregation;
}

export interface TrainAdaptiveReuseSection {
  /** Approximate KL (masked mean of oldLogp − logp) per step the adaptive schedule steers towards. */
  readonly targetKl: number;
  /** Clip fraction per step the adaptive schedule steers towards. */
  readonly targetClipFrac: number;
}

export interface TrainCurriculumSection {
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
  readonly adaptive: TrainAdaptiveReuseSection;
  /** Mini-batches per pass over the rollout batch. */
  readonly miniBatches: number;
  /** Which train prompts each step draws (docs/algorithms.md §8, "Prompt sampling"). */
  readonly sampling: TrainPromptSamplingSection;
}

export interface TrainPromptSamplingSection {
  /** `fresh`: new prompts every step; `uniform` / `pass-rate`: a finite pool, ordered uniformly or by each prompt's pass-rate window. */
  readonly strategy: PromptSamplingStrategy;
  /** Prompts in the pool (distinct train problems drawn from the run seed). */
  readonly pool: number;
  /** `pass-rate`: the weight of an always- or never-solved prompt, in (0, 1]. */
  readonly floor: number;
}

export interface TrainApoSection {
  /** Difficulty-adaptive KL weights for positive samples (docs/algorithms.md §7). */
  readonly dads: boolean;
  /** Length regularization of negative samples (docs/algorithms.md §7). */
  readonly stcr: boolean;
  /** b in m = 1 + (1 − b^(−Δ)). */
  readonly stcrBase: number;
}

export interface TrainPapoSection {
  /** docs/algorithms.md §10. */
  readonly enabled: boolean;
  readonly gamma: number;
  readonly eta: number;
  readonly maskProb: number;
  /** Aggregation of the perception term −γ·agg(k3(logp, sg(maskedLogp))). */
  readonly lossAgg: LossAggregation;
}

/** The entropy bonus −coef·agg(H) added to the loss; coef 0: off (and no entropy-weighted gradients are needed). */
export type TrainEntropySection = EntropyBonusConfig;

export interface TrainOverlongSection {
  /** DAPO overlong reward shaping (docs/algorithms.md §9). */
  readonly enabled: boolean;
  readonly maxLen: number;
  readonly bufferLen: number;
  readonly penaltyFactor: number;
}

export interface TrainRewardSection {
  /** λ, the weight of the format reward in the verifier's reward. */
  readonly formatWeight: number;
  readonly overlong: TrainOverlongSection;
}

export interface TrainOptimizerSection {
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

export interface TrainCheckpointSection {
  /** Write a checkpoint every this many steps (0: only at the end and on a signal). */
  readonly every: number;
  /** Complete checkpoints kept; older ones are pruned. */
  readonly keep: number;
}

export interface TrainEvalSection {
  /** The held-out split: `validation` while settings are chosen, `test` only to report. */
  readonly split: HeldOutSplit;
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
  readonly families: readonly Family[];
  readonly levels: readonly Level[];
  /** A JSONL/Parquet file of held-out prompts answered instead of the suite's test split, or null. */
  readonly dataset: string | null;
}

export interface TrainGuardSection {
  /** Abort after this many consecutive updates skipped for a non-finite loss or gradient. */
  readonly maxNonFiniteInARow: number;
}

export interface TrainConfig {
  /** The preset the config was built on, or null. */
  readonly preset: PresetName | null;
  /** Optimizer steps; metrics rows and checkpoints are numbered 1 … steps (the state after that step). */
  readonly steps: number;
  readonly seed: number;
  /** The engine that computes the run (a name of the engine registry, apps/trainer/src/engines.ts). */
  readonly engine: EngineChoice;
  /** Where the TensorFlow.js engine computes (its backend). */
  readonly backend: BackendChoice;
  /** "sft" (= "sft:default") or "sft:RECIPE": a registered SFT warm start (sft/config.ts SFT_RECIPES), trained when not cached; "scratch": random initialisation; otherwise a checkpoint directory. */
  readonly init: string;
  /** The remote engine (`engine: tinker`): the server, its base model and the LoRA rank (docs/remote.md). */
  readonly remote: RemoteConfig;
  readonly algorithm: TrainAlgorithmSection;
  readonly rollout: TrainRolloutSection;
  readonly clip: TrainClipSection;
  readonly kl: TrainKlSection;
  readonly curriculum: TrainCurriculumSection;
  readonly apo: TrainApoSection;
  readonly papo: TrainPapoSection;
  readonly entropy: TrainEntropySection;
  readonly reward: TrainRewardSection;
  readonly optimizer: TrainOptimizerSection;
  readonly checkpoint: TrainCheckpointSection;
  readonly eval: TrainEvalSection;
  readonly guard: TrainGuardSection;
}
