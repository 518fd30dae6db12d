/**
 * PAPO's extra terms, tensor form (float32; gradients by tfjs autodiff):
 * perception = −γ·agg(k3(logp, sg(logpMasked))); entropy = η·(−agg(logp)) + η·(−agg(logpMasked));
 * loss = perception + entropy. Both `logp` (real image) and `logpMasked` (masked image) are
 * differentiable inputs; the masked one reaches the perception term only through `sg`.
 *
 * Reference: docs/algorithms.md §10; Wang et al. 2025 (arXiv:2507.06448), §3.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as E from 'fp-ts/lib/Either.js';
import { guarded, type StageError } from '@rlflow/core';
import { PAPO_DEFAULTS, papoParamChecks, type PapoParams } from '@rlflow/clipping';
import { stopGradient } from '../stop-gradient.js';
import { tensorTokenInputChecks } from '../validation.js';
import { aggregationWeightsTensorUnchecked } from './aggregation.js';
import { klEstimateTensorUnchecked } from './kl.js';
import '../gradients.js';

export interface PapoTensorInput {
  readonly logp: tf.Tensor2D;
  readonly logpMasked: tf.Tensor2D;
  readonly mask: tf.Tensor2D;
}

export type PapoTensors = {
  readonly loss: tf.Scalar;
  readonly perceptionLoss: tf.Scalar;
  readonly entropyLoss: tf.Scalar;
};

export const papoTensor =
  (params: Partial<PapoParams> = {}) =>
  ({ logp, logpMasked, mask }: PapoTensorInput): E.Either<StageError, PapoTensors> => {
    const p: PapoParams = { ...PAPO_DEFAULTS, ...params };
    return guarded(
      [
        ...papoParamChecks(p),
        ...tensorTokenInputChecks(
          'papo',
          [
            ['logp', logp],
            ['logpMasked', logpMasked],
          ],
          mask,
        ),
      ],
      () =>
        tf.tidy(() => {
          const weights = aggregationWeightsTensorUnchecked(p.lossAgg ?? 'token-mean', mask, p);
          const k3 = klEstimateTensorUnchecked('k3', logp, stopGradient(logpMasked));
          const perceptionLoss: tf.Scalar = tf.mul(tf.sum(tf.mul(k3, weights)), -p.gamma);
          const entropyLoss: tf.Scalar = tf.mul(tf.add(tf.sum(tf.mul(logp, weights)), tf.sum(tf.mul(logpMasked, weights))), -p.eta);
          return { loss: tf.add(perceptionLoss, entropyLoss), perceptionLoss, entropyLoss };
        }),
    );
  };
