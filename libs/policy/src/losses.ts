/**
 * `supervisedLoss(totalTokens)`: SFT cross-entropy, −Σ_{i,t} logp[i,t] / N over the whole batch
 * (N = its response tokens; logp is already 0 beyond each response), summed over micro-batches
 * by the trainer, so it equals the token-mean negative log-likelihood. (The RL losses and
 * `stopGradient` live in @rlflow/policy/tensor.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LossFn } from './trainer.js';

export const supervisedLoss =
  (totalTokens: number): LossFn =>
  ({ logp }) =>
    tf.div(tf.neg(tf.sum(logp)), Math.max(totalTokens, 1));
