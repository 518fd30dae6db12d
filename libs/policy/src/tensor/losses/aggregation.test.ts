/**
 * Loss aggregation, tensor form (docs/algorithms.md §3): agrees with the plain form in every mode,
 * typed errors; leaves no tensor behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap } from '@rlflow/core';
import { LOSS_AGGREGATIONS, aggregate, type LossAggregation } from '@rlflow/clipping';
import { maskArb, matrixArb, shapeArb } from '@rlflow/clipping/testing';
import { toTensor2D } from '../convert.js';
import { useCpuBackend } from '../cpu-backend.js';
import { leakedBy } from '../testing.js';
import { aggregateTensor } from './aggregation.js';

const casesArb = shapeArb.chain(({ rows, cols }) => fc.record({ loss: matrixArb(rows, cols, -5, 5), mask: maskArb(rows, cols) }));

beforeAll(useCpuBackend);

describe('aggregateTensor (docs/algorithms.md §3)', () => {
  it('agrees with the plain form and leaves no tensor behind', () => {
    fc.assert(
      fc.property(casesArb, fc.constantFrom(...LOSS_AGGREGATIONS), ({ loss, mask }, mode) => {
        const expected = unwrap(aggregate(mode)(loss, mask));
        const leaked = leakedBy(() => {
          const [l, m] = [toTensor2D(loss), toTensor2D(mask)];
          const value = unwrap(aggregateTensor(mode)(l, m));
          expect(value.dataSync()[0]).toBeCloseTo(expected, 4);
          tf.dispose([l, m, value]);
        });
        expect(leaked).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('bad input is a StageError naming the field and index, leaving no tensor behind', () => {
    const error = (result: E.Either<unknown, unknown>) => (E.isLeft(result) ? result.left : undefined);
    const infinite = tf.tensor2d([[1, Number.NEGATIVE_INFINITY]]);
    const finite = tf.tensor2d([[1, 2]]);
    const ones = tf.tensor2d([[1, 1]]);
    const wide = tf.tensor2d([[1, 1, 1]]);
    const leaked = leakedBy(() => {
      expect(error(aggregateTensor('token-mean')(infinite, ones))).toMatchObject({ stage: 'loss.aggregate', field: 'loss', index: [0, 1], kind: 'not-finite' });
      expect(error(aggregateTensor('token-mean')(finite, finite))).toMatchObject({ field: 'mask', index: [0, 1], kind: 'not-binary' });
      expect(error(aggregateTensor('token-mean')(finite, wide))).toMatchObject({ field: 'mask', kind: 'length-mismatch' });
      expect(error(aggregateTensor('sum' as LossAggregation)(finite, ones))).toMatchObject({ field: 'lossAgg', kind: 'invalid' });
    });
    expect(leaked).toBe(0);
    tf.dispose([infinite, finite, ones, wide]);
  });
});
