/**
 * PPO clipped surrogate, tensor form (float32; gradient by tfjs autodiff):
 * ratio = exp(clamp(logp − oldLogp, −20, 20)); l = max(−A·ratio, −A·clamp(ratio, 1 − epsLow, 1 + epsHigh));
 * with dual clip c, l ← min(−A·c, l) where A < 0; loss = agg(l) (default token-mean).
 * Metrics as scalars: clipFrac = masked mean [pg2 > pg1], clipFracLower = masked mean
 * [l > −A·c and A < 0], approxKl = masked mean (oldLogp − logp).
 *
 * Reference: docs/algorithms.md §5 (`ppo`); Schulman et al. 2017; Ye et al. 2020 (dual clip).
 * Inputs: see `PolicyLossTensorInput` (bounds as numbers or tensors broadcasting to [B, T]).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as E from 'fp-ts/lib/Either.js';
import { guarded, type StageError } from '@rlflow/core';
import { aggregationWeightsTensorUnchecked } from '../aggregation.js';
import { approxKlTensor, clampRatioTensor, expandTo, maskedMeanTensor, policyTensorChecks, ratioTensor } from './common.js';
import type { PolicyLossTensorInput, PolicyLossTensorParams, PolicyLossTensors } from './types.js';
import '../../gradients.js';

export const ppoTensor =
  (params: PolicyLossTensorParams) =>
  (input: PolicyLossTensorInput): E.Either<StageError, PolicyLossTensors> => {
    const lossAgg = params.lossAgg ?? 'token-mean';
    return guarded(policyTensorChecks('policy.ppo', input, params, lossAgg, true), () =>
      tf.tidy(() => {
        const { logp, oldLogp, advantages, mask } = input;
        const ratio = ratioTensor(logp, oldLogp);
        const a = expandTo(advantages, logp);
        const negA = tf.neg(a);
        const pg1 = tf.mul(negA, ratio);
        const pg2 = tf.mul(negA, clampRatioTensor(ratio, params.epsLow, params.epsHigh));
        const clipped = tf.maximum(pg1, pg2);
        const clipFrac = maskedMeanTensor(tf.cast(tf.greater(pg2, pg1), 'float32'), mask);
        let perToken = clipped;
        let clipFracLower: tf.Scalar = tf.scalar(0);
        const c = params.dualClipC ?? null;
        if (c !== null) {
          const pg3 = tf.mul(negA, c);
          const negative = tf.less(a, 0);
          perToken = tf.where(negative, tf.minimum(pg3, clipped), clipped);
          clipFracLower = maskedMeanTensor(tf.cast(tf.logicalAnd(tf.greater(clipped, pg3), negative), 'float32'), mask);
        }
        const loss: tf.Scalar = tf.sum(tf.mul(perToken, aggregationWeightsTensorUnchecked(lossAgg, mask, params)));
        return { loss, clipFrac, clipFracLower, approxKl: approxKlTensor(logp, oldLogp, mask) };
      }),
    );
  };
