/**
 * PAPO's extra terms (docs/algorithms.md §10): sign of the perception loss, the analytic gradients
 * (no gradient into the masked log-probs through the perception term); typed errors.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap } from '@rlflow/core';
import { aggregationWeightsUnchecked } from './aggregation.js';
import { PAPO_DEFAULTS, papo, type PapoParams } from './papo.js';
import { maskArb, matrixArb, prefixMask, shapeArb } from './testing/arbitraries.js';

const papoInputArb = shapeArb.chain(({ rows, cols }) =>
  fc.record({ logp: matrixArb(rows, cols, -4, 0), logpMasked: matrixArb(rows, cols, -4, 0), mask: maskArb(rows, cols, 1) }),
);
const paramsArb = fc.record({ gamma: fc.double({ min: 0.005, max: 0.05, noNaN: true }), eta: fc.double({ min: 0.005, max: 0.05, noNaN: true }) });

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

  it('has the analytic gradients −γ·w·∂k3/∂logp − η·w and −η·w', () => {
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
      }),
      { numRuns: 40 },
    );
  });

  it('uses γ = 0.01, η = 0.03 by default', () => {
    expect(PAPO_DEFAULTS).toEqual({ gamma: 0.01, eta: 0.03 });
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
