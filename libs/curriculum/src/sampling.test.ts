import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { StageError, unwrap } from '@rlflow/core';
import { defaultCurriculumConfig, type CurriculumConfig } from './config.js';
import { decodeCurriculumState, encodeCurriculumState } from './codec.js';
import { reduce } from './reduce.js';
import { orderPrompts, promptWeight, promptWeights, samplingOrder, type PoolSamplingParams } from './sampling.js';
import { initialCurriculumState, type CurriculumState } from './state.js';
import { summaryOf, summarySequence } from './summary-fixture.js';

const passRate: PoolSamplingParams = { strategy: 'pass-rate', floor: 0.1 };
const uniform: PoolSamplingParams = { strategy: 'uniform', floor: 0.1 };
const config: CurriculumConfig = { ...defaultCurriculumConfig, historyWindow: 4 };
const empty = unwrap(initialCurriculumState(config));

/** The state after one step that saw each key once with the given pass rate. */
const stateWith = (rates: Readonly<Record<string, number>>): CurriculumState =>
  unwrap(reduce(config)(empty, summaryOf(0, Object.entries(rates).map(([promptKey, rate]) => ({ promptKey, passRate: rate, kept: true })))));

const errorOf = <A>(result: E.Either<StageError, A>): StageError => {
  if (E.isRight(result)) throw new Error('expected a StageError');
  return result.left;
};

const rate = fc.integer({ min: 0, max: 8 }).map((k) => k / 8);
const floor = fc.double({ min: 0.01, max: 1, noNaN: true });
const keysArb = fc.uniqueArray(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 20 });

describe('promptWeight', () => {
  it('is 1 for a prompt never seen, and for every prompt under uniform', () => {
    expect(promptWeight(passRate)([])).toBe(1);
    expect(promptWeight(uniform)([0, 0, 1])).toBe(1);
  });

  it('is floor + (1 − floor)·4p(1 − p) of the window mean (golden values)', () => {
    expect(promptWeight(passRate)([0.5])).toBe(1);
    expect(promptWeight(passRate)([1, 1])).toBeCloseTo(0.1, 15);
    expect(promptWeight(passRate)([0, 0, 0])).toBeCloseTo(0.1, 15);
    expect(promptWeight(passRate)([0.25, 0.25])).toBeCloseTo(0.1 + 0.9 * 0.75, 15);
    expect(promptWeight(passRate)([0, 1])).toBe(1);
  });

  it('lies in [floor, 1], is symmetric in p ↔ 1 − p and peaks at p = 1/2', () => {
    fc.assert(
      fc.property(fc.array(rate, { minLength: 1, maxLength: 8 }), floor, (history, f) => {
        const params: PoolSamplingParams = { strategy: 'pass-rate', floor: f };
        const w = promptWeight(params)(history);
        expect(w).toBeGreaterThanOrEqual(f - 1e-12);
        expect(w).toBeLessThanOrEqual(1 + 1e-12);
        expect(w).toBeCloseTo(promptWeight(params)(history.map((p) => 1 - p)), 12);
        expect(w).toBeLessThanOrEqual(promptWeight(params)([0.5]));
      }),
    );
  });

  it('grows as the mean pass rate moves towards 1/2 (moderate difficulty first)', () => {
    fc.assert(
      fc.property(rate, rate, fc.double({ min: 0.01, max: 0.9, noNaN: true }), (a, b, f) => {
        const params: PoolSamplingParams = { strategy: 'pass-rate', floor: f };
        if (Math.abs(a - 0.5) < Math.abs(b - 0.5)) expect(promptWeight(params)([a])).toBeGreaterThan(promptWeight(params)([b]));
      }),
    );
  });
});

describe('samplingOrder', () => {
  it('is a permutation of the pool, the same for the same seed and state', () => {
    fc.assert(
      fc.property(keysArb, summarySequence, fc.integer(), (keys, summaries, seed) => {
        let state = empty;
        for (const s of summaries) state = unwrap(reduce(config)(state, s));
        const order = unwrap(samplingOrder(passRate)({ keys, state, seed }));
        expect([...order].sort((a, b) => a - b)).toEqual(keys.map((_, i) => i));
        expect(unwrap(samplingOrder(passRate)({ keys, state, seed }))).toEqual(order);
      }),
    );
  });

  it('is the same after the state goes through its checkpoint codec (resumable)', () => {
    fc.assert(
      fc.property(keysArb, summarySequence, fc.integer(), (keys, summaries, seed) => {
        let state = empty;
        for (const s of summaries) state = unwrap(reduce(config)(state, s));
        const decoded = decodeCurriculumState('checkpoint')(JSON.parse(JSON.stringify(encodeCurriculumState(state))));
        if (E.isLeft(decoded)) throw decoded.left;
        const restored = decoded.right;
        expect(unwrap(samplingOrder(passRate)({ keys, state: restored, seed }))).toEqual(unwrap(samplingOrder(passRate)({ keys, state, seed })));
      }),
    );
  });

  it('puts prompt i first with probability w_i / Σ w_j', () => {
    const state = stateWith({ easy: 1, half: 0.5, hard: 0 });
    const keys = ['easy', 'half', 'hard', 'new'];
    const weights = unwrap(promptWeights(passRate)({ keys, state }));
    expect(Array.from(weights)).toEqual([expect.closeTo(0.1, 12), 1, expect.closeTo(0.1, 12), 1]);
    const draws = 20_000;
    const first = new Array<number>(keys.length).fill(0);
    for (let seed = 0; seed < draws; seed++) first[unwrap(samplingOrder(passRate)({ keys, state, seed }))[0]!]!++;
    const total = weights.reduce((a, b) => a + b, 0);
    // Binomial standard error at most √(0.25/20 000) ≈ 0.0035; 5 of them.
    first.forEach((count, i) => expect(Math.abs(count / draws - weights[i]! / total)).toBeLessThan(0.018));
  });

  it('under uniform, any prompt is first equally often', () => {
    const state = stateWith({ easy: 1, half: 0.5 });
    const keys = ['easy', 'half', 'new'];
    const first = [0, 0, 0];
    for (let seed = 0; seed < 9000; seed++) first[unwrap(samplingOrder(uniform)({ keys, state, seed }))[0]!]!++;
    first.forEach((count) => expect(Math.abs(count / 9000 - 1 / 3)).toBeLessThan(0.025));
  });

  it('is a StageError naming the field for a repeated key, a bad floor or seed', () => {
    expect(errorOf(samplingOrder(passRate)({ keys: ['a', 'b', 'a'], state: empty, seed: 0 }))).toMatchObject({ stage: 'curriculum.sampling', field: 'keys', index: 2 });
    expect(errorOf(samplingOrder({ ...passRate, floor: 0 })({ keys: ['a'], state: empty, seed: 0 }))).toMatchObject({ field: 'floor' });
    expect(errorOf(samplingOrder({ ...passRate, floor: Number.NaN })({ keys: ['a'], state: empty, seed: 0 }))).toMatchObject({ field: 'floor' });
    expect(errorOf(samplingOrder(passRate)({ keys: ['a'], state: empty, seed: 0.5 }))).toMatchObject({ field: 'seed' });
    expect(errorOf(samplingOrder({ strategy: 'fresh' as 'uniform', floor: 0.1 })({ keys: ['a'], state: empty, seed: 0 }))).toMatchObject({ field: 'strategy' });
  });
});

describe('orderPrompts', () => {
  const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  it('maps each request to its order', () => {
    const request = { keys: ['a', 'b', 'c'], state: stateWith({ a: 1 }), seed: 3 };
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-r|', { r: request }).pipe(orderPrompts(passRate))).toBe('-o|', { o: unwrap(samplingOrder(passRate)(request)) });
    });
  });

  it('errors the stream with the StageError of a bad request', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const bad = { keys: ['a', 'a'], state: empty, seed: 0 };
      expectObservable(cold('-r|', { r: bad }).pipe(orderPrompts(passRate))).toBe('-#', undefined, errorOf(samplingOrder(passRate)(bad)));
    });
  });
});
