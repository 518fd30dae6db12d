/**
 * The defaults every configuration is merged over: GRPO (docs/algorithms.md §1, §5, §6) at a size the
 * CPU demo can run (8 prompts × G = 8, responses ≤ 32 tokens). Presets change the algorithm;
 * these values fill in everything a preset or a user's file leaves out.
 */
import { DEFAULT_SAMPLING_FLOOR } from '@rlflow/curriculum';
import { FAMILIES, LEVELS } from '@rlflow/rollout';
import type { TrainConfig } from './types.js';

/** STCR base for responses of ≤ 32 tokens: m(Δ = 10) = 2 − b^(−10) ≈ 1.5 (b = 2^(1/10) ≈ 1.0718). */
export const TASK_STCR_BASE = 1.0718;

export const DEFAULT_CONFIG: TrainConfig = {
  preset: null,
  steps: 200,
  seed: 0,
  engine: 'tfjs',
  backend: 'auto',
  init: 'sft',
  remote: { url: null, baseModel: null, loraRank: 32, imageTokens: 'builtin', tokenizer: null, imageSize: null, maxPromptTokens: null, maxResponseTokens: null, pollTimeoutMs: 45_000, requestTimeoutMs: 60_000, retryBaseDelayMs: 250, deadlineMs: 900_000, builtinLosses: true },
  algorithm: {
    name: 'grpo',
    advantage: 'grpo',
    advantageEps: 1e-6,
    policyLoss: 'ppo',
    lossAgg: 'token-mean',
    normConstant: 'padded-length',
  },
  rollout: {
    groupSize: 8,
    promptsPerStep: 8,
    maxNewTokens: 32,
    temperature: 1,
    topP: 1,
    topK: 0,
    maxAttempts: 4,
    families: FAMILIES,
    levels: LEVELS,
    dataset: null,
  },
  clip: {
    mode: 'fixed',
    epsLow: 0.2,
    epsHigh: 0.2,
    epsLow0: 0.2,
    epsHigh0: 0.28,
    deltaLow: 0.5,
    deltaHigh: 0.12,
    kappa: 1,
    dualClipC: null,
  },
  kl: { coef: 1e-3, estimator: 'k3', lossAgg: 'token-mean' },
  curriculum: {
    gate: false,
    tau: 0.5,
    nMax: null,
    schedule: 'constant',
    kMin: 1,
    kMax: 1,
    warmupFrac: 0.1,
    adaptive: { targetKl: 0.02, targetClipFrac: 0.2 },
    miniBatches: 1,
    sampling: { strategy: 'fresh', pool: 256, floor: DEFAULT_SAMPLING_FLOOR },
  },
  apo: { dads: false, stcr: false, stcrBase: TASK_STCR_BASE },
  papo: { enabled: false, gamma: 0.01, eta: 0.03, maskProb: 0.6, lossAgg: 'token-mean' },
  entropy: { coef: 0, lossAgg: 'token-mean' },
  reward: {
    formatWeight: 0.5,
    overlong: { enabled: false, maxLen: 32, bufferLen: 6, penaltyFactor: 1 },
  },
  optimizer: {
    lr: 5e-5,
    weightDecay: 0.01,
    betas: [0.9, 0.999],
    eps: 1e-8,
    warmupSteps: 0,
    schedule: 'constant',
    maxGradNorm: 1,
    microBatchTokens: 8192,
  },
  checkpoint: { every: 50, keep: 3 },
  eval: { split: 'test', every: 50, problemsPerCell: 8, samples: 0, families: FAMILIES, levels: LEVELS, dataset: null },
  guard: { maxNonFiniteInARow: 3 },
};
