/**
 * KL estimators and KL loss (docs/algorithms.md §2, §6): values, derivatives (finite differences),
 * per-sequence weights, tensor vs plain; typed errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap, type Matrix } from '@rlflow/core';
import { FLOAT32, assertClose } from '@rlflow/core/testing';
import { LOSS_AGGREGATIONS, aggregate } from './aggregation.js';
import { useCpuBackend } from './cpu-backend.js';
import { KL_ESTIMATORS, klEstimate, klEstimators, klLoss, klTerm, type KlEstimator, type KlLossParams } from './kl.js';
import { klEstimateTensor, klLossTensor } from './kl.tensor.js';
import { toTensor2D } from './tensor/convert.js';
import { lossAndGradient } from './tensor/evaluate.js';
import { f32, leakedBy, maskArb, matrixArb, prefixMask, shapeArb } from './testing/arbitraries.js';
import { numericGradient } from './testing/policy.js';

const klInputArb = shapeArb.chain(({ rows, cols }) =>
  fc.record({
    logp: matrixArb(rows, cols, -4, 0),
    refLogp: matrixArb(rows, cols, -4, 0),
    mask: maskArb(rows, cols),
    seqWeights: fc.array(f32(0, 1.2), { minLength: rows, maxLength: rows }),
  }),
);

const tensorKlLoss = (params: KlLossParams, x: { logp: Matrix; refLogp: Matrix; mask: Matrix }) => {
  const [refLogp, mask, logp] = [toTensor2D(x.refLogp), toTensor2D(x.mask), toTensor2D(x.logp)];
  try {
    return unwrap(lossAndGradient((lp) => klLossTensor(params)({ logp: lp, refLogp, mask }))(logp));
  } finally {
    tf.dispose([refLogp, mask, logp]);
  }
};

beforeAll(useCpuBackend);

describe('KL estimators (docs/algorithms.md §2)', () => {
  it('are 0 where logp = refLogp; abs, k2 and k3 are non-negative', () => {
    fc.assert(
      fc.property(f32(-10, 0), f32(-10, 0), (lp, ref) => {
        for (const k of KL_ESTIMATORS) expect(klTerm(k, lp, lp).value).toBe(0);
        expect(klTerm('abs', lp, ref).value).toBeGreaterThanOrEqual(0);
        expect(klTerm('k2', lp, ref).value).toBeGreaterThanOrEqual(0);
        expect(klTerm('k3', lp, ref).value).toBeGreaterThanOrEqual(0);
        expect(klTerm('k2', lp, ref).value).toBeCloseTo(0.5 * klTerm('k1', lp, ref).value ** 2, 12);
      }),
      { numRuns: 200 },
    );
  });

  it('k3 clamps its value to ≤ 10 (with zero derivative there) and keeps precision for small δ', () => {
    for (const [lp, ref] of [[0, 30], [30, 0], [0, -11.5]] as const) {
      expect(klTerm('k3', lp, ref).value).toBe(10);
      expect(klTerm('k3', lp, ref).dLogp).toBe(0);
    }
    expect(klTerm('k3', 0, -5).value).toBeCloseTo(Math.exp(-5) + 5 - 1, 12);
    expect(klTerm('k3', 0, -5).dLogp).toBeCloseTo(1 - Math.exp(-5), 12);
    expect(klTerm('k3', 0, 1e-6).value).toBeCloseTo(5e-13, 18);
  });

  it('have derivatives equal to the finite difference of their values (away from the kinks)', () => {
    fc.assert(
      fc.property(f32(-4, 0), f32(-4, 0), fc.constantFrom(...KL_ESTIMATORS), (lp, ref, k) => {
        fc.pre(Math.abs(lp - ref) > 1e-3);
        const h = 1e-6;
        const numeric = (klTerm(k, lp + h, ref).value - klTerm(k, lp - h, ref).value) / (2 * h);
        expect(klTerm(k, lp, ref).dLogp).toBeCloseTo(numeric, 5);
      }),
      { numRuns: 200 },
    );
  });

  it('tensor estimators agree with the plain ones and leave no tensor behind', () => {
    fc.assert(
      fc.property(klInputArb, ({ logp, refLogp }) => {
        const plain = unwrap(klEstimators(logp, refLogp));
        const leaked = leakedBy(() => {
          const [lp, ref] = [toTensor2D(logp), toTensor2D(refLogp)];
          for (const k of KL_ESTIMATORS) {
            const t = unwrap(klEstimateTensor(k)(lp, ref));
            assertClose(t.dataSync(), plain[k].data, FLOAT32, k);
            expect(unwrap(klEstimate(k)(logp, refLogp))).toEqual(plain[k]);
            t.dispose();
          }
          tf.dispose([lp, ref]);
        });
        expect(leaked).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it('abs has derivative 0 where logp = refLogp, in both forms', () => {
    const x = { rows: 1, cols: 1, data: Float64Array.from([-1]) };
    const mask = prefixMask([1], 1);
    expect(unwrap(klLoss({ estimator: 'abs', coef: 1 })({ logp: x, refLogp: x, mask })).gradLogp.data[0]).toBe(0);
    expect(tensorKlLoss({ estimator: 'abs', coef: 1 }, { logp: x, refLogp: x, mask }).gradLogp[0]).toBe(0);
  });
});

describe('KL loss (docs/algorithms.md §6)', () => {
  it('unweighted is coef · token-mean of the estimator by default, any other aggregation on request', () => {
    fc.assert(
      fc.property(klInputArb, fc.constantFrom(...KL_ESTIMATORS), fc.constantFrom(...LOSS_AGGREGATIONS), ({ logp, refLogp, mask }, estimator, lossAgg) => {
        const k = unwrap(klEstimate(estimator)(logp, refLogp));
        expect(unwrap(klLoss({ estimator, coef: 0.5 })({ logp, refLogp, mask })).loss).toBeCloseTo(0.5 * unwrap(aggregate('token-mean')(k, mask)), 12);
        expect(unwrap(klLoss({ estimator, coef: 2, lossAgg })({ logp, refLogp, mask })).loss).toBeCloseTo(2 * unwrap(aggregate(lossAgg)(k, mask)), 12);
      }),
      { numRuns: 60 },
    );
  });

  it('weighted is coef · mean over valid sequences of w_i · Σ mask·k / Σ mask; unit weights give seq-mean-token-mean', () => {
    const logp = { rows: 3, cols: 2, data: Float64Array.from([-1, -2, -1, -1, -3, -3]) };
    const refLogp = { rows: 3, cols: 2, data: Float64Array.from([-1.5, -1, -1, -2, 0, 0]) };
    const mask = prefixMask([2, 1, 0], 2);
    const result = unwrap(klLoss({ estimator: 'k1', coef: 0.1, seqWeights: [0.5, 2, 9] })({ logp, refLogp, mask }));
    expect(result.loss).toBeCloseTo((0.1 * (0.5 * ((0.5 - 1) / 2) + 2 * 0)) / 2, 12);
    expect(Array.from(result.gradLogp.data)).toEqual([0.1 * 0.5 * 0.25, 0.1 * 0.5 * 0.25, 0.1, 0, 0, 0].map((g) => expect.closeTo(g, 12)));
    fc.assert(
      fc.property(klInputArb, fc.constantFrom(...KL_ESTIMATORS), ({ logp: lp, refLogp: ref, mask: m }, estimator) => {
        const ones = Array.from({ length: lp.rows }, () => 1);
        const weighted = unwrap(klLoss({ estimator, coef: 0.3, seqWeights: ones })({ logp: lp, refLogp: ref, mask: m }));
        const plain = unwrap(klLoss({ estimator, coef: 0.3, lossAgg: 'seq-mean-token-mean' })({ logp: lp, refLogp: ref, mask: m }));
        expect(weighted.loss).toBeCloseTo(plain.loss, 12);
      }),
      { numRuns: 40 },
    );
  });

  it('is 0 with no valid token', () => {
    const x = { rows: 2, cols: 2, data: Float64Array.from([-1, -2, -3, -4]) };
    const y = { rows: 2, cols: 2, data: Float64Array.from([-2, -2, -1, -4]) };
    for (const seqWeights of [null, [1, 2]]) expect(unwrap(klLoss({ estimator: 'k3', coef: 1, seqWeights })({ logp: x, refLogp: y, mask: prefixMask([0, 0], 2) })).loss).toBe(0);
  });

  it('has an analytic gradient equal to the finite difference of its value', () => {
    fc.assert(
      fc.property(klInputArb, fc.constantFrom<KlEstimator>('k1', 'k2', 'k3'), fc.boolean(), ({ logp, refLogp, mask, seqWeights }, estimator, weighted) => {
        const params: KlLossParams = { estimator, coef: 0.7, seqWeights: weighted ? seqWeights : null };
        const analytic = unwrap(klLoss(params)({ logp, refLogp, mask })).gradLogp.data;
        const numeric = numericGradient((lp) => unwrap(klLoss(params)({ logp: lp, refLogp, mask })).loss, logp);
        numeric.forEach((g, i) => expect(analytic[i]).toBeCloseTo(g, 6));
      }),
      { numRuns: 40 },
    );
  });

  it('tensor form agrees with the plain form (value and autodiff gradient) and leaves no tensor behind', () => {
    fc.assert(
      fc.property(klInputArb, fc.constantFrom(...KL_ESTIMATORS), fc.boolean(), (x, estimator, weighted) => {
        const params: KlLossParams = { estimator, coef: 0.01, seqWeights: weighted ? x.seqWeights : null };
        const plain = unwrap(klLoss(params)(x));
        let tensor: ReturnType<typeof tensorKlLoss> | undefined;
        expect(leakedBy(() => (tensor = tensorKlLoss(params, x)))).toBe(0);
        assertClose(tensor!.values.loss, plain.loss, FLOAT32, 'loss');
        assertClose(tensor!.gradLogp, plain.gradLogp.data, FLOAT32, 'gradLogp');
      }),
      { numRuns: 60 },
    );
  });

  describe('bad input is a StageError naming the field and index', () => {
    const x = { rows: 2, cols: 2, data: Float64Array.from([-1, -2, -3, -4]) };
    const mask = prefixMask([2, 1], 2);
    const errorOf = (params: KlLossParams, input = { logp: x, refLogp: x, mask }) => {
      const r = klLoss(params)(input);
      return E.isLeft(r) ? [r.left.stage, r.left.field, r.left.index, r.left.kind] : undefined;
    };

    it('bad parameters', () => {
      expect(errorOf({ estimator: 'k4' as KlEstimator, coef: 1 })).toEqual(['kl.loss', 'estimator', null, 'invalid']);
      expect(errorOf({ estimator: 'k3', coef: -1 })).toEqual(['kl.loss', 'coef', null, 'out-of-range']);
      expect(errorOf({ estimator: 'k3', coef: 1, seqWeights: [1] })).toEqual(['kl.loss', 'seqWeights', null, 'length-mismatch']);
      expect(errorOf({ estimator: 'k3', coef: 1, seqWeights: [1, Number.NaN] })).toEqual(['kl.loss', 'seqWeights', 1, 'not-finite']);
      expect(errorOf({ estimator: 'k3', coef: 1, seqWeights: [-1, 1] })).toEqual(['kl.loss', 'seqWeights', 0, 'negative']);
    });

    it('bad inputs, plain and tensor', () => {
      const nan = { ...x, data: Float64Array.from([-1, -2, Number.NaN, -4]) };
      expect(errorOf({ estimator: 'k1', coef: 1 }, { logp: x, refLogp: nan, mask })).toEqual(['kl.loss', 'refLogp', [1, 0], 'not-finite']);
      expect(errorOf({ estimator: 'k1', coef: 1 }, { logp: x, refLogp: x, mask: { ...mask, data: Float64Array.from([1, 1, -1, 0]) } })).toEqual(['kl.loss', 'mask', [1, 0], 'not-binary']);
      expect(errorOf({ estimator: 'k1', coef: 1 }, { logp: x, refLogp: { rows: 1, cols: 4, data: x.data }, mask })).toEqual(['kl.loss', 'refLogp', null, 'length-mismatch']);
      const e = klEstimators(x, nan);
      expect(E.isLeft(e) && [e.left.stage, e.left.field, e.left.index]).toEqual(['kl.estimators', 'refLogp', [1, 0]]);
      const [t, tNan, tMask] = [toTensor2D(x), toTensor2D(nan), toTensor2D(mask)];
      const column = tf.zeros([4, 1]) as tf.Tensor2D;
      const leaked = leakedBy(() => {
        const r = klLossTensor({ estimator: 'k3', coef: 1 })({ logp: tNan, refLogp: t, mask: tMask });
        expect(E.isLeft(r) && [r.left.field, r.left.index, r.left.kind]).toEqual(['logp', [1, 0], 'not-finite']);
        const s = klEstimateTensor('k2')(t, column);
        expect(E.isLeft(s) && [s.left.stage, s.left.field, s.left.kind]).toEqual(['kl.estimators', 'refLogp', 'length-mismatch']);
      });
      tf.dispose([t, tNan, tMask, column]);
      expect(leaked).toBe(0);
    });
  });
});
