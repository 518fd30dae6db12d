/**
 * GSPO, tensor form (float32; gradient by tfjs autodiff):
 * log s_i = Σ_t mask·(logp − oldLogp) / max(Σ_t mask, 1), computed under a stop-gradient;
 * log ratio = min(logp − sg(logp) + sg(log s_i), 10); l = max(−A·ratio, −A·clamp(ratio, 1 − epsLow, 1 + epsHigh));
 * loss = agg(l), agg = seq-mean-token-mean by default. The gradient of logp_{i,t} flows only
 * through its own `logp − sg(logp)` term.
 *
 * Reference: docs/algorithms.md §5 (`gspo`); Zheng et al. 2025 (arXiv:2507.18071), GSPO-token.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as E from 'fp-ts/lib/Either.js';
import { guarded, type StageError } from '@rlflow/core';
import { GSPO_LOG_RATIO_MAX } from '@rlflow/clipping';
import { aggregationWeightsTensorUnchecked } from '../aggregation.js';
import { detached, stopGradient } from '../../stop-gradient.js';
import { approxKlTensor, clampRatioTensor, expandTo, maskedMeanTensor, policyTensorChecks } from './common.js';
import type { PolicyLossTensorInput, PolicyLossTensorParams, PolicyLossTensors } from './types.js';
import '../../gradients.js';

export const gspoTensor =
  (params: PolicyLossTensorParams) =>
  (input: PolicyLossTensorInput): E.Either<StageError, PolicyLossTensors> => {
    const lossAgg = params.lossAgg ?? 'seq-mean-token-mean';
    return guarded(policyTensorChecks('policy.gspo', input, params, lossAgg, false), () =>
      tf.tidy(() => {
        const { logp, oldLogp, advantages, mask } = input;
        const logS = detached((lp) => tf.div(tf.sum(tf.mul(mask, tf.sub(lp, oldLogp)), 1, true), tf.maximum(tf.sum(mask, 1, true), 1)))(logp);
        const logRatio = tf.minimum(tf.add(tf.sub(logp, stopGradient(logp)), logS), GSPO_LOG_RATIO_MAX);
        const ratio = tf.exp(logRatio);
        const negA = tf.neg(expandTo(advantages, logp));
        const pg1 = tf.mul(negA, ratio);
        const pg2 = tf.mul(negA, clampRatioTensor(ratio, params.epsLow, params.epsHigh));
        const loss: tf.Scalar = tf.sum(tf.mul(tf.maximum(pg1, pg2), aggregationWeightsTensorUnchecked(lossAgg, mask, params)));
        return {
          loss,
          clipFrac: maskedMeanTensor(tf.cast(tf.greater(pg2, pg1), 'float32'), mask),
          approxKl: approxKlTensor(logp, oldLogp, mask),
        };
      }),
    );
  };
