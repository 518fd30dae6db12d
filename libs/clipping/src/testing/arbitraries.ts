/**
 * fast-check generators for the clipping tests (and the tensor forms' tests in
 * @rlflow/policy/tensor): small padded [B, T] batches with float32-exact values (so the float64
 * reference and the float32 tensor form see the same inputs), masks that are a prefix of each
 * row, and per-sequence advantages broadcast over the tokens.
 */
import fc from 'fast-check';
import type { Matrix } from '@rlflow/core';
import type { PolicyLossInput } from '../policy/types.js';

/**
 * A float32-exact number in [min, max]. Magnitudes below 1e-30 become 0: products of such values
 * underflow to float32 subnormals, where the tensor form ties comparisons the float64 form does not.
 */
export const f32 = (min: number, max: number): fc.Arbitrary<number> =>
  fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => (Math.abs(x) < 1e-30 ? 0 : Math.fround(x)));

export const shapeArb = fc.record({ rows: fc.integer({ min: 1, max: 4 }), cols: fc.integer({ min: 1, max: 6 }) });

export const matrixArb = (rows: number, cols: number, min: number, max: number): fc.Arbitrary<Matrix> =>
  fc.array(f32(min, max), { minLength: rows * cols, maxLength: rows * cols }).map((xs) => ({ rows, cols, data: Float64Array.from(xs) }));

/** Row r valid for its first `lengths[r]` tokens. */
export const prefixMask = (lengths: readonly number[], cols: number): Matrix => {
  const data = new Float64Array(lengths.length * cols);
  lengths.forEach((n, r) => data.fill(1, r * cols, r * cols + n));
  return { rows: lengths.length, cols, data };
};

export const maskArb = (rows: number, cols: number, minLength = 0): fc.Arbitrary<Matrix> =>
  fc.array(fc.integer({ min: minLength, max: cols }), { minLength: rows, maxLength: rows }).map((lengths) => prefixMask(lengths, cols));

export const broadcast = (perRow: readonly number[], cols: number): Matrix => {
  const data = new Float64Array(perRow.length * cols);
  perRow.forEach((a, r) => data.fill(a, r * cols, (r + 1) * cols));
  return { rows: perRow.length, cols, data };
};

/** logp in [−3, 0], oldLogp within ±0.6 of it, one advantage per row in [−2, 2], prefix mask. */
export const policyInputArb = (options: { readonly minLength?: number; readonly perTokenAdvantages?: boolean } = {}): fc.Arbitrary<PolicyLossInput> =>
  shapeArb.chain(({ rows, cols }) =>
    fc
      .record({
        logp: matrixArb(rows, cols, -3, 0),
        shift: matrixArb(rows, cols, -0.6, 0.6),
        perRow: fc.array(f32(-2, 2), { minLength: rows, maxLength: rows }),
        perToken: matrixArb(rows, cols, -2, 2),
        mask: maskArb(rows, cols, options.minLength ?? 0),
      })
      .map(({ logp, shift, perRow, perToken, mask }) => ({
        logp,
        oldLogp: { rows, cols, data: logp.data.map((x, i) => Math.fround(x + shift.data[i]!)) },
        advantages: options.perTokenAdvantages === true ? perToken : broadcast(perRow, cols),
        mask,
      })),
  );

/** Every ratio is at least `margin` away from both clip boundaries (so float32 and float64 take the same branch). */
export const awayFromBounds = (ratios: ArrayLike<number>, epsLow: number, epsHigh: number, margin = 1e-4): boolean =>
  Array.from(ratios).every((r) => Math.abs(r - (1 - epsLow)) > margin && Math.abs(r - (1 + epsHigh)) > margin);
