/**
 * Supervised warm start: teacher-forced cross-entropy on the reference solutions,
 *
 *   L = −Σ_{i,t} log π_θ(y_{i,t} | image_i, prompt_i, y_{i,<t}) / Σ_i |y_i|
 *
 * (the token-mean negative log-likelihood, `supervisedLoss` of libs/policy), y_i the tokens of
 * problem i's `<think>…</think><answer>…</answer>` plus end-of-sequence, minimised with AdamW
 * (warm-up, cosine decay) over `steps` batches of the train split.
 */
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, type StageError } from '@rlflow/core';
import { createPolicy, createTrainer, supervisedLoss, type Policy, type SequenceInput } from '@rlflow/policy';
import type { SftConfig } from './config.js';
import { sftBatches } from './data.js';

export interface SftStep {
  /** 1-based. */
  readonly step: number;
  readonly loss: number;
  readonly seconds: number;
}

export interface SftTraining {
  /** The trained policy; the caller owns it (dispose it). */
  readonly policy: Policy;
  readonly losses: readonly number[];
  readonly seconds: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Trains a fresh policy; `onStep` sees every step (progress). Yields to the event loop between steps. */
export const trainSft = async (config: SftConfig, onStep: (step: SftStep) => void = () => undefined): Promise<E.Either<StageError, SftTraining>> => {
  const batches = sftBatches(config);
  if (E.isLeft(batches)) return batches;
  const policy = createPolicy(config.policy, deriveSeed(config.seed, 'sft/init'));
  const trainer = createTrainer(policy, { optimizer: config.optimizer, microBatchTokens: config.microBatchTokens, klCoef: 0 });
  if (E.isLeft(trainer)) {
    policy.dispose();
    return trainer;
  }
  const started = performance.now();
  const losses: number[] = [];
  try {
    for (let step = 1; step <= config.steps; step++) {
      const stepStarted = performance.now();
      const sequences: SequenceInput[] = batches.right.next().value;
      const tokens = sequences.reduce((n, s) => n + (s.responseTokens?.length ?? 0), 0);
      const result = trainer.right.step(sequences, supervisedLoss(tokens));
      if (E.isLeft(result)) {
        policy.dispose();
        return result;
      }
      losses.push(result.right.loss);
      onStep({ step, loss: result.right.loss, seconds: (performance.now() - stepStarted) / 1000 });
      await yieldToEventLoop();
    }
  } catch (error) {
    policy.dispose();
    throw error;
  } finally {
    trainer.right.dispose();
  }
  return E.right({ policy, losses, seconds: (performance.now() - started) / 1000 });
};
