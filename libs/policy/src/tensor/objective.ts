/**
 * The objective of docs/algorithms.md §11 built from the tensor forms of the losses, for
 * TensorFlow.js autodiff: the reference the float64 objective (@rlflow/engine) and the
 * gradient-by-log-prob contract are tested against.
 *
 *   L = agg(l_policy(logp, oldLogp, A; ε)) + kl.coef·agg_kl(k(logp, refLogp); w_i)
 *     + PAPO(logp, maskedLogp) − entropy.coef·agg_H(H)
 *
 * The differentiated inputs (logp, maskedLogp, H) are the caller's tensors; the others are plain
 * matrices made into tensors here, inside the caller's scope (a tidy or a gradient function).
 */
import * as tf from '@tensorflow/tfjs-core';
import { unwrap, type Matrix } from '@rlflow/core';
import type { ObjectiveConfig, ObjectiveInput } from '@rlflow/engine';
import { toTensor2D } from './convert.js';
import { aggregateTensorUnchecked } from './losses/aggregation.js';
import { klLossTensor } from './losses/kl.js';
import { papoTensor } from './losses/papo.js';
import { tensorPolicyLosses } from './losses/policy/registry.js';

/** The differentiated inputs, [B, T] tensors; `maskedLogp` when PAPO is on, `entropy` when the bonus is. */
export interface ObjectiveTensors {
  readonly logp: tf.Tensor2D;
  readonly maskedLogp: tf.Tensor2D | null;
  readonly entropy: tf.Tensor2D | null;
}

/** The other inputs, as the float64 objective takes them. */
export type ObjectiveConstants = Omit<ObjectiveInput, 'logp' | 'maskedLogp' | 'entropy'>;

export const objectiveTensor =
  (config: ObjectiveConfig, constants: ObjectiveConstants) =>
  ({ logp, maskedLogp, entropy }: ObjectiveTensors): tf.Scalar => {
    const { normConstant } = config;
    const mask = toTensor2D(constants.mask);
    const bound = (b: number | Matrix): number | tf.Tensor => (typeof b === 'number' ? b : toTensor2D(b));
    const pg = unwrap(
      tensorPolicyLosses[config.policyLoss].tensor({ epsLow: bound(constants.epsLow), epsHigh: bound(constants.epsHigh), dualClipC: config.dualClipC, lossAgg: config.lossAgg, normConstant })({
        logp,
        oldLogp: toTensor2D(constants.oldLogp),
        advantages: tf.tensor2d(Float32Array.from(constants.advantages), [constants.mask.rows, 1]),
        mask,
      }),
    );
    let total: tf.Scalar = pg.loss;
    if (config.kl.coef !== 0) {
      const kl = unwrap(
        klLossTensor({
          estimator: config.kl.estimator,
          coef: config.kl.coef,
          seqWeights: config.kl.sequenceWeights ? constants.klWeights! : null,
          lossAgg: config.kl.lossAgg,
          normConstant,
        })({ logp, refLogp: toTensor2D(constants.refLogp!), mask }),
      );
      total = tf.add(total, kl.loss);
    }
    if (config.papo !== null && maskedLogp !== null) total = tf.add(total, unwrap(papoTensor({ ...config.papo, normConstant })({ logp, logpMasked: maskedLogp, mask })).loss);
    if (config.entropy.coef !== 0 && entropy !== null) total = tf.add(total, tf.mul(aggregateTensorUnchecked(config.entropy.lossAgg, entropy, mask, { normConstant }), -config.entropy.coef));
    return total;
  };
