/**
 * AAAC clip bounds (docs/algorithms.md §4): equal to fixed at δ = 0, monotone in A, inside their
 * range; typed errors.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap, type StageError } from '@rlflow/core';
import { AAAC_DEFAULTS, aaac, aaacBound, type AaacParams } from './aaac.js';
import { fixed } from './fixed.js';
import { f32, matrixArb, shapeArb } from './testing/arbitraries.js';

const paramsArb: fc.Arbitrary<AaacParams> = fc.record({
  epsLow0: fc.double({ min: 0, max: 1, noNaN: true }),
  epsHigh0: fc.double({ min: 0, max: 2, noNaN: true }),
  deltaLow: fc.double({ min: 0, max: 1, noNaN: true }),
  deltaHigh: fc.double({ min: 0, max: 1, noNaN: true }),
  kappa: fc.double({ min: 0.05, max: 5, noNaN: true }),
});

const advantagesArb = shapeArb.chain(({ rows, cols }) => matrixArb(rows, cols, -50, 50));

const left = <A>(result: E.Either<StageError, A>): StageError => {
  if (E.isRight(result)) throw new Error('expected a StageError');
  return result.left;
};

describe('aaac (docs/algorithms.md §4)', () => {
  it('equals fixed(epsLow0, epsHigh0) when δ_low = δ_high = 0', () => {
    fc.assert(
      fc.property(paramsArb, advantagesArb, (p, advantages) => {
        const adaptive = unwrap(aaac({ ...p, deltaLow: 0, deltaHigh: 0 })(advantages));
        const constant = unwrap(fixed({ epsLow: p.epsLow0, epsHigh: p.epsHigh0 })(advantages));
        expect(adaptive.epsLow.data).toEqual(constant.epsLow.data);
        expect(adaptive.epsHigh.data).toEqual(constant.epsHigh.data);
      }),
      { numRuns: 100 },
    );
  });

  it('is monotone non-decreasing in the advantage, both bounds', () => {
    fc.assert(
      fc.property(paramsArb, f32(-20, 20), f32(-20, 20), (p, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const x = aaacBound(p, lo);
        const y = aaacBound(p, hi);
        expect(x.epsHigh).toBeLessThanOrEqual(y.epsHigh);
        expect(x.epsLow).toBeLessThanOrEqual(y.epsLow);
      }),
      { numRuns: 300 },
    );
  });

  it('stays in [epsLow0(1 − δ_low), epsLow0] and [epsHigh0, epsHigh0 + δ_high]', () => {
    fc.assert(
      fc.property(paramsArb, advantagesArb, (p, advantages) => {
        const { epsLow, epsHigh } = unwrap(aaac(p)(advantages));
        for (const e of epsLow.data) {
          expect(e).toBeGreaterThanOrEqual(p.epsLow0 * (1 - p.deltaLow));
          expect(e).toBeLessThanOrEqual(p.epsLow0);
        }
        for (const e of epsHigh.data) {
          expect(e).toBeGreaterThanOrEqual(p.epsHigh0);
          expect(e).toBeLessThanOrEqual(p.epsHigh0 + p.deltaHigh);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('widens the upper bound for positive advantages and narrows the lower one for negative ones', () => {
    const { epsLow, epsHigh } = unwrap(aaac()({ rows: 1, cols: 3, data: Float64Array.from([-1, 0, 1]) }));
    expect(Array.from(epsHigh.data)).toEqual([0.28, 0.28, 0.28 + 0.12 * Math.tanh(1)]);
    expect(Array.from(epsLow.data)).toEqual([0.2 * (1 - 0.5 * Math.tanh(1)), 0.2, 0.2]);
  });

  it('takes the §4 defaults for parameters not given', () => {
    expect(AAAC_DEFAULTS).toEqual({ epsLow0: 0.2, epsHigh0: 0.28, deltaLow: 0.5, deltaHigh: 0.12, kappa: 1 });
    const advantages = { rows: 1, cols: 2, data: Float64Array.from([0.7, -0.3]) };
    expect(unwrap(aaac({ kappa: 1 })(advantages))).toEqual(unwrap(aaac(AAAC_DEFAULTS)(advantages)));
  });

  describe('bad input is a StageError naming the field and index', () => {
    const advantages = { rows: 2, cols: 2, data: Float64Array.from([0, 1, Number.NaN, 2]) };
    const ok = { rows: 1, cols: 1, data: Float64Array.from([0]) };

    it('a non-finite advantage', () => {
      const err = left(aaac()(advantages));
      expect([err.stage, err.field, err.index, err.kind]).toEqual(['clip.aaac', 'advantages', [1, 0], 'not-finite']);
    });

    it.each([
      ['kappa', { kappa: 0 }],
      ['deltaLow', { deltaLow: 1.5 }],
      ['deltaHigh', { deltaHigh: -0.1 }],
      ['epsLow0', { epsLow0: Number.NaN }],
      ['epsHigh0', { epsHigh0: -1 }],
    ] as const)('a bad %s', (name, params) => {
      const err = left(aaac(params)(ok));
      expect([err.stage, err.field, err.kind]).toEqual(['clip.aaac', name, 'out-of-range']);
    });

    it('bad fixed bounds', () => {
      expect(left(fixed({ epsLow: 1.2, epsHigh: 0.2 })(ok)).field).toBe('epsLow');
      expect(left(fixed({ epsLow: 0.2, epsHigh: Number.POSITIVE_INFINITY })(ok)).field).toBe('epsHigh');
      expect(left(fixed({ epsLow: 0.2, epsHigh: 0.2 })(advantages)).index).toEqual([1, 0]);
    });
  });
});
