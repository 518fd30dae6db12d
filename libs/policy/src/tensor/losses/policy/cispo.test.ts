/**
 * cispo, tensor form (docs/algorithms.md §5): the `sg(clamp(ratio))` weight, so autodiff gives
 * ∂loss/∂logp = −A·clamp(ratio)·∂agg/∂l at every token, clipped or not.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Matrix } from '@rlflow/core';
import { aggregationWeightsUnchecked } from '@rlflow/clipping';
import { awayFromBounds, clippedRatios, policyInputArb } from '@rlflow/clipping/testing';
import { useCpuBackend } from '../../cpu-backend.js';
import { tensorEvaluation } from '../../testing.js';
import { tensorPolicyLosses } from './registry.js';

const bounds = { epsLow: 0.2, epsHigh: 0.28 };

beforeAll(useCpuBackend);

describe('cispoTensor (docs/algorithms.md §5)', () => {
  it('∂loss/∂logp = −A·clamp(ratio)·∂agg/∂l at every token, clipped or not', () => {
    fc.assert(
      fc.property(policyInputArb({ minLength: 1, perTokenAdvantages: true }), (input) => {
        const ratios = clippedRatios('cispo', input);
        fc.pre(awayFromBounds(ratios, bounds.epsLow, bounds.epsHigh));
        const weights = aggregationWeightsUnchecked('token-mean', input.mask);
        const tensor = tensorEvaluation(tensorPolicyLosses.cispo, bounds, input);
        ratios.forEach((r, i) => expect(tensor.gradLogp[i]).toBeCloseTo(-input.advantages.data[i]! * Math.min(Math.max(r, 0.8), 1.28) * weights.data[i]!, 5));
      }),
      { numRuns: 80 },
    );
  });

  it('keeps a gradient on a clipped token, where ppo has none', () => {
    const m = (xs: number[]): Matrix => ({ rows: 1, cols: 1, data: Float64Array.from(xs) });
    const input = { logp: m([-0.5]), oldLogp: m([-1]), advantages: m([1]), mask: m([1]) };
    const cispo = tensorEvaluation(tensorPolicyLosses.cispo, bounds, input);
    expect(cispo.values.clipFrac).toBe(1);
    expect(cispo.gradLogp[0]).toBeCloseTo(-1.28, 5);
    expect(tensorEvaluation(tensorPolicyLosses.ppo, bounds, input).gradLogp[0]).toBe(0);
  });
});
