/**
 * pairedDifference: a hand-computed case, invariants (shift invariance, antisymmetry, the
 * interval contains the mean and is 2·1.96·SE wide, a constant difference has SE 0), and errors
 * naming the field and index.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap } from '@rlflow/core';
import { pairedDifference } from './paired.js';

describe('pairedDifference', () => {
  it('matches a hand computation', () => {
    // d = [1, 0, 0, -1, 1]: mean 0.2, s² = (0.64 + 0.04 + 0.04 + 1.44 + 0.64) / 4 = 0.7, SE = √(0.7/5)
    const r = unwrap(pairedDifference([0, 1, 0, 1, 0], [1, 1, 0, 0, 1]));
    expect(r.n).toBe(5);
    expect(r.mean).toBeCloseTo(0.2, 15);
    expect(r.se).toBeCloseTo(Math.sqrt(0.7 / 5), 15);
    expect(r.low).toBeCloseTo(0.2 - 1.959963984540054 * Math.sqrt(0.14), 12);
  });

  const pairs = fc.integer({ min: 2, max: 40 }).chain((n) =>
    fc.tuple(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n }), fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n })),
  );

  it('is unchanged by adding a constant to both sides, flips sign when the sides swap, and brackets its mean', () => {
    fc.assert(
      fc.property(pairs, fc.double({ min: -5, max: 5, noNaN: true }), ([before, after], shift) => {
        const r = unwrap(pairedDifference(before, after));
        const shifted = unwrap(pairedDifference(before.map((x) => x + shift), after.map((x) => x + shift)));
        const swapped = unwrap(pairedDifference(after, before));
        expect(shifted.mean).toBeCloseTo(r.mean, 9);
        expect(shifted.se).toBeCloseTo(r.se, 9);
        expect(swapped.mean).toBeCloseTo(-r.mean, 12);
        expect(swapped.se).toBeCloseTo(r.se, 12);
        expect(r.se).toBeGreaterThanOrEqual(0);
        expect(r.low).toBeLessThanOrEqual(r.mean);
        expect(r.high).toBeGreaterThanOrEqual(r.mean);
        expect(r.high - r.low).toBeCloseTo(2 * 1.959963984540054 * r.se, 9);
      }),
    );
  });

  it('gives SE 0 for a constant difference', () => {
    const r = unwrap(pairedDifference([0.25, 0.5, 0.75], [0.5, 0.75, 1]));
    expect(r.mean).toBeCloseTo(0.25, 15);
    expect(r.se).toBeCloseTo(0, 15);
  });

  it('names the field and index of bad input', () => {
    const short = pairedDifference([0, 1, 1], [1, 0]);
    expect(E.isLeft(short) && [short.left.field, short.left.kind]).toEqual(['after', 'length-mismatch']);
    const one = pairedDifference([0], [1]);
    expect(E.isLeft(one) && one.left.field).toBe('before.length');
    const nan = pairedDifference([0, 1, 0], [1, Number.NaN, 0]);
    expect(E.isLeft(nan) && [nan.left.field, nan.left.index]).toEqual(['after', 1]);
  });
});
