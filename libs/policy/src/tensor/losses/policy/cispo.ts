/**
 * CISPO, tensor form (float32; gradient by tfjs autodiff):
 * w = sg(clamp(exp(clamp(logp − oldLogp, −20, 20)), 1 − epsLow, 1 + epsHigh)); l = −A·w·logp;
 * loss = agg(l) (default token-mean), so ∂loss/∂logp = −A·w·∂agg/∂l.
 * clipFrac = masked mean [ratio outside [1 − epsLow, 1 + epsHigh]].
 *
 * Reference: docs/algorithms.md §5 (`cispo`); MiniMax-M1 (arXiv:2506.13585), §3.1.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as E from 'fp-ts/lib/Either.js';
import { guarded, type StageError } from '@rlflow/core';
import { aggregationWeightsTensorUnchecked } from '../aggregation.js';
import { detached } from '../../stop-gradient.js';
import { approxKlTensor, clampRatioTensor, maskedMeanTensor, outsideBoundsTensor, policyTensorChecks, ratioTensor } from './common.js';
import type { PolicyLossTensorInput, PolicyLossTensorParams, PolicyLossTensors } from './types.js';
import '../../gradients.js';

export const cispoTensor =
  (params: PolicyLossTensorParams) =>
  (input: PolicyLossTensorInput): E.Either<StageError, PolicyLossTensors> => {
    const lossAgg = params.lossAgg ?? 'token-mean';
    return guarded(policyTensorChecks('policy.cispo', input, params, lossAgg, false), () =>
      tf.tidy(() => {
        const { logp, oldLogp, advantages, mask } = input;
        const isWeight = detached((lp) => clampRatioTensor(ratioTensor(lp, oldLogp), params.epsLow, params.epsHigh))(logp);
        const loss: tf.Scalar = tf.sum(tf.mul(tf.mul(tf.mul(tf.neg(advantages), isWeight), logp), aggregationWeightsTensorUnchecked(lossAgg, mask, params)));
        return {
          loss,
          clipFrac: maskedMeanTensor(outsideBoundsTensor(ratioTensor(logp, oldLogp), params.epsLow, params.epsHigh), mask),
          approxKl: approxKlTensor(logp, oldLogp, mask),
        };
      }),
    );
  };
