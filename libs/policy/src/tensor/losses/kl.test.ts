/**
 * KL estimators and KL loss, tensor form (docs/algorithms.md §2, §6): agree with the plain forms
 * (values and autodiff gradients), abs has derivative 0 at logp = refLogp, typed errors; leave no
 * tensor behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap, type Matrix } from '@rlflow/core';
import { FLOAT32, assertClose } from '@rlflow/core/testing';
import { KL_ESTIMATORS, klEstimators, klLoss, type KlLossParams } from '@rlflow/clipping';
import { f32, maskArb, matrixArb, prefixMask, shapeArb } from '@rlflow/clipping/testing';
import { toTensor2D } from '../convert.js';
import { useCpuBackend } from '../cpu-backend.js';
import { lossAndGradient } from '../evaluate.js';
import { leakedBy } from '../testing.js';
import { klEstimateTensor, klLossTensor } from './kl.js';

const klInputArb = shapeArb.chain(({ rows, cols }) =>
  fc.record({
    logp: matrixArb(rows, cols, -4, 0),
    refLogp: matrixArb(rows, cols, -4, 0),
    mask: maskArb(rows, cols),
    seqWeights: fc.array(f32(0, 1.2), { minLength: rows, maxLength: rows }),
  }),
);

const tensorKlLoss = (params: KlLossParams, x: { logp: Matrix; refLogp: Matrix; mask: Matrix }) => {
  const [refLogp, mask, logp] = [toTensor2D(x.refLogp), toTensor2D(x.mask), toTensor2D(x.logp)];
  try {
    return unwrap(lossAndGradient((lp) => klLossTensor(params)({ logp: lp, refLogp, mask }))(logp));
  } finally {
    tf.dispose([refLogp, mask, logp]);
  }
};

beforeAll(useCpuBackend);

describe('klEstimateTensor (docs/algorithms.md §2)', () => {
  it('agrees with the plain estimators and leaves no tensor behind', () => {
    fc.assert(
      fc.property(klInputArb, ({ logp, refLogp }) => {
        const plain = unwrap(klEstimators(logp, refLogp));
        const leaked = leakedBy(() => {
          const [lp, ref] = [toTensor2D(logp), toTensor2D(refLogp)];
          for (const k of KL_ESTIMATORS) {
            const t = unwrap(klEstimateTensor(k)(lp, ref));
            assertClose(t.dataSync(), plain[k].data, FLOAT32, k);
            t.dispose();
          }
          tf.dispose([lp, ref]);
        });
        expect(leaked).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it('abs has autodiff derivative 0 where logp = refLogp', () => {
    const x = { rows: 1, cols: 1, data: Float64Array.from([-1]) };
    expect(tensorKlLoss({ estimator: 'abs', coef: 1 }, { logp: x, refLogp: x, mask: prefixMask([1], 1) }).gradLogp[0]).toBe(0);
  });
});

describe('klLossTensor (docs/algorithms.md §6)', () => {
  it('agrees with the plain form (value and autodiff gradient) and leaves no tensor behind', () => {
    fc.assert(
      fc.property(klInputArb, fc.constantFrom(...KL_ESTIMATORS), fc.boolean(), (x, estimator, weighted) => {
        const params: KlLossParams = { estimator, coef: 0.01, seqWeights: weighted ? x.seqWeights : null };
        const plain = unwrap(klLoss(params)(x));
        let tensor: ReturnType<typeof tensorKlLoss> | undefined;
        expect(leakedBy(() => (tensor = tensorKlLoss(params, x)))).toBe(0);
        assertClose(tensor!.values.loss, plain.loss, FLOAT32, 'loss');
        assertClose(tensor!.gradLogp, plain.gradLogp.data, FLOAT32, 'gradLogp');
      }),
      { numRuns: 60 },
    );
  });

  it('bad input is a StageError naming the field and index, leaving no tensor behind', () => {
    const x = { rows: 2, cols: 2, data: Float64Array.from([-1, -2, -3, -4]) };
    const nan = { ...x, data: Float64Array.from([-1, -2, Number.NaN, -4]) };
    const mask = prefixMask([2, 1], 2);
    const [t, tNan, tMask] = [toTensor2D(x), toTensor2D(nan), toTensor2D(mask)];
    const column = tf.zeros([4, 1]) as tf.Tensor2D;
    const leaked = leakedBy(() => {
      const r = klLossTensor({ estimator: 'k3', coef: 1 })({ logp: tNan, refLogp: t, mask: tMask });
      expect(E.isLeft(r) && [r.left.stage, r.left.field, r.left.index, r.left.kind]).toEqual(['kl.loss', 'logp', [1, 0], 'not-finite']);
      const s = klEstimateTensor('k2')(t, column);
      expect(E.isLeft(s) && [s.left.stage, s.left.field, s.left.kind]).toEqual(['kl.estimators', 'refLogp', 'length-mismatch']);
      const w = klLossTensor({ estimator: 'k3', coef: 1, seqWeights: [1] })({ logp: t, refLogp: t, mask: tMask });
      expect(E.isLeft(w) && [w.left.field, w.left.kind]).toEqual(['seqWeights', 'length-mismatch']);
    });
    tf.dispose([t, tNan, tMask, column]);
    expect(leaked).toBe(0);
  });
});
