/**
 * Supervised warm start: teacher-forced cross-entropy on the reference solutions,
 *
 *   L = −Σ_{i,t} log π_θ(y_{i,t} | image_i, prompt_i, y_{i,<t}) / N,   N = Σ_i |y_i|
 *
 * (the token-mean negative log-likelihood), y_i the tokens of problem i's
 * `<think>…</think><answer>…</answer>` plus end-of-sequence, minimised with AdamW (warm-up,
 * cosine decay: `learningRate` of the optimizer config) over `steps` batches of the train split.
 *
 * Through the engine contract: ∂L/∂logp[i,t] = −1/N for every response token, so one
 * forwardBackward with those weights accumulates ∇θ L (its surrogate Σ w·logp is L itself), and
 * optimStep applies it with the step's learning rate.
 */
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, matrix, type Matrix, type StageError } from '@rlflow/core';
import { FULL_VIEW, type AdamWParams, type Engine, type SequenceInput } from '@rlflow/engine';
import { learningRateAt } from '@rlflow/engine';
import { ACTIVE_DEVICE, type OptimizerConfig } from '@rlflow/policy';
import { loadEngineFactory, type EngineName } from '../engines.js';
import { REFERENCE_SFT_ENGINE, type SftConfig } from './config.js';
import { sftBatches } from './data.js';

export interface SftStep {
  /** 1-based. */
  readonly step: number;
  readonly loss: number;
  readonly seconds: number;
}

export interface SftTraining {
  /** The engine holding the trained policy; the caller owns it (dispose it). */
  readonly engine: Engine;
  readonly losses: readonly number[];
  readonly seconds: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** w = ∂L/∂logp of the token-mean negative log-likelihood: −1/N on every response token, [B, T]. */
export const supervisedWeights = (sequences: readonly SequenceInput[], width: number): Matrix => {
  const tokens = sequences.reduce((n, s) => n + s.responseTokens.length, 0);
  const weights = matrix(sequences.length, width);
  sequences.forEach((s, b) => weights.data.fill(-1 / Math.max(tokens, 1), b * width, b * width + s.responseTokens.length));
  return weights;
};

const adamW = (optimizer: OptimizerConfig, step: number): AdamWParams => ({
  learningRate: learningRateAt(optimizer, step),
  beta1: optimizer.beta1,
  beta2: optimizer.beta2,
  eps: optimizer.epsilon,
  weightDecay: optimizer.weightDecay,
  maxGradNorm: optimizer.maxGradNorm,
});

/**
 * Trains a fresh policy on a local engine (default the TensorFlow.js reference), on `device` (default: the backend the caller made active);
 * `onStep` sees every step (progress). Yields to the event loop between steps.
 */
export const trainSft = async (
  config: SftConfig,
  onStep: (step: SftStep) => void = () => undefined,
  device: string = ACTIVE_DEVICE,
  engineName: EngineName = REFERENCE_SFT_ENGINE,
): Promise<E.Either<StageError, SftTraining>> => {
  const batches = sftBatches(config);
  if (E.isLeft(batches)) return batches;
  const created = await (await loadEngineFactory(engineName))({
    init: { kind: 'seed', seed: deriveSeed(config.seed, 'sft/init') },
    model: config.policy,
    reference: false,
    tokenBudget: config.microBatchTokens,
    device,
  });
  if (E.isLeft(created)) return created;
  const engine = created.right;
  const started = performance.now();
  const losses: number[] = [];
  const fail = async (error: StageError): Promise<E.Either<StageError, SftTraining>> => {
    await engine.dispose();
    return E.left(error);
  };
  try {
    for (let step = 1; step <= config.steps; step++) {
      const stepStarted = performance.now();
      const sequences = batches.right.next().value as SequenceInput[];
      const width = Math.max(...sequences.map((s) => s.responseTokens.length));
      const pass = await engine.forwardBackward({ sequences, responseWidth: width, terms: [{ view: FULL_VIEW, logpWeights: supervisedWeights(sequences, width) }] });
      if (E.isLeft(pass)) return await fail(pass.left);
      const applied = await engine.optimStep(adamW(config.optimizer, engine.steps()));
      if (E.isLeft(applied)) return await fail(applied.left);
      losses.push(pass.right.surrogate);
      onStep({ step, loss: pass.right.surrogate, seconds: (performance.now() - stepStarted) / 1000 });
      await yieldToEventLoop();
    }
  } catch (error) {
    await engine.dispose();
    throw error;
  }
  return E.right({ engine, losses, seconds: (performance.now() - started) / 1000 });
};
