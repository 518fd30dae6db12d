/**
 * Shapes of the tensor policy losses (docs/algorithms.md §5): float32 [B, T] inputs, clip bounds
 * as numbers or tensors broadcasting to [B, T], the loss and its metrics as scalars. The names
 * and the aggregation options are @rlflow/clipping's.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { AggregationOptions, LossAggregation } from '@rlflow/clipping';

/**
 * Tensor inputs (float32), all the caller's: `logp` [B, T] is what gets differentiated;
 * `oldLogp`, `mask` are [B, T]; `advantages` is [B, T] or [B, 1] (one per sequence, broadcast).
 */
export interface PolicyLossTensorInput {
  readonly logp: tf.Tensor2D;
  readonly oldLogp: tf.Tensor2D;
  readonly advantages: tf.Tensor2D;
  readonly mask: tf.Tensor2D;
}

export interface PolicyLossTensorParams extends AggregationOptions {
  /** A number, or a tensor broadcasting to [B, T] ([B, T] or [B, 1]), e.g. from `aaacTensor`. */
  readonly epsLow: number | tf.Tensor;
  readonly epsHigh: number | tf.Tensor;
  readonly dualClipC?: number | null;
  readonly lossAgg?: LossAggregation;
}

/** New scalars, the caller's to dispose; `loss` is differentiable with respect to `logp`. */
export type PolicyLossTensors = {
  readonly loss: tf.Scalar;
  readonly clipFrac: tf.Scalar;
  readonly clipFracLower?: tf.Scalar;
  readonly approxKl: tf.Scalar;
};
