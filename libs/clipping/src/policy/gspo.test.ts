/**
 * gspo (docs/algorithms.md §5): sequence ratio, and the `logp − sg(logp) + sg(log s)` stop-gradient.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { unwrap, type Matrix } from '@rlflow/core';
import { aggregationWeightsUnchecked } from '../aggregation.js';
import { awayFromBounds, policyInputArb, prefixMask } from '../testing/arbitraries.js';
import { clippedRatios, numericGradient } from '../testing/policy.js';
import { GSPO_TYPICAL_BOUNDS, gspo, sequenceLogRatios } from './gspo.js';

const bounds = { epsLow: 0.2, epsHigh: 0.28 };

describe('gspo (docs/algorithms.md §5)', () => {
  it('gives every token of a sequence the ratio s_i = exp(masked mean of logp − oldLogp)', () => {
    const m = (rows: number[][]): Matrix => ({ rows: rows.length, cols: rows[0]!.length, data: Float64Array.from(rows.flat()) });
    const input = { logp: m([[-1, -2, -9]]), oldLogp: m([[-1.2, -2.1, 0]]), advantages: m([[1, 1, 1]]), mask: prefixMask([2], 3) };
    const logS = sequenceLogRatios(input.logp, input.oldLogp, input.mask)[0]!;
    expect(logS).toBeCloseTo(0.15, 12);
    // s = e^0.15 ≈ 1.16 is inside [0.8, 1.28]: unclipped, l = −A·s on both valid tokens.
    expect(unwrap(gspo(bounds)(input)).loss).toBeCloseTo(-Math.exp(0.15), 12);
  });

  it('stops the gradient of s_i: token (i, t) gets −A_it·s_i·∂agg/∂l_it, through its own term only', () => {
    fc.assert(
      fc.property(policyInputArb({ minLength: 1, perTokenAdvantages: true }), (input) => {
        const ratios = clippedRatios('gspo', input);
        fc.pre(awayFromBounds(ratios, bounds.epsLow, bounds.epsHigh));
        const weights = aggregationWeightsUnchecked('seq-mean-token-mean', input.mask);
        const expected = ratios.map((s, i) => {
          const a = input.advantages.data[i]!;
          const pg1 = -a * s;
          const pg2 = -a * Math.min(Math.max(s, 1 - bounds.epsLow), 1 + bounds.epsHigh);
          return pg1 >= pg2 ? -a * s * weights.data[i]! : 0;
        });
        const plain = unwrap(gspo(bounds)(input));
        expected.forEach((g, i) => {
          expect(plain.gradLogp.data[i]).toBeCloseTo(g, 12);
        });
      }),
      { numRuns: 80 },
    );
  });

  it('differs from the full derivative of its value when advantages vary within a sequence (the sg matters)', () => {
    const m = (xs: number[]): Matrix => ({ rows: 1, cols: 2, data: Float64Array.from(xs) });
    const input = { logp: m([-1, -1.1]), oldLogp: m([-1.05, -1.1]), advantages: m([2, -1]), mask: prefixMask([2], 2) };
    const plain = unwrap(gspo(bounds)(input));
    const full = numericGradient((logp) => unwrap(gspo(bounds)({ ...input, logp })).loss, input.logp);
    const s = Math.exp(0.025);
    // own-term gradient: −A_t·s/2 per token; the value's full derivative is −(A_1 + A_2)·s/4 for both.
    expect(Array.from(plain.gradLogp.data)).toEqual([(-2 * s) / 2, (1 * s) / 2].map((g) => expect.closeTo(g, 12)));
    expect(Array.from(full)).toEqual([(-1 * s) / 4, (-1 * s) / 4].map((g) => expect.closeTo(g, 6)));
  });

  it('with one advantage per sequence, its gradient is the full derivative of its value', () => {
    fc.assert(
      fc.property(policyInputArb({ minLength: 1 }), (input) => {
        fc.pre(awayFromBounds(clippedRatios('gspo', input), bounds.epsLow, bounds.epsHigh, 1e-3));
        const analytic = unwrap(gspo(bounds)(input)).gradLogp.data;
        const numeric = numericGradient((logp) => unwrap(gspo(bounds)({ ...input, logp })).loss, input.logp);
        numeric.forEach((g, i) => expect(analytic[i]).toBeCloseTo(g, 6));
      }),
      { numRuns: 40 },
    );
  });

  it('clips almost everything at its typical bounds 3e-4 / 4e-4 once the policy moves', () => {
    const m = (xs: number[]): Matrix => ({ rows: 1, cols: 2, data: Float64Array.from(xs) });
    const moved = unwrap(gspo(GSPO_TYPICAL_BOUNDS)({ logp: m([-1, -1]), oldLogp: m([-1.1, -1.1]), advantages: m([1, 1]), mask: prefixMask([2], 2) }));
    expect(moved.clipFrac).toBe(1);
    expect(Array.from(moved.gradLogp.data)).toEqual([0, 0]);
    const still = unwrap(gspo(GSPO_TYPICAL_BOUNDS)({ logp: m([-1, -1]), oldLogp: m([-1, -1]), advantages: m([1, 1]), mask: prefixMask([2], 2) }));
    expect(still.clipFrac).toBe(0);
    expect(still.loss).toBe(-1);
  });
});
