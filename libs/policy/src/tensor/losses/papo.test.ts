/**
 * PAPO's extra terms, tensor form (docs/algorithms.md §10): the stop-gradient into the masked
 * log-probs through the perception term, values and autodiff gradients equal to the plain form's
 * analytic ones, typed errors; leaves no tensor behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap, type Matrix } from '@rlflow/core';
import { FLOAT32, assertClose } from '@rlflow/core/testing';
import { papo, type PapoParams } from '@rlflow/clipping';
import { maskArb, matrixArb, shapeArb } from '@rlflow/clipping/testing';
import { toTensor2D } from '../convert.js';
import { useCpuBackend } from '../cpu-backend.js';
import { leakedBy } from '../testing.js';
import { papoTensor } from './papo.js';

const papoInputArb = shapeArb.chain(({ rows, cols }) =>
  fc.record({ logp: matrixArb(rows, cols, -4, 0), logpMasked: matrixArb(rows, cols, -4, 0), mask: maskArb(rows, cols, 1) }),
);
const paramsArb = fc.record({ gamma: fc.double({ min: 0.005, max: 0.05, noNaN: true }), eta: fc.double({ min: 0.005, max: 0.05, noNaN: true }) });

/** Values and autodiff gradients with respect to both log-prob tensors. */
const tensorPapo = (params: Partial<PapoParams>, x: { logp: Matrix; logpMasked: Matrix; mask: Matrix }) => {
  const [logp, logpMasked, mask] = [toTensor2D(x.logp), toTensor2D(x.logpMasked), toTensor2D(x.mask)];
  const values: Record<string, number> = {};
  const { value, grads } = tf.valueAndGrads((lp: tf.Tensor, lpm: tf.Tensor) => {
    const out = unwrap(papoTensor(params)({ logp: lp as tf.Tensor2D, logpMasked: lpm as tf.Tensor2D, mask }));
    for (const [k, t] of Object.entries(out)) values[k] = t.dataSync()[0]!;
    return out.loss;
  })([logp, logpMasked]);
  const result = { values, gradLogp: Float32Array.from(grads[0]!.dataSync()), gradLogpMasked: Float32Array.from(grads[1]!.dataSync()) };
  tf.dispose([logp, logpMasked, mask, value, ...grads]);
  return result;
};

beforeAll(useCpuBackend);

describe('papoTensor (docs/algorithms.md §10)', () => {
  it('stops the gradient into the masked log-probs through the perception term', () => {
    fc.assert(
      fc.property(papoInputArb, paramsArb, (x, { gamma }) => {
        // some valid token where the two policies differ and k3 is not clamped at 10 (where its derivative is 0)
        fc.pre(x.mask.data.some((m, i) => m === 1 && Math.abs(x.logp.data[i]! - x.logpMasked.data[i]!) > 1e-2 && Math.abs(x.logp.data[i]! - x.logpMasked.data[i]!) < 2));
        const onlyPerception = tensorPapo({ gamma, eta: 0 }, x);
        for (const g of onlyPerception.gradLogpMasked) expect(g).toBe(0);
        expect(onlyPerception.gradLogp.some((g) => g !== 0)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('has the values of the plain form, and autodiff gradients equal to its analytic ones', () => {
    fc.assert(
      fc.property(papoInputArb, paramsArb, (x, p) => {
        const plain = unwrap(papo(p)(x));
        const tensor = tensorPapo(p, x);
        assertClose(tensor.values['loss'], plain.loss, FLOAT32, 'loss');
        assertClose(tensor.values['perceptionLoss'], plain.perceptionLoss, FLOAT32, 'perceptionLoss');
        assertClose(tensor.values['entropyLoss'], plain.entropyLoss, FLOAT32, 'entropyLoss');
        assertClose(tensor.gradLogp, plain.gradLogp.data, FLOAT32, 'gradLogp');
        assertClose(tensor.gradLogpMasked, plain.gradLogpMasked.data, FLOAT32, 'gradLogpMasked');
      }),
      { numRuns: 40 },
    );
  });

  it('leaves no tensor behind, on success and on error', () => {
    const [a, b, m, bad] = [tf.tensor2d([[-1, -2]]), tf.tensor2d([[-1.5, -2]]), tf.tensor2d([[1, 1]]), tf.tensor2d([[1, 0.5]])];
    const leaked = leakedBy(() => {
      tf.dispose(Object.values(unwrap(papoTensor()({ logp: a, logpMasked: b, mask: m }))));
      const r = papoTensor()({ logp: a, logpMasked: b, mask: bad });
      expect(E.isLeft(r) && [r.left.stage, r.left.field, r.left.index, r.left.kind]).toEqual(['papo', 'mask', [0, 1], 'not-binary']);
    });
    tf.dispose([a, b, m, bad]);
    expect(leaked).toBe(0);
  });
});
