/**
 * Loss aggregation (docs/algorithms.md §3): worked example, agreement of the modes at equal lengths,
 * empty batches, weights = ∂agg/∂loss; typed errors.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap, type Matrix } from '@rlflow/core';
import { LOSS_AGGREGATIONS, aggregate, aggregationWeights, type LossAggregation } from './aggregation.js';
import { f32, maskArb, matrixArb, prefixMask, shapeArb } from './testing/arbitraries.js';

const casesArb = shapeArb.chain(({ rows, cols }) => fc.record({ loss: matrixArb(rows, cols, -5, 5), mask: maskArb(rows, cols) }));
/** Every row valid for the same number L ≥ 1 of tokens. */
const equalLengthsArb = shapeArb.chain(({ rows, cols }) =>
  fc.record({ loss: matrixArb(rows, cols, -5, 5), length: fc.integer({ min: 1, max: cols }) }).map(({ loss, length }) => ({
    loss,
    length,
    mask: prefixMask(Array.from({ length: rows }, () => length), cols),
  })),
);

const agg = (mode: LossAggregation, loss: Matrix, mask: Matrix, normConstant?: number): number => unwrap(aggregate(mode, { normConstant })(loss, mask));

describe('loss aggregation (docs/algorithms.md §3)', () => {
  it('computes each mode on a worked example', () => {
    const loss = { rows: 2, cols: 3, data: Float64Array.from([1, 2, 3, 4, 5, 6]) };
    const mask = prefixMask([3, 1], 3);
    expect(agg('token-mean', loss, mask)).toBeCloseTo((1 + 2 + 3 + 4) / 4, 12);
    expect(agg('seq-mean-token-sum', loss, mask)).toBeCloseTo((6 + 4) / 2, 12);
    expect(agg('seq-mean-token-mean', loss, mask)).toBeCloseTo((2 + 4) / 2, 12);
    expect(agg('seq-mean-token-sum-norm', loss, mask)).toBeCloseTo(10 / 3, 12);
    expect(agg('seq-mean-token-sum-norm', loss, mask, 8)).toBeCloseTo(10 / 8, 12);
  });

  it('agrees where it must: equal lengths L give token-mean = seq-mean-token-mean = seq-mean-token-sum / L', () => {
    fc.assert(
      fc.property(equalLengthsArb, ({ loss, mask, length }) => {
        const tokenMean = agg('token-mean', loss, mask);
        expect(agg('seq-mean-token-mean', loss, mask)).toBeCloseTo(tokenMean, 10);
        expect(agg('seq-mean-token-sum', loss, mask) / length).toBeCloseTo(tokenMean, 10);
        expect(agg('seq-mean-token-sum-norm', loss, mask, length * loss.rows)).toBeCloseTo(tokenMean, 10);
      }),
      { numRuns: 100 },
    );
  });

  it('is 0 for a batch with no valid token, in every mode', () => {
    fc.assert(
      fc.property(
        shapeArb.chain(({ rows, cols }) => matrixArb(rows, cols, -5, 5)),
        (loss) => {
          const mask = prefixMask(Array.from({ length: loss.rows }, () => 0), loss.cols);
          for (const mode of LOSS_AGGREGATIONS) expect(agg(mode, loss, mask)).toBe(0);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('ignores masked-out tokens, and the mean modes of a constant loss are that constant', () => {
    fc.assert(
      fc.property(casesArb, f32(-3, 3), ({ loss, mask }, constant) => {
        fc.pre(mask.data.some((m) => m === 1));
        const scrambled = { ...loss, data: loss.data.map((x, i) => (mask.data[i] === 1 ? x : x * 7 + 100)) };
        for (const mode of LOSS_AGGREGATIONS) expect(agg(mode, scrambled, mask)).toBeCloseTo(agg(mode, loss, mask), 10);
        const flat = { ...loss, data: loss.data.map(() => constant) };
        expect(agg('token-mean', flat, mask)).toBeCloseTo(constant, 10);
        expect(agg('seq-mean-token-mean', flat, mask)).toBeCloseTo(constant, 10);
      }),
      { numRuns: 100 },
    );
  });

  it('weights are ∂agg/∂loss: the aggregate is Σ w·loss', () => {
    fc.assert(
      fc.property(casesArb, fc.constantFrom(...LOSS_AGGREGATIONS), ({ loss, mask }, mode) => {
        const w = unwrap(aggregationWeights(mode)(mask));
        let s = 0;
        w.data.forEach((x, i) => (s += x * loss.data[i]!));
        expect(agg(mode, loss, mask)).toBeCloseTo(s, 12);
      }),
      { numRuns: 100 },
    );
  });

  describe('bad input is a StageError naming the field and index', () => {
    const loss = { rows: 1, cols: 2, data: Float64Array.from([1, 2]) };
    const mask = prefixMask([2], 2);
    const error = (result: E.Either<unknown, unknown>) => (E.isLeft(result) ? result.left : undefined);

    it('an unknown mode, a bad normConstant', () => {
      expect(error(aggregate('mean' as LossAggregation)(loss, mask))).toMatchObject({ stage: 'loss.aggregate', field: 'lossAgg', kind: 'invalid' });
      expect(error(aggregate('seq-mean-token-sum-norm', { normConstant: 0 })(loss, mask))).toMatchObject({ field: 'normConstant', kind: 'out-of-range' });
    });

    it('a shape mismatch, a NaN loss, a mask outside {0, 1}', () => {
      expect(error(aggregate('token-mean')(loss, prefixMask([1, 1], 2)))).toMatchObject({ field: 'mask', kind: 'length-mismatch' });
      expect(error(aggregate('token-mean')({ ...loss, data: Float64Array.from([1, Number.NaN]) }, mask))).toMatchObject({ field: 'loss', index: [0, 1], kind: 'not-finite' });
      expect(error(aggregate('token-mean')(loss, { ...mask, data: Float64Array.from([1, 0.5]) }))).toMatchObject({ field: 'mask', index: [0, 1], kind: 'not-binary' });
    });

  });
});
