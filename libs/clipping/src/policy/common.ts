/**
 * Pieces every policy loss shares (docs/algorithms.md §5): input and parameter checks, the ratio
 * `exp(clamp(logp − oldLogp, −20, 20))` with its derivative, clip bounds per token, and masked
 * means (`Σ x·mask / max(Σ mask, 1)`), in plain and tensor form.
 */
import * as tf from '@tensorflow/tfjs-core';
import { StageError, inRange, type Check, type Matrix } from '@rlflow/core';
import { aggregationChecks, type LossAggregation } from '../aggregation.js';
import { EPS_HIGH_RANGE, EPS_LOW_RANGE } from '../bounds.js';
import { boundChecks, tensorBoundChecks, tensorFinite, tensorRowsOrTokens, tensorTokenInputChecks, tokenInputChecks } from '../validation.js';
import type { PolicyLossInput, PolicyLossParams, PolicyLossTensorInput, PolicyLossTensorParams } from './types.js';

export const LOG_RATIO_LIMIT = 20;

const dualClipCheck = (stage: string, dualClipC: number | null | undefined, allowed: boolean): Check => () => {
  if (dualClipC == null) return undefined;
  if (!allowed) return new StageError(stage, 'dualClipC', null, 'invalid', `is ${dualClipC}, but dual clip applies to ppo only (use null)`);
  return inRange(stage, 'dualClipC', dualClipC, { min: 1, exclusiveMin: true })();
};

export const policyChecks = (stage: string, input: PolicyLossInput, params: PolicyLossParams, lossAgg: LossAggregation, dualClip: boolean): Check[] => [
  ...tokenInputChecks(
    stage,
    [
      ['logp', input.logp],
      ['oldLogp', input.oldLogp],
      ['advantages', input.advantages],
    ],
    input.mask,
  ),
  ...boundChecks(stage, 'epsLow', params.epsLow, 'logp', input.logp, EPS_LOW_RANGE),
  ...boundChecks(stage, 'epsHigh', params.epsHigh, 'logp', input.logp, EPS_HIGH_RANGE),
  ...aggregationChecks(stage, lossAgg, params),
  dualClipCheck(stage, params.dualClipC, dualClip),
];

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

/** A bound at flat token index i. */
export const boundAt = (bound: number | Matrix, i: number): number => (typeof bound === 'number' ? bound : bound.data[i]!);

/** `boundAt` with the number-or-matrix decision taken once. */
export const boundReader = (bound: number | Matrix): ((i: number) => number) => {
  if (typeof bound === 'number') return () => bound;
  const data = bound.data;
  return (i) => data[i]!;
};

/** ratio = exp(clamp(d, −20, 20)) and dratio/dlogp (ratio inside the clamp, else 0). */
export const ratioAndDerivative = (logp: number, oldLogp: number): { readonly ratio: number; readonly dRatio: number } => {
  const d = logp - oldLogp;
  const ratio = Math.exp(Math.min(Math.max(d, -LOG_RATIO_LIMIT), LOG_RATIO_LIMIT));
  return { ratio, dRatio: d >= -LOG_RATIO_LIMIT && d <= LOG_RATIO_LIMIT ? ratio : 0 };
};

export const clamp = (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi);

/** Σ x·mask / max(Σ mask, 1) with x given per flat index. */
export const maskedMean = (mask: Matrix, x: (i: number) => number): number => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] === 1) {
      s += x(i);
      n++;
    }
  }
  return s / Math.max(n, 1);
};

// ----- tensor forms (call inside a tidy scope) -----

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
