/**
 * cispo (docs/algorithms.md §5): the `sg(clamp(ratio))` stop-gradient keeps clipped tokens' gradient; clipFrac.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { unwrap, type Matrix } from '@rlflow/core';
import { aggregationWeightsUnchecked } from '../aggregation.js';
import { awayFromBounds, policyInputArb, prefixMask } from '../testing/arbitraries.js';
import { clippedRatios, numericGradient } from '../testing/policy.js';
import { CISPO_TYPICAL_BOUNDS, cispo } from './cispo.js';
import { policyLosses } from './registry.js';

const bounds = { epsLow: 0.2, epsHigh: 0.28 };

describe('cispo (docs/algorithms.md §5)', () => {
  it('stops the gradient of the clipped weight: ∂loss/∂logp = −A·clamp(ratio)·∂agg/∂l at every token, clipped or not', () => {
    fc.assert(
      fc.property(policyInputArb({ minLength: 1, perTokenAdvantages: true }), (input) => {
        const ratios = clippedRatios('cispo', input);
        fc.pre(awayFromBounds(ratios, bounds.epsLow, bounds.epsHigh));
        const weights = aggregationWeightsUnchecked('token-mean', input.mask);
        const expected = ratios.map((r, i) => -input.advantages.data[i]! * Math.min(Math.max(r, 0.8), 1.28) * weights.data[i]!);
        const plain = unwrap(cispo(bounds)(input));
        expected.forEach((g, i) => {
          expect(plain.gradLogp.data[i]).toBeCloseTo(g, 12);
        });
      }),
      { numRuns: 80 },
    );
  });

  it('keeps a gradient on clipped tokens, unlike ppo', () => {
    const m = (xs: number[]): Matrix => ({ rows: 1, cols: 1, data: Float64Array.from(xs) });
    const input = { logp: m([-0.5]), oldLogp: m([-1]), advantages: m([1]), mask: m([1]) };
    const ratio = Math.exp(0.5);
    expect(ratio).toBeGreaterThan(1.28);
    const result = unwrap(cispo(bounds)(input));
    expect(result.clipFrac).toBe(1);
    expect(result.gradLogp.data[0]).toBeCloseTo(-1.28, 12);
    expect(unwrap(policyLosses.ppo.plain(bounds)(input)).gradLogp.data[0]).toBe(0);
  });

  it('differs from the full derivative of its value (which would also differentiate the weight)', () => {
    const m = (xs: number[]): Matrix => ({ rows: 1, cols: 1, data: Float64Array.from(xs) });
    const input = { logp: m([-1]), oldLogp: m([-1.1]), advantages: m([1]), mask: m([1]) };
    const r = Math.exp(0.1);
    const full = numericGradient((logp) => unwrap(cispo(bounds)({ ...input, logp })).loss, input.logp)[0]!;
    expect(full).toBeCloseTo(-r - r * -1, 6);
    expect(unwrap(cispo(bounds)(input)).gradLogp.data[0]).toBeCloseTo(-r, 12);
  });

  it('counts ratios outside [1 − epsLow, 1 + epsHigh] in clipFrac; at the typical 0 / 4 a ratio below 1 or above 5 counts', () => {
    const m = (xs: number[]): Matrix => ({ rows: 1, cols: 4, data: Float64Array.from(xs) });
    const logp = m([-1, -1, -1, -1]);
    const oldLogp = m([-0.9, -1, -1.1, -3]);
    const input = { logp, oldLogp, advantages: m([1, 1, 1, 1]), mask: prefixMask([4], 4) };
    // ratios e^−0.1, 1, e^0.1, e^2
    expect(unwrap(cispo(CISPO_TYPICAL_BOUNDS)(input)).clipFrac).toBe(0.5);
    expect(unwrap(cispo({ epsLow: 0.05, epsHigh: 0.05 })(input)).clipFrac).toBe(0.75);
  });
});
