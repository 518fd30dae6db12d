/**
 * Tensor hygiene: every public tensor function of @rlflow/policy/tensor leaves
 * `tf.memory().numTensors` as it found it once the caller disposes what it returned, including
 * the unchecked building blocks, under tf.grad, and on the error path.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap } from '@rlflow/core';
import { KL_ESTIMATORS, LOSS_AGGREGATIONS } from '@rlflow/clipping';
import * as tensor from '../index.js';
import { useCpuBackend } from '../cpu-backend.js';
import { leakedBy } from '../testing.js';

beforeAll(useCpuBackend);

describe('tf.memory().numTensors is unchanged by', () => {
  const fixture = () => ({
    logp: tf.tensor2d([[-1, -2, -0.5], [-1.5, -0.2, -3]]),
    other: tf.tensor2d([[-1.2, -1.9, -0.7], [-1.5, -0.4, -2]]),
    mask: tf.tensor2d([[1, 1, 0], [1, 0, 0]]),
  });

  it.each(LOSS_AGGREGATIONS)('the aggregation helpers (%s)', (mode) => {
    const { logp, other, mask } = fixture();
    const leaked = leakedBy(() => {
      tf.dispose([
        tensor.aggregationWeightsTensorUnchecked(mode, mask),
        tensor.aggregateTensorUnchecked(mode, logp, mask),
        unwrap(tensor.aggregateTensor(mode)(logp, mask)),
      ]);
      const g = tf.grad((x: tf.Tensor) => tensor.aggregateTensorUnchecked(mode, x as tf.Tensor2D, mask))(logp);
      g.dispose();
    });
    tf.dispose([logp, other, mask]);
    expect(leaked).toBe(0);
  });

  it.each(KL_ESTIMATORS)('the KL helpers (%s)', (estimator) => {
    const { logp, other, mask } = fixture();
    const leaked = leakedBy(() => {
      tf.dispose([
        tensor.klEstimateTensorUnchecked(estimator, logp, other),
        unwrap(tensor.klEstimateTensor(estimator)(logp, other)),
        tensor.klLossWeightsTensorUnchecked({ estimator, coef: 0.1, seqWeights: [1, 0.5] }, mask),
        unwrap(tensor.klLossTensor({ estimator, coef: 0.1 })({ logp, refLogp: other, mask })).loss,
      ]);
      unwrap(tensor.lossAndGradient((x) => tensor.klLossTensor({ estimator, coef: 0.1, seqWeights: [1, 0.5] })({ logp: x, refLogp: other, mask }))(logp));
      expect(E.isLeft(tensor.lossAndGradient((x) => tensor.klLossTensor({ estimator, coef: -1 })({ logp: x, refLogp: other, mask }))(logp))).toBe(true);
    });
    tf.dispose([logp, other, mask]);
    expect(leaked).toBe(0);
  });

  it('aaacTensor, papoTensor, stopGradient, detached, toTensor2D', () => {
    const { logp, other, mask } = fixture();
    const leaked = leakedBy(() => {
      const bounds = unwrap(tensor.aaacTensor()(logp));
      tf.dispose([bounds.epsLow, bounds.epsHigh]);
      tf.dispose(Object.values(unwrap(tensor.papoTensor()({ logp, logpMasked: other, mask }))));
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => unwrap(tensor.papoTensor()({ logp: a as tf.Tensor2D, logpMasked: b as tf.Tensor2D, mask })).loss)([logp, other]);
      tf.dispose(grads);
      tf.dispose([tensor.stopGradient(logp), tensor.detached((x) => tf.exp(tf.neg(x)))(logp)]);
      tensor.toTensor2D({ rows: 1, cols: 2, data: Float64Array.from([1, 2]) }).dispose();
    });
    tf.dispose([logp, other, mask]);
    expect(leaked).toBe(0);
  });
});
