/**
 * Bad configs and bad inputs to the objective (docs/algorithms.md §11): each is a StageError of
 * stage `objective` naming the field, the index and the kind; never a NaN out.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap, type Matrix } from '@rlflow/core';
import { objectiveCaseArb } from './arbitraries.js';
import { buildObjective } from './objective.js';
import type { ObjectiveConfig, ObjectiveInput } from './types.js';

const m = (rows: number[][]): Matrix => ({ rows: rows.length, cols: rows[0]!.length, data: Float64Array.from(rows.flat()) });

const config: ObjectiveConfig = {
  policyLoss: 'ppo',
  lossAgg: 'token-mean',
  normConstant: 2,
  dualClipC: 3,
  kl: { coef: 1e-3, estimator: 'k3', lossAgg: 'seq-mean-token-mean', sequenceWeights: true },
  papo: { gamma: 0.01, eta: 0.03, lossAgg: 'token-mean' },
  entropy: { coef: 0.01, lossAgg: 'token-mean' },
};

const good: ObjectiveInput = {
  logp: m([[-1, -2], [-1, -1]]),
  oldLogp: m([[-1, -2], [-1.1, -1]]),
  mask: m([[1, 1], [1, 0]]),
  advantages: Float64Array.from([1, -1]),
  epsLow: 0.2,
  epsHigh: 0.28,
  refLogp: m([[-1.2, -2], [-1, -0.9]]),
  klWeights: Float64Array.from([0.5, 1]),
  maskedLogp: m([[-1.5, -2.5], [-1, -1.2]]),
  entropy: m([[1, 2], [0.5, 0.1]]),
};

type Described = { readonly stage: string; readonly field: string; readonly index: unknown; readonly kind: string } | 'ok';

const describeLeft = <A>(result: E.Either<{ readonly stage: string; readonly field: string; readonly index: unknown; readonly kind: string }, A>): Described =>
  E.isLeft(result) ? { stage: result.left.stage, field: result.left.field, index: result.left.index, kind: result.left.kind } : 'ok';

const configError = (patch: (c: ObjectiveConfig) => unknown): Described => describeLeft(buildObjective(patch(config) as ObjectiveConfig));

const inputError = (input: Record<string, unknown>, cfg: ObjectiveConfig = config): Described =>
  describeLeft(unwrap(buildObjective(cfg))(input as unknown as ObjectiveInput));

const error = (field: string, index: unknown, kind: string) => ({ stage: 'objective', field, index, kind });

describe('buildObjective: bad configs', () => {
  it('accepts the good config', () => {
    expect(configError((c) => c)).toBe('ok');
    expect(inputError({ ...good })).toBe('ok');
  });

  it('names every bad field', () => {
    expect(configError((c) => ({ ...c, policyLoss: 'grpo' }))).toEqual(error('policyLoss', null, 'invalid'));
    expect(configError((c) => ({ ...c, lossAgg: 'mean' }))).toEqual(error('lossAgg', null, 'invalid'));
    expect(configError((c) => ({ ...c, normConstant: 0 }))).toEqual(error('normConstant', null, 'out-of-range'));
    expect(configError((c) => ({ ...c, normConstant: Number.NaN }))).toEqual(error('normConstant', null, 'out-of-range'));
    expect(configError((c) => ({ ...c, dualClipC: 1 }))).toEqual(error('dualClipC', null, 'out-of-range'));
    expect(configError((c) => ({ ...c, dualClipC: Number.POSITIVE_INFINITY }))).toEqual(error('dualClipC', null, 'out-of-range'));
    expect(configError((c) => ({ ...c, policyLoss: 'gspo' }))).toEqual(error('dualClipC', null, 'invalid'));
    expect(configError((c) => ({ ...c, policyLoss: 'cispo', dualClipC: null }))).toBe('ok');
    expect(configError((c) => ({ ...c, kl: { ...c.kl, coef: -1 } }))).toEqual(error('kl.coef', null, 'out-of-range'));
    expect(configError((c) => ({ ...c, kl: { ...c.kl, coef: Number.POSITIVE_INFINITY } }))).toEqual(error('kl.coef', null, 'out-of-range'));
    expect(configError((c) => ({ ...c, kl: { ...c.kl, estimator: 'k4' } }))).toEqual(error('kl.estimator', null, 'invalid'));
    expect(configError((c) => ({ ...c, kl: { ...c.kl, lossAgg: 'sum' } }))).toEqual(error('kl.lossAgg', null, 'invalid'));
    expect(configError((c) => ({ ...c, kl: { ...c.kl, sequenceWeights: 'yes' } }))).toEqual(error('kl.sequenceWeights', null, 'invalid'));
    expect(configError((c) => ({ ...c, papo: { ...c.papo, gamma: Number.NaN } }))).toEqual(error('papo.gamma', null, 'out-of-range'));
    expect(configError((c) => ({ ...c, papo: { ...c.papo, eta: -0.1 } }))).toEqual(error('papo.eta', null, 'out-of-range'));
    expect(configError((c) => ({ ...c, papo: { ...c.papo, lossAgg: 'mean' } }))).toEqual(error('papo.lossAgg', null, 'invalid'));
    expect(configError((c) => ({ ...c, entropy: { ...c.entropy, coef: -0.01 } }))).toEqual(error('entropy.coef', null, 'out-of-range'));
    expect(configError((c) => ({ ...c, entropy: { ...c.entropy, lossAgg: 'mean' } }))).toEqual(error('entropy.lossAgg', null, 'invalid'));
  });
});

describe('objective: bad inputs', () => {
  it('names a missing input that a configured term needs', () => {
    const { refLogp: _r, klWeights: _w, maskedLogp: _m, entropy: _e, ...bare } = good;
    expect(inputError({ ...good, refLogp: undefined })).toEqual(error('refLogp', null, 'invalid'));
    expect(inputError({ ...good, klWeights: undefined })).toEqual(error('klWeights', null, 'invalid'));
    expect(inputError({ ...good, maskedLogp: undefined })).toEqual(error('maskedLogp', null, 'invalid'));
    expect(inputError({ ...good, entropy: undefined })).toEqual(error('entropy', null, 'invalid'));
    expect(inputError({ ...bare, klWeights: good.klWeights }, { ...config, kl: { ...config.kl, coef: 0 }, papo: null, entropy: { ...config.entropy, coef: 0 } })).toBe('ok');
    expect(inputError({ ...good, klWeights: undefined }, { ...config, kl: { ...config.kl, sequenceWeights: false } })).toBe('ok');
  });

  it('names a missing required field', () => {
    for (const field of ['logp', 'oldLogp', 'mask', 'advantages', 'epsLow', 'epsHigh'] as const) {
      expect(inputError({ ...good, [field]: undefined })).toEqual(error(field, null, 'invalid'));
    }
  });

  it('names a mis-shaped field (shapes are checked before values)', () => {
    const wide = m([[-1, -2, -3], [-1, -1, -1]]);
    for (const field of ['oldLogp', 'refLogp', 'maskedLogp', 'entropy', 'epsLow', 'epsHigh', 'mask'] as const) {
      expect(inputError({ ...good, [field]: wide })).toEqual(error(field, null, 'length-mismatch'));
    }
    expect(inputError({ ...good, mask: m([[1, 1]]) })).toEqual(error('mask', null, 'length-mismatch'));
    expect(inputError({ ...good, advantages: Float64Array.from([1, 2, 3]) })).toEqual(error('advantages', null, 'length-mismatch'));
    expect(inputError({ ...good, klWeights: Float64Array.from([1]) })).toEqual(error('klWeights', null, 'length-mismatch'));
    expect(inputError({ ...good, logp: { rows: 2, cols: 2, data: Float64Array.from([-1, -1, -1]) } })).toEqual(error('logp', null, 'length-mismatch'));
    expect(inputError({ ...good, mask: { rows: 2, cols: 2, data: Float64Array.from([1, 1, 1, 1, 1]) } })).toEqual(error('mask', null, 'length-mismatch'));
  });

  it('names a non-finite value, a mask outside {0, 1}, a bound out of range and a negative KL weight, with the index', () => {
    expect(inputError({ ...good, mask: m([[1, 1], [0, 2]]) })).toEqual(error('mask', [1, 1], 'not-binary'));
    expect(inputError({ ...good, logp: m([[-1, -2], [Number.NaN, -1]]) })).toEqual(error('logp', [1, 0], 'not-finite'));
    expect(inputError({ ...good, oldLogp: m([[-1, Number.POSITIVE_INFINITY], [-1, -1]]) })).toEqual(error('oldLogp', [0, 1], 'not-finite'));
    expect(inputError({ ...good, refLogp: m([[-1, -2], [-1, Number.NEGATIVE_INFINITY]]) })).toEqual(error('refLogp', [1, 1], 'not-finite'));
    expect(inputError({ ...good, maskedLogp: m([[Number.NaN, -2], [-1, -1]]) })).toEqual(error('maskedLogp', [0, 0], 'not-finite'));
    expect(inputError({ ...good, entropy: m([[1, 2], [Number.NaN, 1]]) })).toEqual(error('entropy', [1, 0], 'not-finite'));
    expect(inputError({ ...good, advantages: Float64Array.from([1, Number.NaN]) })).toEqual(error('advantages', 1, 'not-finite'));
    expect(inputError({ ...good, klWeights: Float64Array.from([Number.POSITIVE_INFINITY, 1]) })).toEqual(error('klWeights', 0, 'not-finite'));
    expect(inputError({ ...good, klWeights: Float64Array.from([0.5, -1]) })).toEqual(error('klWeights', 1, 'negative'));
    expect(inputError({ ...good, epsLow: -0.1 })).toEqual(error('epsLow', null, 'out-of-range'));
    expect(inputError({ ...good, epsLow: 1.5 })).toEqual(error('epsLow', null, 'out-of-range'));
    expect(inputError({ ...good, epsHigh: Number.NaN })).toEqual(error('epsHigh', null, 'out-of-range'));
    expect(inputError({ ...good, epsHigh: m([[0.2, -1], [0.2, 0.2]]) })).toEqual(error('epsHigh', [0, 1], 'out-of-range'));
    expect(inputError({ ...good, epsLow: m([[0.2, 0.2], [Number.NaN, 0.2]]) })).toEqual(error('epsLow', [1, 0], 'out-of-range'));
  });

  it('checks an optional field that is given even when no term reads it', () => {
    const off: ObjectiveConfig = { ...config, kl: { ...config.kl, coef: 0 }, papo: null, entropy: { ...config.entropy, coef: 0 } };
    expect(inputError({ ...good, refLogp: m([[Number.NaN, -2], [-1, -1]]) }, off)).toEqual(error('refLogp', [0, 0], 'not-finite'));
    expect(inputError({ ...good, entropy: m([[1]]) }, off)).toEqual(error('entropy', null, 'length-mismatch'));
  });

  it('turns an overflow from finite inputs into a StageError, never a NaN or an infinity', () => {
    const overflow = { ...good, logp: m([[-1, -2], [19, -1]]), oldLogp: m([[-1, -2], [-1, -1]]), advantages: Float64Array.from([1, -1e308]) };
    expect(inputError(overflow, { ...config, dualClipC: null })).toEqual(error('loss', null, 'not-finite'));
  });

  it('names the field and index of a non-finite entry anywhere in a random batch', () => {
    const fields = ['logp', 'oldLogp', 'refLogp', 'maskedLogp', 'entropy'] as const;
    fc.assert(
      fc.property(
        objectiveCaseArb(),
        fc.constantFrom(...fields),
        fc.nat(),
        fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
        ({ config: cfg, input }, field, at, bad) => {
          const target = input[field]!;
          const i = at % target.data.length;
          const data = Float64Array.from(target.data);
          data[i] = bad;
          expect(inputError({ ...input, [field]: { ...target, data } }, cfg)).toEqual(error(field, [Math.floor(i / target.cols), i % target.cols], 'not-finite'));
        },
      ),
      { numRuns: 100, seed: 2300 },
    );
  });

  it('never returns a non-finite number on a valid batch', () => {
    fc.assert(
      fc.property(objectiveCaseArb(), ({ config: cfg, input }) => {
        const out = unwrap(unwrap(buildObjective(cfg))(input));
        const numbers = [out.loss, ...Object.values(out.metrics).filter((x): x is number => x !== null)];
        for (const g of [out.gradLogp, out.gradMaskedLogp, out.gradEntropy]) if (g !== null) numbers.push(...g.data);
        expect(numbers.every(Number.isFinite)).toBe(true);
      }),
      { numRuns: 100, seed: 2400 },
    );
  });
});
