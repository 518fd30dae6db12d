/**
 * KL estimators and KL loss, tensor form (float32, gradient by tfjs autodiff):
 * k1 = d, abs = d·sg(sign d) (derivative sign(d), 0 at 0), k2 = ½d², with d = logp − refLogp;
 * k3 = clamp(expm1(δ) − δ, −10, 10), δ = clamp(refLogp − logp, −20, 20);
 * klLoss = coef · agg(w_i · k), agg `token-mean` by default, `seq-mean-token-mean` with
 * per-sequence weights w_i (= coef · mean_i(w_i Σ_t mask·k / Σ_t mask)).
 *
 * Reference: docs/algorithms.md §2, §6. `logp` is the tensor to differentiate; `refLogp` and `mask`
 * are [B, T] tensors, `seqWeights` plain numbers [B]; all are the caller's. Only the returned
 * tensors are new, and they are the caller's to dispose.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { guarded, type StageError } from '@rlflow/core';
import { KL_ESTIMATORS, klLossAggregation, klLossParamChecks, oneOf, type KlEstimator, type KlLossParams } from '@rlflow/clipping';
import { tensorTokenInputChecks } from '../validation.js';
import { aggregationWeightsTensorUnchecked } from './aggregation.js';
import '../gradients.js';

/** One estimator (unchecked: same shapes, finite values). */
export const klEstimateTensorUnchecked = (estimator: KlEstimator, logp: tf.Tensor2D, refLogp: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy(() => estimate(estimator, logp, refLogp));

const estimate = (estimator: KlEstimator, logp: tf.Tensor2D, refLogp: tf.Tensor2D): tf.Tensor2D => {
  switch (estimator) {
    case 'k1':
      return tf.sub(logp, refLogp);
    case 'abs': {
      const d = tf.sub(logp, refLogp);
      return tf.mul(d, tf.sign(d));
    }
    case 'k2':
      return tf.mul(tf.square(tf.sub(logp, refLogp)), 0.5);
    case 'k3': {
      const delta = tf.clipByValue(tf.sub<tf.Tensor2D>(refLogp, logp), -20, 20);
      return tf.clipByValue(tf.sub<tf.Tensor2D>(tf.expm1(delta), delta), -10, 10);
    }
  }
};

export const klEstimateTensor =
  (estimator: KlEstimator) =>
  (logp: tf.Tensor2D, refLogp: tf.Tensor2D): E.Either<StageError, tf.Tensor2D> =>
    guarded(
      [
        oneOf('kl.estimators', 'estimator', estimator, KL_ESTIMATORS),
        ...tensorTokenInputChecks('kl.estimators', [
          ['logp', logp],
          ['refLogp', refLogp],
        ]),
      ],
      () => klEstimateTensorUnchecked(estimator, logp, refLogp),
    );

export interface KlLossTensorInput {
  readonly logp: tf.Tensor2D;
  readonly refLogp: tf.Tensor2D;
  readonly mask: tf.Tensor2D;
}

/** coef · w_i · ∂agg/∂loss per token (unchecked: parameters valid for the mask's shape). */
export const klLossWeightsTensorUnchecked = (params: KlLossParams, mask: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy(() => {
    const agg = aggregationWeightsTensorUnchecked(klLossAggregation(params), mask, params);
    const weighted: tf.Tensor2D = params.seqWeights == null ? agg : tf.mul(agg, tf.tensor2d(Float32Array.from(params.seqWeights), [mask.shape[0], 1]));
    return tf.mul(weighted, params.coef);
  });

export const klLossTensor =
  (params: KlLossParams) =>
  ({ logp, refLogp, mask }: KlLossTensorInput): E.Either<StageError, { readonly loss: tf.Scalar }> =>
    guarded(
      [
        ...tensorTokenInputChecks(
          'kl.loss',
          [
            ['logp', logp],
            ['refLogp', refLogp],
          ],
          mask,
        ),
        ...klLossParamChecks('kl.loss', params, { rows: logp.shape[0] }),
      ],
      () => ({
        loss: tf.tidy(() => tf.sum(tf.mul(klEstimateTensorUnchecked(params.estimator, logp, refLogp), klLossWeightsTensorUnchecked(params, mask)))),
      }),
    );
