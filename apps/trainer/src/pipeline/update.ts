/**
 * The optimisation phase of a step (ACPO §8 sample reuse): K(t) passes over the rollout batch,
 * each pass a seeded shuffle of its sequences cut into `miniBatches` mini-batches, one optimizer
 * step per mini-batch. K = 1 with one mini-batch is on-policy (ratio ≡ 1 at the only update);
 * larger K reuses the batch off-policy, with the clipped ratio bounding the drift.
 *
 * A non-finite loss or gradient skips that update (the engine applies nothing) and is counted.
 */
import * as E from 'fp-ts/lib/Either.js';
import { Rng, type Batch, type Matrix, type StageError } from '@rlflow/core';
import type { SequenceInput, StepResult, Trainer } from '@rlflow/policy';

/** What the updates need of the engine's trainer. */
export type UpdateTrainer = Pick<Trainer, 'step'>;
import type { TrainConfig } from '../config/index.js';
import { addUpdateMetrics, emptyUpdateMetrics, meanUpdateMetrics, updateLoss, type UpdateMetrics } from './loss.js';

export interface UpdatePlan {
  /** Rows of each mini-batch, in update order. */
  readonly miniBatches: readonly (readonly number[])[];
}

/** K passes × `miniBatches` mini-batches over `size` rows, shuffled per pass from `seed`. */
export const planUpdates = (size: number, reuse: number, miniBatches: number, seed: number): UpdatePlan => {
  const rng = Rng.fromSeed(seed);
  const rows = Array.from({ length: size }, (_, i) => i);
  const parts = Math.max(1, Math.min(miniBatches, size));
  const out: number[][] = [];
  for (let pass = 0; pass < reuse; pass++) {
    const order = rng.shuffle(rows);
    for (let m = 0; m < parts; m++) {
      const part = order.slice(Math.floor((m * size) / parts), Math.floor(((m + 1) * size) / parts));
      out.push(part.sort((a, b) => a - b));
    }
  }
  return { miniBatches: out };
};

export interface UpdateOutcome {
  readonly updates: number;
  readonly skipped: readonly StageError[];
  readonly metrics: Omit<UpdateMetrics, 'weight'>;
  readonly gradNorm: number;
  readonly learningRate: number;
  readonly tokens: number;
}

export interface UpdateInputs {
  readonly config: TrainConfig;
  readonly trainer: UpdateTrainer;
  readonly batch: Batch;
  readonly sequences: readonly SequenceInput[];
  readonly refLogp: Matrix | undefined;
  readonly plan: UpdatePlan;
  readonly maskSeed: number;
}

export const runUpdates = ({ config, trainer, batch, sequences, refLogp, plan, maskSeed }: UpdateInputs): UpdateOutcome => {
  const metrics = emptyUpdateMetrics();
  const skipped: StageError[] = [];
  let gradNorm = 0;
  let learningRate = 0;
  let tokens = 0;
  let applied = 0;
  plan.miniBatches.forEach((mini, index) => {
    const recorded = emptyUpdateMetrics();
    const loss = updateLoss({ config, batch, refLogp, mini, metrics: recorded });
    const result: E.Either<StageError, StepResult> = trainer.step(
      mini.map((r) => sequences[r]!),
      loss,
      {
        responseWidth: batch.mask.cols,
        ...(config.papo.enabled ? { maskedImages: { probability: config.papo.maskProb, seed: maskSeed + index } } : {}),
      },
    );
    if (E.isLeft(result)) {
      skipped.push(result.left);
      return;
    }
    applied++;
    addUpdateMetrics(metrics, recorded);
    gradNorm += result.right.gradNorm;
    learningRate = result.right.learningRate;
    tokens += result.right.tokens;
  });
  return {
    updates: applied,
    skipped,
    metrics: meanUpdateMetrics(metrics, applied),
    gradNorm: applied > 0 ? gradNorm / applied : 0,
    learningRate,
    tokens,
  };
};
