/**
 * ppo, tensor form (docs/algorithms.md §5): at ratio ≡ 1 the autodiff gradient is −A/N per valid
 * token, and clipped tokens (pg2 > pg1) get exactly zero gradient, as in the plain form.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { unwrap } from '@rlflow/core';
import { ppo } from '@rlflow/clipping';
import { awayFromBounds, clippedRatios, policyInputArb } from '@rlflow/clipping/testing';
import { useCpuBackend } from '../../cpu-backend.js';
import { tensorEvaluation } from '../../testing.js';
import { tensorPolicyLosses } from './registry.js';

const boundsArb = fc.record({ epsLow: fc.double({ min: 0.05, max: 0.5, noNaN: true }), epsHigh: fc.double({ min: 0.05, max: 0.5, noNaN: true }) });
const dualArb = fc.option(fc.double({ min: 1.5, max: 5, noNaN: true }), { nil: null });

beforeAll(useCpuBackend);

describe('ppoTensor (docs/algorithms.md §5)', () => {
  it('at ratio ≡ 1 the token-mean loss is −mean A and its autodiff gradient −A/N per valid token', () => {
    fc.assert(
      fc.property(policyInputArb({ perTokenAdvantages: true }), boundsArb, dualArb, (input, bounds, dualClipC) => {
        const atOne = { ...input, oldLogp: input.logp };
        const n = input.mask.data.reduce((s, m) => s + m, 0);
        const meanA = input.advantages.data.reduce((s, a, i) => s + a * input.mask.data[i]!, 0) / Math.max(n, 1);
        const tensor = tensorEvaluation(tensorPolicyLosses.ppo, { ...bounds, dualClipC }, atOne);
        expect(tensor.values.loss).toBeCloseTo(-meanA, 5);
        input.advantages.data.forEach((a, i) => expect(tensor.gradLogp[i]).toBeCloseTo((-a * input.mask.data[i]!) / Math.max(n, 1), 5));
        expect(tensor.values.clipFrac).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('gives clipped tokens (pg2 > pg1) zero gradient, where the plain form does', () => {
    fc.assert(
      fc.property(policyInputArb({ minLength: 1 }), boundsArb, (input, bounds) => {
        const ratios = clippedRatios('ppo', input);
        fc.pre(awayFromBounds(ratios, bounds.epsLow, bounds.epsHigh));
        const plain = unwrap(ppo(bounds)(input));
        const tensor = tensorEvaluation(tensorPolicyLosses.ppo, bounds, input);
        ratios.forEach((r, i) => {
          const a = input.advantages.data[i]!;
          if (-a * Math.min(Math.max(r, 1 - bounds.epsLow), 1 + bounds.epsHigh) > -a * r) {
            expect(plain.gradLogp.data[i]).toBe(0);
            expect(tensor.gradLogp[i]).toBe(0);
          }
        });
      }),
      { numRuns: 80 },
    );
  });
});
