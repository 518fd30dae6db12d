/**
 * Loss aggregation (`lossAgg`), tensor form, float32:
 * `token-mean` Σ loss·mask / max(Σ mask, 1); `seq-mean-token-sum` mean over valid sequences of
 * Σ_t loss·mask; `seq-mean-token-mean` mean over valid sequences of Σ_t loss·mask / Σ_t mask;
 * `seq-mean-token-sum-norm` Σ loss·mask / C (default C = T). Computed as Σ w·loss with weights
 * from the mask alone, so the gradient with respect to the loss is exactly `w`.
 *
 * Reference: docs/algorithms.md §3. Inputs are [B, T] tensors owned by the caller.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { guarded, type StageError } from '@rlflow/core';
import { aggregationChecks, type AggregationOptions, type LossAggregation } from '@rlflow/clipping';
import { tensorTokenInputChecks } from '../validation.js';
import '../gradients.js';

/** ∂agg/∂loss per token as a [B, T] tensor (unchecked: the mask is 0/1 and the mode valid). */
export const aggregationWeightsTensorUnchecked = (mode: LossAggregation, mask: tf.Tensor2D, options: AggregationOptions = {}): tf.Tensor2D =>
  tf.tidy(() => weightsOf(mode, mask, options));

const weightsOf = (mode: LossAggregation, mask: tf.Tensor2D, options: AggregationOptions): tf.Tensor2D => {
  const cols = mask.shape[1];
  switch (mode) {
    case 'token-mean':
      return tf.div(mask, tf.maximum(tf.sum(mask), 1));
    case 'seq-mean-token-sum':
      return tf.div(mask, tf.maximum(tf.sum(tf.cast(tf.greater(tf.sum(mask, 1), 0), 'float32')), 1));
    case 'seq-mean-token-mean': {
      const perRow = tf.sum(mask, 1, true);
      const seqs = tf.maximum(tf.sum(tf.cast(tf.greater(perRow, 0), 'float32')), 1);
      return tf.div(mask, tf.mul(tf.maximum(perRow, 1), seqs));
    }
    case 'seq-mean-token-sum-norm':
      return tf.div(mask, options.normConstant ?? Math.max(cols, 1));
  }
};

/** Σ w·loss (unchecked). */
export const aggregateTensorUnchecked = (mode: LossAggregation, loss: tf.Tensor2D, mask: tf.Tensor2D, options: AggregationOptions = {}): tf.Scalar =>
  tf.tidy(() => tf.sum(tf.mul(loss, weightsOf(mode, mask, options))));

/** The aggregate of a per-token loss tensor under a mask tensor; a scalar the caller owns. */
export const aggregateTensor =
  (mode: LossAggregation, options: AggregationOptions = {}) =>
  (loss: tf.Tensor2D, mask: tf.Tensor2D): E.Either<StageError, tf.Scalar> =>
    guarded([...aggregationChecks('loss.aggregate', mode, options), ...tensorTokenInputChecks('loss.aggregate', [['loss', loss]], mask)], () =>
      aggregateTensorUnchecked(mode, loss, mask, options),
    );
