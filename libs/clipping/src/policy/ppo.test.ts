/**
 * ppo (docs/algorithms.md §5): ratio ≡ 1, zero gradient when clipped, dual clip, analytic gradient vs
 * finite differences, per-token bounds.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { unwrap, type Matrix } from '@rlflow/core';
import { LOSS_AGGREGATIONS } from '../aggregation.js';
import { awayFromBounds, broadcast, f32, policyInputArb, prefixMask } from '../testing/arbitraries.js';
import { clippedRatios, numericGradient } from '../testing/policy.js';
import { ppo } from './ppo.js';

const boundsArb = fc.record({ epsLow: fc.double({ min: 0.05, max: 0.5, noNaN: true }), epsHigh: fc.double({ min: 0.05, max: 0.5, noNaN: true }) });
const dualArb = fc.option(fc.double({ min: 1.5, max: 5, noNaN: true }), { nil: null });

describe('ppo (docs/algorithms.md §5)', () => {
  it('at ratio ≡ 1 the token-mean loss is −mean A and its gradient −A/N per valid token', () => {
    fc.assert(
      fc.property(policyInputArb({ perTokenAdvantages: true }), boundsArb, dualArb, (input, bounds, dualClipC) => {
        const atOne = { ...input, oldLogp: input.logp };
        const n = input.mask.data.reduce((s, m) => s + m, 0);
        const meanA = input.advantages.data.reduce((s, a, i) => s + a * input.mask.data[i]!, 0) / Math.max(n, 1);
        const plain = unwrap(ppo({ ...bounds, dualClipC })(atOne));
        expect(plain.loss).toBeCloseTo(-meanA, 12);
        input.advantages.data.forEach((a, i) => {
          const expected = (-a * input.mask.data[i]!) / Math.max(n, 1);
          expect(plain.gradLogp.data[i]).toBeCloseTo(expected, 12);
        });
        expect(unwrap(ppo(bounds)(atOne)).clipFrac).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('gives clipped tokens (pg2 > pg1) zero gradient', () => {
    fc.assert(
      fc.property(policyInputArb({ minLength: 1 }), boundsArb, (input, bounds) => {
        const ratios = clippedRatios('ppo', input);
        fc.pre(awayFromBounds(ratios, bounds.epsLow, bounds.epsHigh));
        const plain = unwrap(ppo(bounds)(input));
        let clipped = 0;
        ratios.forEach((r, i) => {
          const a = input.advantages.data[i]!;
          const pg1 = -a * r;
          const pg2 = -a * Math.min(Math.max(r, 1 - bounds.epsLow), 1 + bounds.epsHigh);
          if (pg2 > pg1) {
            clipped += input.mask.data[i]!;
            expect(plain.gradLogp.data[i]).toBe(0);
          }
        });
        expect(plain.clipFrac).toBeCloseTo(clipped / input.mask.data.reduce((s, m) => s + m, 0), 12);
      }),
      { numRuns: 80 },
    );
  });

  it('with dual clip c bounds the loss of a negative-advantage token by −A·c', () => {
    fc.assert(
      fc.property(f32(-3, 0), f32(-20, 20), f32(-3, -0.01), fc.double({ min: 1.01, max: 5, noNaN: true }), boundsArb, (logp, shift, a, c, bounds) => {
        const one = (x: number): Matrix => ({ rows: 1, cols: 1, data: Float64Array.from([x]) });
        const input = { logp: one(logp), oldLogp: one(logp - shift), advantages: one(a), mask: one(1) };
        const dual = unwrap(ppo({ ...bounds, dualClipC: c })(input));
        const plain = unwrap(ppo(bounds)(input));
        expect(dual.loss).toBeLessThanOrEqual(-a * c + 1e-12);
        expect(dual.loss).toBe(Math.min(-a * c, plain.loss));
        expect(dual.clipFracLower).toBe(plain.loss > -a * c ? 1 : 0);
        if (plain.loss > -a * c) expect(dual.gradLogp.data[0]).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('leaves positive-advantage tokens alone under dual clip', () => {
    fc.assert(
      fc.property(policyInputArb(), boundsArb, fc.double({ min: 1.5, max: 5, noNaN: true }), (input, bounds, c) => {
        const positive = { ...input, advantages: { ...input.advantages, data: input.advantages.data.map(Math.abs) } };
        expect(unwrap(ppo({ ...bounds, dualClipC: c })(positive))).toEqual(unwrap(ppo(bounds)(positive)));
      }),
      { numRuns: 40 },
    );
  });

  it('has an analytic gradient equal to the finite difference of its value (away from the kinks)', () => {
    fc.assert(
      fc.property(policyInputArb({ perTokenAdvantages: true }), boundsArb, dualArb, fc.constantFrom(...LOSS_AGGREGATIONS), (input, bounds, dualClipC, lossAgg) => {
        const ratios = clippedRatios('ppo', input);
        fc.pre(awayFromBounds(ratios, bounds.epsLow, bounds.epsHigh, 1e-3));
        fc.pre(dualClipC === null || ratios.every((r, i) => Math.abs(r * Math.abs(input.advantages.data[i]!) - dualClipC * Math.abs(input.advantages.data[i]!)) > 1e-3));
        const params = { ...bounds, dualClipC, lossAgg };
        const analytic = unwrap(ppo(params)(input)).gradLogp.data;
        const numeric = numericGradient((logp) => unwrap(ppo(params)({ ...input, logp })).loss, input.logp);
        numeric.forEach((g, i) => expect(analytic[i]).toBeCloseTo(g, 6));
      }),
      { numRuns: 60 },
    );
  });

  it('accepts per-token bounds, and scalar bounds equal constant per-token ones', () => {
    fc.assert(
      fc.property(policyInputArb(), boundsArb, (input, bounds) => {
        const { rows, cols } = input.logp;
        const perToken = { epsLow: broadcast(Array(rows).fill(bounds.epsLow), cols), epsHigh: broadcast(Array(rows).fill(bounds.epsHigh), cols) };
        expect(unwrap(ppo(perToken)(input))).toEqual(unwrap(ppo(bounds)(input)));
      }),
      { numRuns: 30 },
    );
  });

  it('computes approxKl as the masked mean of oldLogp − logp', () => {
    const m = (xs: number[]): Matrix => ({ rows: 1, cols: 3, data: Float64Array.from(xs) });
    const result = unwrap(ppo({ epsLow: 0.2, epsHigh: 0.2 })({ logp: m([-1, -2, -3]), oldLogp: m([-1.5, -2, 0]), advantages: m([1, 1, 1]), mask: prefixMask([2], 3) }));
    expect(result.approxKl).toBeCloseTo(-0.25, 12);
  });
});
