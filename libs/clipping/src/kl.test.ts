/**
 * KL estimators and KL loss (docs/algorithms.md §2, §6): values, derivatives (finite differences),
 * per-sequence weights; typed errors.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap } from '@rlflow/core';
import { LOSS_AGGREGATIONS, aggregate } from './aggregation.js';
import { KL_ESTIMATORS, klEstimate, klEstimators, klLoss, klTerm, type KlEstimator, type KlLossParams } from './kl.js';
import { f32, maskArb, matrixArb, prefixMask, shapeArb } from './testing/arbitraries.js';
import { numericGradient } from './testing/policy.js';

const klInputArb = shapeArb.chain(({ rows, cols }) =>
  fc.record({
    logp: matrixArb(rows, cols, -4, 0),
    refLogp: matrixArb(rows, cols, -4, 0),
    mask: maskArb(rows, cols),
    seqWeights: fc.array(f32(0, 1.2), { minLength: rows, maxLength: rows }),
  }),
);

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

  it('abs has derivative 0 where logp = refLogp', () => {
    const x = { rows: 1, cols: 1, data: Float64Array.from([-1]) };
    const mask = prefixMask([1], 1);
    expect(unwrap(klLoss({ estimator: 'abs', coef: 1 })({ logp: x, refLogp: x, mask })).gradLogp.data[0]).toBe(0);
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

    it('bad inputs', () => {
      const nan = { ...x, data: Float64Array.from([-1, -2, Number.NaN, -4]) };
      expect(errorOf({ estimator: 'k1', coef: 1 }, { logp: x, refLogp: nan, mask })).toEqual(['kl.loss', 'refLogp', [1, 0], 'not-finite']);
      expect(errorOf({ estimator: 'k1', coef: 1 }, { logp: x, refLogp: x, mask: { ...mask, data: Float64Array.from([1, 1, -1, 0]) } })).toEqual(['kl.loss', 'mask', [1, 0], 'not-binary']);
      expect(errorOf({ estimator: 'k1', coef: 1 }, { logp: x, refLogp: { rows: 1, cols: 4, data: x.data }, mask })).toEqual(['kl.loss', 'refLogp', null, 'length-mismatch']);
      const e = klEstimators(x, nan);
      expect(E.isLeft(e) && [e.left.stage, e.left.field, e.left.index]).toEqual(['kl.estimators', 'refLogp', [1, 0]]);
    });
  });
});
