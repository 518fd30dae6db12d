/**
 * Pieces every tensor policy loss shares (docs/algorithms.md §5), float32, to be called inside a
 * tidy scope: the input and parameter checks, the ratio `exp(clamp(logp − oldLogp, −20, 20))`,
 * `clamp(ratio, 1 − epsLow, 1 + epsHigh)` with number or tensor bounds, and masked means
 * `Σ x·mask / max(Σ mask, 1)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Check } from '@rlflow/core';
import { EPS_HIGH_RANGE, EPS_LOW_RANGE, LOG_RATIO_LIMIT, aggregationChecks, dualClipCheck, type LossAggregation } from '@rlflow/clipping';
import { tensorBoundChecks, tensorFinite, tensorRowsOrTokens, tensorTokenInputChecks } from '../../validation.js';
import type { PolicyLossTensorInput, PolicyLossTensorParams } from './types.js';

export const policyTensorChecks = (
  stage: string,
  input: PolicyLossTensorInput,
  params: PolicyLossTensorParams,
  lossAgg: LossAggregation,
  dualClip: boolean,
): Check[] => [
  ...tensorTokenInputChecks(
    stage,
    [
      ['logp', input.logp],
      ['oldLogp', input.oldLogp],
    ],
    input.mask,
  ),
  tensorRowsOrTokens(stage, 'advantages', input.advantages, 'logp', input.logp),
  tensorFinite(stage, 'advantages', input.advantages),
  ...tensorBoundChecks(stage, 'epsLow', params.epsLow, 'logp', input.logp, EPS_LOW_RANGE),
  ...tensorBoundChecks(stage, 'epsHigh', params.epsHigh, 'logp', input.logp, EPS_HIGH_RANGE),
  ...aggregationChecks(stage, lossAgg, params),
  dualClipCheck(stage, params.dualClipC, dualClip),
];

export const ratioTensor = (logp: tf.Tensor, oldLogp: tf.Tensor): tf.Tensor =>
  tf.exp(tf.clipByValue(tf.sub(logp, oldLogp), -LOG_RATIO_LIMIT, LOG_RATIO_LIMIT));

/**
 * `x` at the full shape of `like` (a [B, 1] column repeated over the tokens). The wasm backend
 * broadcasts a column fast only in add/sub/mul/div and 50–100× slower in maximum, minimum and
 * comparisons, so a column is expanded once, by a broadcast add, before those. (`tf.zeros`, not
 * `zerosLike(like)`: nothing here may depend on `logp` and so enter the gradient tape.)
 */
export const expandTo = (x: tf.Tensor, like: tf.Tensor): tf.Tensor =>
  tf.util.arraysEqual(x.shape, like.shape) ? x : tf.add(tf.zeros(like.shape), x);

const expandBound = (bound: number | tf.Tensor, like: tf.Tensor): number | tf.Tensor => (typeof bound === 'number' ? bound : expandTo(bound, like));

/** clamp(ratio, 1 − epsLow, 1 + epsHigh) with number or tensor bounds; the derivative passes inside [lo, hi]. */
export const clampRatioTensor = (ratio: tf.Tensor, epsLow: number | tf.Tensor, epsHigh: number | tf.Tensor): tf.Tensor =>
  typeof epsLow === 'number' && typeof epsHigh === 'number'
    ? tf.clipByValue(ratio, 1 - epsLow, 1 + epsHigh)
    : tf.minimum(tf.maximum(ratio, tf.sub(1, expandBound(epsLow, ratio))), tf.add(1, expandBound(epsHigh, ratio)));

/** [ratio < 1 − epsLow or ratio > 1 + epsHigh] as 0/1 float32. */
export const outsideBoundsTensor = (ratio: tf.Tensor, epsLow: number | tf.Tensor, epsHigh: number | tf.Tensor): tf.Tensor =>
  tf.cast(tf.logicalOr(tf.less(ratio, tf.sub(1, expandBound(epsLow, ratio))), tf.greater(ratio, tf.add(1, expandBound(epsHigh, ratio)))), 'float32');

export const maskedMeanTensor = (x: tf.Tensor, mask: tf.Tensor): tf.Scalar => tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1));

/** masked mean of (oldLogp − logp). */
export const approxKlTensor = (logp: tf.Tensor, oldLogp: tf.Tensor, mask: tf.Tensor): tf.Scalar => maskedMeanTensor(tf.sub(oldLogp, logp), mask);
