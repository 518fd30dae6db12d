/**
 * gspo, tensor form (docs/algorithms.md §5): the `logp − sg(logp) + sg(log s)` stop-gradient, so
 * token (i, t) gets −A_it·s_i·∂agg/∂l_it by autodiff, through its own term only.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Matrix } from '@rlflow/core';
import { aggregationWeightsUnchecked } from '@rlflow/clipping';
import { awayFromBounds, clippedRatios, policyInputArb, prefixMask } from '@rlflow/clipping/testing';
import { useCpuBackend } from '../../cpu-backend.js';
import { tensorEvaluation } from '../../testing.js';
import { tensorPolicyLosses } from './registry.js';

const bounds = { epsLow: 0.2, epsHigh: 0.28 };

beforeAll(useCpuBackend);

describe('gspoTensor (docs/algorithms.md §5)', () => {
  it('stops the gradient of s_i: token (i, t) gets −A_it·s_i·∂agg/∂l_it, through its own term only', () => {
    fc.assert(
      fc.property(policyInputArb({ minLength: 1, perTokenAdvantages: true }), (input) => {
        const ratios = clippedRatios('gspo', input);
        fc.pre(awayFromBounds(ratios, bounds.epsLow, bounds.epsHigh));
        const weights = aggregationWeightsUnchecked('seq-mean-token-mean', input.mask);
        const tensor = tensorEvaluation(tensorPolicyLosses.gspo, bounds, input);
        ratios.forEach((s, i) => {
          const a = input.advantages.data[i]!;
          const unclipped = -a * s >= -a * Math.min(Math.max(s, 1 - bounds.epsLow), 1 + bounds.epsHigh);
          expect(tensor.gradLogp[i]).toBeCloseTo(unclipped ? -a * s * weights.data[i]! : 0, 5);
        });
      }),
      { numRuns: 80 },
    );
  });

  it('gives −A_t·s/2 per token when advantages vary within a sequence, not the full derivative −(A_1 + A_2)·s/4', () => {
    const m = (xs: number[]): Matrix => ({ rows: 1, cols: 2, data: Float64Array.from(xs) });
    const input = { logp: m([-1, -1.1]), oldLogp: m([-1.05, -1.1]), advantages: m([2, -1]), mask: prefixMask([2], 2) };
    const s = Math.exp(0.025);
    expect(Array.from(tensorEvaluation(tensorPolicyLosses.gspo, bounds, input).gradLogp)).toEqual([(-2 * s) / 2, (1 * s) / 2].map((g) => expect.closeTo(g, 5)));
  });
});
