import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StageError, unwrap } from '@rlflow/core';
import { dads } from './dads.js';
import { groupMembers } from './groups.js';
import { overlong } from './overlong.js';
import { positiveMask, splitBySign } from './split.js';
import { stcr } from './stcr.js';

const errorOf = <A>(result: E.Either<StageError, A>): StageError => {
  if (E.isRight(result)) throw new Error(`expected a StageError, got ${String(result.right)}`);
  return result.left;
};

/** Sequences with correct flags, token lengths, advantages and shuffled, sparse group ids. */
const samples = fc
  .array(
    fc.record({
      groupId: fc.integer({ min: 0, max: 20 }),
      correct: fc.constantFrom(0, 1),
      length: fc.integer({ min: 0, max: 5000 }),
      advantage: fc.double({ min: -3, max: 3, noNaN: true }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((rows) => ({
    groupIds: rows.map((r) => r.groupId),
    correct: rows.map((r) => r.correct),
    lengths: rows.map((r) => r.length),
    advantages: rows.map((r) => r.advantage),
  }));

describe('positive/negative split', () => {
  it('marks A > 0 positive and A ≤ 0 negative, and the index split partitions the batch', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 30 }), (advantages) => {
        const mask = unwrap(positiveMask({ advantages }));
        const { positive, negative } = unwrap(splitBySign({ advantages }));
        advantages.forEach((a, i) => expect(mask[i]).toBe(a > 0 ? 1 : 0));
        expect(Array.from(positive).every((i) => advantages[i]! > 0)).toBe(true);
        expect(Array.from(negative).every((i) => advantages[i]! <= 0)).toBe(true);
        expect([...positive, ...negative].sort((a, b) => a - b)).toEqual(advantages.map((_, i) => i));
      }),
      { numRuns: 100 },
    );
  });

  it('counts zero and negative zero as negative', () => {
    expect(Array.from(unwrap(positiveMask({ advantages: [0, -0, 1e-300, -1] })))).toEqual([0, 0, 1, 0]);
  });

  it('rejects empty or non-finite advantages', () => {
    expect(errorOf(positiveMask({ advantages: [] }))).toMatchObject({ stage: 'apo.split', field: 'advantages', kind: 'empty' });
    expect(errorOf(splitBySign({ advantages: [1, Number.NaN] }))).toMatchObject({ field: 'advantages', index: 1, kind: 'not-finite' });
  });
});

describe('DADS weights', () => {
  it('lie in (0, 1], are 1 for negatives and in groups of pass rate 0 or 1, and follow 1 − exp(−e·pass) for positives', () => {
    fc.assert(
      fc.property(samples, ({ correct, groupIds, advantages }) => {
        const weights = unwrap(dads()({ correct, groupIds, advantages }));
        for (const members of groupMembers(groupIds)) {
          const pass = Array.from(members).reduce((n, i) => n + correct[i]!, 0) / members.length;
          for (const i of members) {
            expect(weights[i]).toBeGreaterThan(0);
            expect(weights[i]).toBeLessThanOrEqual(1);
            if (advantages[i]! <= 0 || pass === 0 || pass === 1) expect(weights[i]).toBe(1);
            else expect(weights[i]).toBeCloseTo(1 - Math.exp(-Math.E * pass), 14);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('weights easy prompts closer to 1 than hard ones', () => {
    const easy = unwrap(dads()({ correct: [1, 1, 1, 0], groupIds: [0, 0, 0, 0], advantages: [1, 1, 1, -1] }))[0]!;
    const hard = unwrap(dads()({ correct: [1, 0, 0, 0], groupIds: [0, 0, 0, 0], advantages: [1, -1, -1, -1] }))[0]!;
    expect(easy).toBeGreaterThan(hard);
  });

  it('rejects bad input, naming the field and index', () => {
    const good = { correct: [1, 0], groupIds: [0, 0], advantages: [1, -1] };
    expect(errorOf(dads()({ ...good, correct: [1, 2] }))).toMatchObject({ stage: 'apo.dads', field: 'correct', index: 1, kind: 'not-binary' });
    expect(errorOf(dads()({ ...good, correct: [] }))).toMatchObject({ field: 'correct', kind: 'empty' });
    expect(errorOf(dads()({ ...good, groupIds: [0] }))).toMatchObject({ field: 'groupIds', kind: 'length-mismatch' });
    expect(errorOf(dads()({ ...good, advantages: [1] }))).toMatchObject({ field: 'advantages', kind: 'length-mismatch' });
    expect(errorOf(dads()({ ...good, advantages: [1, Number.NaN] }))).toMatchObject({ field: 'advantages', index: 1, kind: 'not-finite' });
    expect(errorOf(dads({ scale: 0 })(good))).toMatchObject({ field: 'scale', kind: 'out-of-range' });
  });
});

describe('STCR multipliers', () => {
  it('lie in [1, 2), are 1 for correct samples and groups without a correct one, and follow 2 − b^(−Δ)', () => {
    fc.assert(
      fc.property(samples, fc.double({ min: 1, max: 1.001, noNaN: true }), ({ correct, lengths, groupIds }, base) => {
        const multipliers = unwrap(stcr({ base })({ correct, lengths, groupIds }));
        for (const members of groupMembers(groupIds)) {
          const correctLengths = Array.from(members).filter((i) => correct[i] === 1).map((i) => lengths[i]!);
          for (const i of members) {
            expect(multipliers[i]).toBeGreaterThanOrEqual(1);
            expect(multipliers[i]).toBeLessThan(2);
            if (correct[i] === 1 || correctLengths.length === 0) {
              expect(multipliers[i]).toBe(1);
              continue;
            }
            const excess = lengths[i]! - correctLengths.reduce((a, b) => a + b, 0) / correctLengths.length;
            expect(multipliers[i]).toBeCloseTo(excess > 0 ? 2 - base ** -excess : 1, 12);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('grows with the excess length of a failure', () => {
    const m = unwrap(stcr({ base: 1.01 })({ correct: [1, 0, 0, 0], lengths: [10, 10, 20, 40], groupIds: [0, 0, 0, 0] }));
    expect(m[1]).toBe(1);
    expect(m[2]).toBeGreaterThan(1);
    expect(m[3]).toBeGreaterThan(m[2]!);
  });

  it('rejects bad input, naming the field and index', () => {
    const good = { correct: [1, 0], lengths: [3, 4], groupIds: [0, 0] };
    expect(errorOf(stcr()({ ...good, correct: [1, -1] }))).toMatchObject({ stage: 'apo.stcr', field: 'correct', index: 1, kind: 'not-binary' });
    expect(errorOf(stcr()({ ...good, lengths: [3, -4] }))).toMatchObject({ field: 'lengths', index: 1, kind: 'negative' });
    expect(errorOf(stcr()({ ...good, lengths: [3] }))).toMatchObject({ field: 'lengths', kind: 'length-mismatch' });
    expect(errorOf(stcr()({ ...good, groupIds: [0, 0.5] }))).toMatchObject({ field: 'groupIds', index: 1, kind: 'not-integer' });
    expect(errorOf(stcr()({ correct: [], lengths: [], groupIds: [] }))).toMatchObject({ field: 'correct', kind: 'empty' });
    expect(errorOf(stcr({ base: 0.9 })(good))).toMatchObject({ field: 'base', kind: 'out-of-range' });
    expect(errorOf(stcr({ base: Number.POSITIVE_INFINITY })(good))).toMatchObject({ field: 'base', kind: 'out-of-range' });
  });
});

describe('DAPO overlong penalty', () => {
  it('is 0 up to maxLen − bufferLen, −factor at maxLen, and linear and non-increasing in length', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 200 }).chain((maxLen) => fc.tuple(fc.constant(maxLen), fc.integer({ min: 1, max: maxLen }))),
        fc.double({ min: 0, max: 4, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 20 }),
        ([maxLen, bufferLen], penaltyFactor, lengths) => {
          const params = { maxLen, bufferLen, penaltyFactor };
          const penalties = unwrap(overlong(params)({ lengths }));
          const expected = maxLen - bufferLen;
          lengths.forEach((length, i) => {
            if (length <= expected) expect(Math.abs(penalties[i]!)).toBe(0);
            else expect(penalties[i]).toBeCloseTo((-(length - expected) / bufferLen) * penaltyFactor, 12);
          });
          expect(unwrap(overlong(params)({ lengths: [maxLen] }))[0]).toBeCloseTo(-penaltyFactor, 12);
          const sorted = [...lengths].sort((a, b) => a - b);
          const sortedPenalties = unwrap(overlong(params)({ lengths: sorted }));
          for (let i = 1; i < sorted.length; i++) expect(sortedPenalties[i]).toBeLessThanOrEqual(sortedPenalties[i - 1]!);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rejects bad params and lengths', () => {
    const params = { maxLen: 20, bufferLen: 5, penaltyFactor: 1 };
    const lengths = [3, 18];
    expect(errorOf(overlong({ ...params, bufferLen: 0 })({ lengths }))).toMatchObject({ stage: 'dapo.overlong', field: 'bufferLen', kind: 'out-of-range' });
    expect(errorOf(overlong({ ...params, bufferLen: 21 })({ lengths }))).toMatchObject({ field: 'bufferLen', kind: 'out-of-range' });
    expect(errorOf(overlong({ ...params, maxLen: 20.5 })({ lengths }))).toMatchObject({ field: 'maxLen', kind: 'not-integer' });
    expect(errorOf(overlong({ ...params, penaltyFactor: -1 })({ lengths }))).toMatchObject({ field: 'penaltyFactor', kind: 'out-of-range' });
    expect(errorOf(overlong(params)({ lengths: [] }))).toMatchObject({ field: 'lengths', kind: 'empty' });
    expect(errorOf(overlong(params)({ lengths: [3, -1] }))).toMatchObject({ field: 'lengths', index: 1, kind: 'negative' });
    expect(errorOf(overlong(params)({ lengths: [Number.NaN] }))).toMatchObject({ field: 'lengths', index: 0, kind: 'not-integer' });
  });
});
