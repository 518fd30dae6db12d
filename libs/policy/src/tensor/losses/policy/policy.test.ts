/**
 * All tensor policy losses (docs/algorithms.md §5): tensor form vs plain reference (values, metrics,
 * autodiff gradients) on random inputs, tensor hygiene, the tensor registry (the same names as the
 * plain one), typed errors (the same as the plain form's).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap, type Matrix } from '@rlflow/core';
import { FLOAT32, assertClose } from '@rlflow/core/testing';
import {
  LOSS_AGGREGATIONS,
  POLICY_LOSS_NAMES,
  aaac,
  policyLossByName,
  policyLosses,
  type PolicyLossInput,
  type PolicyLossName,
  type PolicyLossParams,
} from '@rlflow/clipping';
import { awayFromBounds, clippedRatios, policyInputArb, prefixMask } from '@rlflow/clipping/testing';
import { matrixFromTensor } from '../../convert.js';
import { useCpuBackend } from '../../cpu-backend.js';
import { lossAndGradient } from '../../evaluate.js';
import { leakedBy, tensorEvaluation, tensorsOf } from '../../testing.js';
import { aaacTensor } from '../aaac.js';
import { tensorPolicyLossByName, tensorPolicyLosses } from './registry.js';
import type { PolicyLossTensorInput, PolicyLossTensorParams } from './types.js';

beforeAll(useCpuBackend);

/** assertClose per field of `expected` (the core helper compares numbers and arrays). */
const assertFieldsClose = (actual: Readonly<Record<string, unknown>>, expected: Readonly<Record<string, unknown>>, label: string): void => {
  for (const key of Object.keys(expected)) assertClose(actual[key], expected[key], FLOAT32, `${label}.${key}`);
};

const boundsFor = (name: PolicyLossName) => (name === 'gspo' ? { epsLow: 0.1, epsHigh: 0.15 } : { epsLow: 0.2, epsHigh: 0.28 });

const compareForms = (name: PolicyLossName, input: PolicyLossInput, plainParams: PolicyLossParams, tensorParams: PolicyLossTensorParams) => {
  const plain = unwrap(policyLosses[name].plain(plainParams)(input));
  const tensor = tensorEvaluation(tensorPolicyLosses[name], tensorParams, input);
  const { gradLogp, ...values } = plain;
  assertFieldsClose(tensor.values, values, name);
  assertClose(tensor.gradLogp, gradLogp.data, FLOAT32, `${name} gradLogp`);
};

describe('tensor policy losses vs the plain reference (autodiff), float32 tolerance', () => {
  for (const name of POLICY_LOSS_NAMES) {
    it(`${name}: values, metrics and ∂loss/∂logp agree on random inputs, every aggregation`, () => {
      fc.assert(
        fc.property(
          policyInputArb({ perTokenAdvantages: name !== 'gspo' }),
          fc.constantFrom(...LOSS_AGGREGATIONS),
          fc.option(fc.constantFrom(2, 3), { nil: null }),
          (input, lossAgg, dualClipC) => {
            const bounds = boundsFor(name);
            fc.pre(awayFromBounds(clippedRatios(name, input), bounds.epsLow, bounds.epsHigh));
            const dual = name === 'ppo' ? dualClipC : null;
            fc.pre(dual === null || clippedRatios(name, input).every((r) => Math.abs(r - dual) > 1e-4));
            compareForms(name, input, { ...bounds, lossAgg, dualClipC: dual }, { ...bounds, lossAgg, dualClipC: dual });
          },
        ),
        { numRuns: 40 },
      );
    });

    it(`${name}: per-token AAAC bounds (plain [B, T] matrices vs [B, 1] tensors from one advantage per sequence)`, () => {
      fc.assert(
        fc.property(policyInputArb(), (input) => {
          const bounds = unwrap(aaac()(input.advantages));
          const ratios = clippedRatios(name, input);
          fc.pre(ratios.every((r, i) => awayFromBounds([r], bounds.epsLow.data[i]!, bounds.epsHigh.data[i]!)));
          const plain = unwrap(policyLosses[name].plain({ epsLow: bounds.epsLow, epsHigh: bounds.epsHigh })(input));
          const t = tensorsOf(input);
          const perSequence = tf.tidy(() => tf.slice(t.advantages, [0, 0], [input.logp.rows, 1]));
          const tensorBounds = unwrap(aaacTensor()(perSequence));
          const evaluated = unwrap(
            lossAndGradient((logp) =>
              tensorPolicyLosses[name].tensor({ epsLow: tensorBounds.epsLow, epsHigh: tensorBounds.epsHigh })({ ...t, advantages: perSequence, logp }),
            )(t.logp),
          );
          tf.dispose([t.logp, t.oldLogp, t.advantages, t.mask, perSequence, tensorBounds.epsLow, tensorBounds.epsHigh]);
          const { gradLogp, ...values } = plain;
          assertFieldsClose(evaluated.values, values, name);
          assertClose(evaluated.gradLogp, gradLogp.data, FLOAT32, `${name} gradLogp`);
        }),
        { numRuns: 30 },
      );
    });

    it(`${name}: the tensor form leaves tf.memory().numTensors unchanged, on success and on error`, () => {
      const input = fc.sample(policyInputArb(), { numRuns: 1, seed: 7 })[0]!;
      const t = tensorsOf(input);
      const nan = tf.tensor2d(new Float32Array(input.logp.rows * input.logp.cols).fill(Number.NaN), [input.logp.rows, input.logp.cols]);
      const leaked = leakedBy(() => {
        const out = unwrap(tensorPolicyLosses[name].tensor(boundsFor(name))(t));
        tf.dispose(Object.values(out).filter((x): x is tf.Scalar => x !== undefined));
        expect(E.isLeft(tensorPolicyLosses[name].tensor(boundsFor(name))({ ...t, oldLogp: nan }))).toBe(true);
        unwrap(lossAndGradient((logp) => tensorPolicyLosses[name].tensor(boundsFor(name))({ ...t, logp }))(t.logp));
        expect(E.isLeft(lossAndGradient((logp) => tensorPolicyLosses[name].tensor(boundsFor(name))({ ...t, logp, mask: nan }))(t.logp))).toBe(true);
      });
      tf.dispose([t.logp, t.oldLogp, t.advantages, t.mask, nan]);
      expect(leaked).toBe(0);
    });
  }
});

describe('tensorPolicyLosses registry', () => {
  it('has exactly the names of the plain registry, each entry under its own name', () => {
    expect(Object.keys(tensorPolicyLosses).sort()).toEqual(Object.keys(policyLosses).sort());
    expect(Object.keys(tensorPolicyLosses).sort()).toEqual([...POLICY_LOSS_NAMES].sort());
    for (const name of POLICY_LOSS_NAMES) expect(unwrap(tensorPolicyLossByName(name)).name).toBe(name);
  });

  it('rejects an unknown name with the same error as the plain registry', () => {
    const tensor = tensorPolicyLossByName('grpo');
    const plain = policyLossByName('grpo');
    expect(E.isLeft(tensor) && tensor.left.message).toMatch(/"ppo", "gspo", "cispo"/);
    expect(E.isLeft(tensor) && E.isLeft(plain) && [tensor.left.stage, tensor.left.field, tensor.left.message]).toEqual(
      E.isLeft(plain) && [plain.left.stage, plain.left.field, plain.left.message],
    );
  });

  it('uses the plain form\'s default aggregation when none is given (ppo, cispo: token-mean; gspo: seq-mean-token-mean)', () => {
    const input = fc.sample(policyInputArb({ minLength: 1 }), { numRuns: 1, seed: 3 })[0]!;
    for (const name of POLICY_LOSS_NAMES) {
      const lossAgg = name === 'gspo' ? 'seq-mean-token-mean' : 'token-mean';
      const byDefault = tensorEvaluation(tensorPolicyLosses[name], boundsFor(name), input);
      const explicit = tensorEvaluation(tensorPolicyLosses[name], { ...boundsFor(name), lossAgg }, input);
      expect(byDefault).toEqual(explicit);
      assertClose(byDefault.values.loss, unwrap(policyLosses[name].plain(boundsFor(name))(input)).loss, FLOAT32, `${name} loss`);
    }
  });
});

describe('tensor policy losses: bad input is a StageError naming the field and index', () => {
  const m = (rows: number[][]): Matrix => ({ rows: rows.length, cols: rows[0]!.length, data: Float64Array.from(rows.flat()) });
  const good: PolicyLossInput = {
    logp: m([[-1, -2], [-1, -1]]),
    oldLogp: m([[-1, -2], [-1.1, -1]]),
    advantages: m([[1, 1], [-1, -1]]),
    mask: prefixMask([2, 1], 2),
  };
  const bounds = { epsLow: 0.2, epsHigh: 0.2 };
  const errorOf = (name: PolicyLossName, input: PolicyLossInput, params: Record<string, unknown> = {}) => {
    const result = policyLosses[name].plain({ ...bounds, ...params })(input);
    return E.isLeft(result) ? { stage: result.left.stage, field: result.left.field, index: result.left.index, kind: result.left.kind } : undefined;
  };
  const tensorErrorOf = (name: PolicyLossName, input: PolicyLossTensorInput, params: Record<string, unknown> = {}) => {
    const result = tensorPolicyLosses[name].tensor({ ...bounds, ...params })(input);
    if (E.isRight(result)) tf.dispose(Object.values(result.right).filter((x): x is tf.Scalar => x !== undefined));
    return E.isLeft(result) ? { stage: result.left.stage, field: result.left.field, index: result.left.index, kind: result.left.kind } : undefined;
  };

  for (const name of POLICY_LOSS_NAMES) {
    const stage = `policy.${name}`;
    it(`${name}: the same errors as the plain form`, () => {
      const t = tensorsOf(good);
      const wide = tf.tensor2d([[-1, -2, -3], [-1, -1, -1]]);
      const nan = tf.tensor2d([[-1, -2], [Number.NaN, -1]]);
      const notBinary = tf.tensor2d([[1, 1], [0, 2]]);
      const badBound = tf.tensor2d([[0.2], [1.5]]);
      const wrongRows = tf.tensor2d([[0.2], [0.2], [0.2]]);
      const leaked = leakedBy(() => {
        expect(tensorErrorOf(name, { ...t, oldLogp: wide })).toEqual({ stage, field: 'oldLogp', index: null, kind: 'length-mismatch' });
        expect(tensorErrorOf(name, { ...t, advantages: wrongRows })).toEqual({ stage, field: 'advantages', index: null, kind: 'length-mismatch' });
        expect(tensorErrorOf(name, { ...t, logp: nan })).toEqual({ stage, field: 'logp', index: [1, 0], kind: 'not-finite' });
        expect(tensorErrorOf(name, { ...t, mask: notBinary })).toEqual({ stage, field: 'mask', index: [1, 1], kind: 'not-binary' });
        expect(tensorErrorOf(name, t, { epsLow: badBound })).toEqual({ stage, field: 'epsLow', index: [1, 0], kind: 'out-of-range' });
        expect(tensorErrorOf(name, t, { epsHigh: wrongRows })).toEqual({ stage, field: 'epsHigh', index: null, kind: 'length-mismatch' });
        expect(tensorErrorOf(name, t, { lossAgg: 'sum' })).toEqual({ stage, field: 'lossAgg', index: null, kind: 'invalid' });
        expect(tensorErrorOf(name, { ...t, oldLogp: wide })).toEqual(errorOf(name, { ...good, oldLogp: matrixFromTensor(wide) }));
        expect(tensorErrorOf(name, { ...t, logp: nan })).toEqual(errorOf(name, { ...good, logp: matrixFromTensor(nan) }));
        expect(tensorErrorOf(name, { ...t, mask: notBinary })).toEqual(errorOf(name, { ...good, mask: matrixFromTensor(notBinary) }));
        expect(tensorErrorOf(name, t, { lossAgg: 'sum' })).toEqual(errorOf(name, good, { lossAgg: 'sum' }));
        expect(tensorErrorOf(name, t, { dualClipC: name === 'ppo' ? 0.5 : 3 })).toEqual(errorOf(name, good, { dualClipC: name === 'ppo' ? 0.5 : 3 }));
      });
      tf.dispose([t.logp, t.oldLogp, t.advantages, t.mask, wide, nan, notBinary, badBound, wrongRows]);
      expect(leaked).toBe(0);
    });
  }
});
