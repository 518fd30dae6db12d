/**
 * AAAC clip bounds, tensor form (docs/algorithms.md §4): agrees with the plain form, works per
 * sequence ([B, 1]), typed errors; leaves no tensor behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap } from '@rlflow/core';
import { aaac, type AaacParams } from '@rlflow/clipping';
import { matrixArb, shapeArb } from '@rlflow/clipping/testing';
import { toTensor2D } from '../convert.js';
import { useCpuBackend } from '../cpu-backend.js';
import { leakedBy } from '../testing.js';
import { aaacTensor } from './aaac.js';

const paramsArb: fc.Arbitrary<AaacParams> = fc.record({
  epsLow0: fc.double({ min: 0, max: 1, noNaN: true }),
  epsHigh0: fc.double({ min: 0, max: 2, noNaN: true }),
  deltaLow: fc.double({ min: 0, max: 1, noNaN: true }),
  deltaHigh: fc.double({ min: 0, max: 1, noNaN: true }),
  kappa: fc.double({ min: 0.05, max: 5, noNaN: true }),
});

const advantagesArb = shapeArb.chain(({ rows, cols }) => matrixArb(rows, cols, -50, 50));

beforeAll(useCpuBackend);

describe('aaacTensor (docs/algorithms.md §4)', () => {
  it('agrees with the plain form and leaves no tensor behind', () => {
    fc.assert(
      fc.property(paramsArb, advantagesArb, (p, advantages) => {
        const plain = unwrap(aaac(p)(advantages));
        const leaked = leakedBy(() => {
          const a = toTensor2D(advantages);
          const bounds = unwrap(aaacTensor(p)(a));
          const low = bounds.epsLow.dataSync();
          const high = bounds.epsHigh.dataSync();
          plain.epsLow.data.forEach((x, i) => expect(low[i]).toBeCloseTo(x, 5));
          plain.epsHigh.data.forEach((x, i) => expect(high[i]).toBeCloseTo(x, 5));
          tf.dispose([a, bounds.epsLow, bounds.epsHigh]);
        });
        expect(leaked).toBe(0);
      }),
      { numRuns: 30 },
    );
  });

  it('works per sequence ([B, 1])', () => {
    const a = tf.tensor2d([[1], [-1]]);
    const bounds = unwrap(aaacTensor()(a));
    expect(bounds.epsHigh.shape).toEqual([2, 1]);
    expect(Array.from(bounds.epsHigh.dataSync())[0]).toBeCloseTo(0.28 + 0.12 * Math.tanh(1), 6);
    tf.dispose([a, bounds.epsLow, bounds.epsHigh]);
  });

  it('reports a non-finite advantage with its index, and a bad parameter as the plain form does', () => {
    const t = tf.tensor2d([[0, Number.POSITIVE_INFINITY]]);
    const ok = tf.tensor2d([[0]]);
    const leaked = leakedBy(() => {
      const r = aaacTensor()(t);
      expect(E.isLeft(r) && [r.left.stage, r.left.field, r.left.index, r.left.kind]).toEqual(['clip.aaac', 'advantages', [0, 1], 'not-finite']);
      const k = aaacTensor({ kappa: 0 })(ok);
      const plain = aaac({ kappa: 0 })({ rows: 1, cols: 1, data: Float64Array.from([0]) });
      expect(E.isLeft(k) && E.isLeft(plain) && [k.left.field, k.left.kind]).toEqual(E.isLeft(plain) && [plain.left.field, plain.left.kind]);
    });
    tf.dispose([t, ok]);
    expect(leaked).toBe(0);
  });
});
