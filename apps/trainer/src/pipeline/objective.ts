/**
 * The run's objective and optimizer settings from its config (docs/algorithms.md §11): every
 * field of the objective comes from a config field with a documented default (docs/presets.md),
 * nothing is decided here behind the config's back.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';
import { buildObjective, builtinLossPlan, objectiveNeeds, type BuiltinLossConfig, type EngineCapabilities, type ObjectiveConfig, type OptimizerSettings, type UpdateSettings } from '@rlflow/engine';
import type { TrainConfig } from '../config/index.js';

/**
 * C of `seq-mean-token-sum-norm`: a number, the padded response width, or the generation budget.
 * The rollout pads every response to the generation budget, so the padded width is `maxNewTokens` too.
 */
const normConstantOf = (config: TrainConfig): number => {
  const c = config.algorithm.normConstant;
  return c === 'padded-length' || c === 'max-new-tokens' ? config.rollout.maxNewTokens : c;
};

export const objectiveConfig = (config: TrainConfig): ObjectiveConfig => ({
  policyLoss: config.algorithm.policyLoss,
  lossAgg: config.algorithm.lossAgg,
  normConstant: normConstantOf(config),
  dualClipC: config.clip.dualClipC,
  kl: { coef: config.kl.coef, estimator: config.kl.estimator, lossAgg: config.kl.lossAgg, sequenceWeights: config.apo.dads },
  papo: config.papo.enabled ? { gamma: config.papo.gamma, eta: config.papo.eta, lossAgg: config.papo.lossAgg } : null,
  entropy: { coef: config.entropy.coef, lossAgg: config.entropy.lossAgg },
});

/** The objective with how its clip bounds are made: what decides whether a built-in loss is it exactly (builtin-loss.ts). */
export const builtinLossConfig = (config: TrainConfig): BuiltinLossConfig => ({
  objective: objectiveConfig(config),
  clip: config.clip.mode === 'fixed' ? { kind: 'scalar', epsLow: config.clip.epsLow, epsHigh: config.clip.epsHigh } : { kind: 'per-token', mode: config.clip.mode },
});

/** Optimizer updates of the whole run: steps × mean K × mini-batches (the cosine schedule's horizon). */
export const plannedUpdates = (config: TrainConfig): number => {
  const { curriculum, steps } = config;
  return Math.max(1, Math.ceil(steps * curriculum.miniBatches * ((curriculum.kMin + curriculum.kMax) / 2)));
};

export const optimizerSettings = (config: TrainConfig): OptimizerSettings => {
  const { optimizer } = config;
  return {
    learningRate: optimizer.lr,
    warmupSteps: optimizer.warmupSteps,
    schedule: optimizer.schedule,
    totalSteps: plannedUpdates(config),
    minLearningRateRatio: 0.1,
    beta1: optimizer.betas[0],
    beta2: optimizer.betas[1],
    eps: optimizer.eps,
    weightDecay: optimizer.weightDecay,
    maxGradNorm: optimizer.maxGradNorm ?? 0,
  };
};

/** The update settings of step t (PAPO's masked views drawn from `maskSeed`). */
export const updateSettings = (config: TrainConfig, maskSeed: number): E.Either<StageError, UpdateSettings> =>
  E.map((objective: UpdateSettings['objective']) => ({
    objective,
    needs: objectiveNeeds(objectiveConfig(config)),
    entropyMetric: true,
    optimizer: optimizerSettings(config),
    maskedView: config.papo.enabled ? { probability: config.papo.maskProb, seed: maskSeed } : null,
    builtinLoss: builtinLossPlan(builtinLossConfig(config)),
  }))(buildObjective(objectiveConfig(config)));

/** A config the engine cannot run, refused before anything runs, naming the config field. */
export const capabilityProblems = (config: TrainConfig, capabilities: EngineCapabilities, engine: string): StageError[] => {
  const needs = objectiveNeeds(objectiveConfig(config));
  const refuse = (field: string, detail: string) => new StageError('config', field, null, 'invalid', `${detail}; the ${engine} engine cannot do it`);
  return [
    ...(needs.reference && !capabilities.reference ? [refuse('kl.coef', `is ${config.kl.coef}: the KL term needs a frozen reference policy`)] : []),
    ...(needs.maskedView && !capabilities.maskedImages ? [refuse('papo.enabled', 'is true: PAPO needs log-probs under a masked-image view')] : []),
    ...(needs.entropyWeights && !capabilities.entropyWeights ? [refuse('entropy.coef', `is ${config.entropy.coef}: the entropy bonus needs entropy-weighted gradients`)] : []),
  ];
};
