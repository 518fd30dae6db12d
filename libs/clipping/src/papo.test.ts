/**
 * PAPO's extra terms (docs/algorithms.md §10): sign of the perception loss, the stop-gradient into the
 * masked log-probs, analytic vs autodiff gradients; typed errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap, type Matrix } from '@rlflow/core';
import { FLOAT32, assertClose } from '@rlflow/core/testing';
import { aggregationWeightsUnchecked } from './aggregation.js';
import { useCpuBackend } from './cpu-backend.js';
import { PAPO_DEFAULTS, papo, type PapoParams } from './papo.js';
import { papoTensor } from './papo.tensor.js';
import { toTensor2D } from './tensor/convert.js';
import { leakedBy, maskArb, matrixArb, prefixMask, shapeArb } from './testing/arbitraries.js';

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

describe('PAPO terms (docs/algorithms.md §10)', () => {
  it('the implicit perception loss is ≤ 0 (it rewards divergence from the masked-image policy) and 0 when they agree', () => {
    fc.assert(
      fc.property(papoInputArb, paramsArb, (x, p) => {
        const result = unwrap(papo(p)(x));
        expect(result.perceptionLoss).toBeLessThanOrEqual(0);
        expect(unwrap(papo(p)({ ...x, logpMasked: x.logp })).perceptionLoss).toBe(-0);
      }),
      { numRuns: 60 },
    );
  });

  it('the entropy terms are η·(−mean logp) + η·(−mean logpMasked) ≥ 0', () => {
    const logp = { rows: 1, cols: 2, data: Float64Array.from([-1, -3]) };
    const logpMasked = { rows: 1, cols: 2, data: Float64Array.from([-2, -2]) };
    const result = unwrap(papo({ gamma: 0, eta: 0.03 })({ logp, logpMasked, mask: prefixMask([2], 2) }));
    expect(result.entropyLoss).toBeCloseTo(0.03 * 2 + 0.03 * 2, 12);
    expect(result.perceptionLoss).toBe(-0);
    expect(result.loss).toBeCloseTo(result.entropyLoss, 12);
  });

  it('stops the gradient into the masked log-probs through the perception term (autodiff)', () => {
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

  it('has the analytic gradients −γ·w·∂k3/∂logp − η·w and −η·w, matched by autodiff', () => {
    fc.assert(
      fc.property(papoInputArb, paramsArb, (x, p) => {
        const plain = unwrap(papo(p)(x));
        const w = aggregationWeightsUnchecked('token-mean', x.mask);
        plain.gradLogpMasked.data.forEach((g, i) => expect(g).toBeCloseTo(-p.eta * w.data[i]!, 14));
        plain.gradLogp.data.forEach((g, i) => {
          const delta = x.logpMasked.data[i]! - x.logp.data[i]!;
          const expected = w.data[i] === 0 ? 0 : p.gamma * w.data[i]! * Math.expm1(delta) - p.eta * w.data[i]!;
          const clampedK3 = Math.expm1(delta) - delta > 10;
          if (!clampedK3) expect(g).toBeCloseTo(expected, 12);
        });
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

  it('uses γ = 0.01, η = 0.03 by default', () => {
    expect(PAPO_DEFAULTS).toEqual({ gamma: 0.01, eta: 0.03 });
  });

  it('the tensor form leaves no tensor behind, on success and on error', () => {
    const [a, b, m, bad] = [tf.tensor2d([[-1, -2]]), tf.tensor2d([[-1.5, -2]]), tf.tensor2d([[1, 1]]), tf.tensor2d([[1, 0.5]])];
    const leaked = leakedBy(() => {
      tf.dispose(Object.values(unwrap(papoTensor()({ logp: a, logpMasked: b, mask: m }))));
      const r = papoTensor()({ logp: a, logpMasked: b, mask: bad });
      expect(E.isLeft(r) && [r.left.stage, r.left.field, r.left.index, r.left.kind]).toEqual(['papo', 'mask', [0, 1], 'not-binary']);
    });
    tf.dispose([a, b, m, bad]);
    expect(leaked).toBe(0);
  });

  it('bad input is a StageError naming the field and index', () => {
    const x = { rows: 1, cols: 2, data: Float64Array.from([-1, -2]) };
    const mask = prefixMask([2], 2);
    const errorOf = (params: Partial<PapoParams>, input = { logp: x, logpMasked: x, mask }) => {
      const r = papo(params)(input);
      return E.isLeft(r) ? [r.left.field, r.left.index, r.left.kind] : undefined;
    };
    expect(errorOf({ gamma: -0.01 })).toEqual(['gamma', null, 'out-of-range']);
    expect(errorOf({ eta: Number.NaN })).toEqual(['eta', null, 'out-of-range']);
    expect(errorOf({}, { logp: x, logpMasked: { ...x, data: Float64Array.from([-1, Number.POSITIVE_INFINITY]) }, mask })).toEqual(['logpMasked', [0, 1], 'not-finite']);
    expect(errorOf({}, { logp: x, logpMasked: { rows: 2, cols: 1, data: x.data }, mask })).toEqual(['logpMasked', null, 'length-mismatch']);
  });
});
