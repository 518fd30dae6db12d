/**
 * Loss closures and helpers built on the engine's differentiable outputs.
 *
 * - `supervisedLoss(totalTokens)`: SFT cross-entropy, −Σ_{i,t} logp[i,t] / N over the whole
 *   batch (N = its response tokens; logp is already 0 beyond each response), summed over
 *   micro-batches by the trainer, so it equals the token-mean negative log-likelihood.
 * - `stopGradient(x)`: x in the forward pass, zero gradient (sg(·) in ALGORITHMS.md §5, §10).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LossFn } from './trainer.js';

export const supervisedLoss =
  (totalTokens: number): LossFn =>
  ({ logp }) =>
    tf.div(tf.neg(tf.sum(logp)), Math.max(totalTokens, 1));

export const stopGradient = <T extends tf.Tensor>(x: T): T => {
  const op = tf.customGrad((...args: Array<tf.Tensor | ((save: tf.Tensor[]) => void)>) => {
    const input = args[0] as T;
    return { value: tf.clone(input), gradFunc: (dy: T) => tf.zerosLike(dy) };
  });
  return op(x) as T;
};
