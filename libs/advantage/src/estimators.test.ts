import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StageError, unwrap } from '@rlflow/core';
import { drgrpo } from './drgrpo.js';
import { advantageEstimator, advantageEstimatorNames, advantageEstimators } from './estimators.js';
import { grpo } from './grpo.js';
import { groupMembers } from './groups.js';
import type { AdvantageKernel } from './kernel.js';
import { reinforceppBaseline } from './reinforcepp-baseline.js';
import { rloo } from './rloo.js';

const errorOf = <A>(result: E.Either<StageError, A>): StageError => {
  if (E.isRight(result)) throw new Error(`expected a StageError, got ${String(result.right)}`);
  return result.left;
};

/** A batch of groups: rewards in eighths (exact arithmetic under shifts and scalings), group ids shuffled and sparse. */
const groupedRewards = fc
  .array(fc.record({ groupId: fc.integer({ min: 0, max: 40 }), reward: fc.integer({ min: -40, max: 40 }).map((x) => x / 8) }), {
    minLength: 1,
    maxLength: 30,
  })
  .map((rows) => ({ rewards: rows.map((r) => r.reward), groupIds: rows.map((r) => r.groupId) }));

const withLengths = groupedRewards.chain((input) =>
  fc
    .array(fc.integer({ min: 1, max: 12 }), { minLength: input.rewards.length, maxLength: input.rewards.length })
    .map((lengths) => ({ ...input, lengths })),
);

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sampleStd = (xs: readonly number[]): number => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};
const pick = (xs: ArrayLike<number>, members: ArrayLike<number>): number[] => Array.from(members, (i) => xs[i]!);
const closeTo = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tol);
};

describe('grpo', () => {
  it('is zero-mean in every group and has unit sample std in every non-constant group (eps = 0)', () => {
    fc.assert(
      fc.property(groupedRewards, ({ rewards, groupIds }) => {
        const advantages = unwrap(grpo({ eps: 0 })({ rewards, groupIds }));
        for (const members of groupMembers(groupIds)) {
          if (members.length < 2) continue;
          const a = pick(advantages, members);
          expect(Math.abs(mean(a))).toBeLessThan(1e-12);
          const constant = new Set(pick(rewards, members)).size === 1;
          if (constant) expect(a.every((x) => x === 0)).toBe(true);
          else expect(sampleStd(a)).toBeCloseTo(1, 12);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('has sample std s/(s + eps) in a non-constant group with the default eps', () => {
    const rewards = [0, 1, 1, 0, 1];
    const advantages = unwrap(grpo()({ rewards, groupIds: [0, 0, 0, 0, 0] }));
    const s = sampleStd(rewards);
    expect(sampleStd(Array.from(advantages))).toBeCloseTo(s / (s + 1e-6), 12);
  });

  it('is invariant to shifting the rewards and to scaling them by a positive factor (eps = 0)', () => {
    fc.assert(
      fc.property(
        groupedRewards,
        fc.integer({ min: -64, max: 64 }).map((x) => x / 4),
        fc.integer({ min: 1, max: 64 }).map((x) => x / 4),
        ({ rewards, groupIds }, shift, scale) => {
          const base = unwrap(grpo({ eps: 0 })({ rewards, groupIds }));
          const singles = new Set(groupMembers(groupIds).filter((m) => m.length === 1).flatMap((m) => Array.from(m)));
          const shifted = unwrap(grpo({ eps: 0 })({ rewards: rewards.map((r) => r + shift), groupIds }));
          const scaled = unwrap(grpo({ eps: 0 })({ rewards: rewards.map((r) => r * scale), groupIds }));
          const multi = (xs: ArrayLike<number>): number[] => Array.from(xs).filter((_, i) => !singles.has(i));
          closeTo(multi(shifted), multi(base), 1e-9);
          closeTo(multi(scaled), multi(base), 1e-9);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives r/(1 + eps) in a group of one and 0 in a constant group', () => {
    expect(Array.from(unwrap(grpo({ eps: 1e-6 })({ rewards: [2, 5, 5, 5], groupIds: [7, 3, 3, 3] })))).toEqual([2 / (1 + 1e-6), 0, 0, 0]);
    expect(Array.from(unwrap(grpo()({ rewards: [0.1, 0.1, 0.1], groupIds: [0, 0, 0] })))).toEqual([0, 0, 0]);
  });

  it('handles groups that are not contiguous', () => {
    const interleaved = unwrap(grpo()({ rewards: [1, 0, 0, 1, 1, 0], groupIds: [0, 1, 0, 1, 0, 1] }));
    const contiguous = unwrap(grpo()({ rewards: [1, 0, 1, 0, 1, 0], groupIds: [0, 0, 0, 1, 1, 1] }));
    expect([interleaved[0], interleaved[2], interleaved[4]]).toEqual([contiguous[0], contiguous[1], contiguous[2]]);
    expect([interleaved[1], interleaved[3], interleaved[5]]).toEqual([contiguous[3], contiguous[4], contiguous[5]]);
  });
});

describe('drgrpo', () => {
  it('equals r minus the group mean, r in a group of one', () => {
    fc.assert(
      fc.property(groupedRewards, ({ rewards, groupIds }) => {
        const advantages = unwrap(drgrpo()({ rewards, groupIds }));
        for (const members of groupMembers(groupIds)) {
          const r = pick(rewards, members);
          const m = members.length === 1 ? 0 : mean(r);
          closeTo(pick(advantages, members), r.map((x) => x - m), 1e-12);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('rloo', () => {
  it('equals r minus the mean of the other rewards of its group, r in a group of one', () => {
    fc.assert(
      fc.property(groupedRewards, ({ rewards, groupIds }) => {
        const advantages = unwrap(rloo()({ rewards, groupIds }));
        for (const members of groupMembers(groupIds)) {
          for (const i of members) {
            const others = Array.from(members).filter((j) => j !== i).map((j) => rewards[j]!);
            expect(advantages[i]).toBeCloseTo(others.length === 0 ? rewards[i]! : rewards[i]! - mean(others), 12);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('reinforceppBaseline', () => {
  it('is zero-mean with unit-ish variance over the token multiset', () => {
    fc.assert(
      fc.property(withLengths, ({ rewards, groupIds, lengths }) => {
        const advantages = unwrap(reinforceppBaseline()({ rewards, groupIds, lengths }));
        const tokens = Array.from(advantages).flatMap((a, i) => Array<number>(lengths[i]!).fill(a));
        expect(Math.abs(mean(tokens))).toBeLessThan(1e-9);
        if (tokens.length > 1 && new Set(tokens).size > 1) expect(sampleStd(tokens)).toBeCloseTo(1, 4);
      }),
      { numRuns: 200 },
    );
  });

  it('gives 0 to every token when they all carry the same centred value, and to a single-token batch', () => {
    expect(Array.from(unwrap(reinforceppBaseline()({ rewards: [1, 2, 3], groupIds: [0, 1, 2], lengths: [0, 0, 5] })))[2]).toBe(0);
    expect(Array.from(unwrap(reinforceppBaseline()({ rewards: [0.3], groupIds: [0], lengths: [1] })))).toEqual([0]);
  });
});

describe('the estimator registry', () => {
  it('names every estimator and builds the same kernel as the direct constructor', () => {
    expect(advantageEstimatorNames).toEqual(['grpo', 'drgrpo', 'rloo', 'reinforcepp_baseline']);
    expect(Object.keys(advantageEstimators)).toEqual(advantageEstimatorNames);
    const input = { rewards: [0, 1, 1, 0.5], groupIds: [0, 0, 1, 1], lengths: [3, 4, 5, 6] };
    const direct: Record<string, AdvantageKernel> = {
      grpo: grpo({ eps: 1e-3 }),
      drgrpo: drgrpo(),
      rloo: rloo(),
      reinforcepp_baseline: reinforceppBaseline({ eps: 1e-3 }),
    };
    for (const name of advantageEstimatorNames) {
      expect(unwrap(unwrap(advantageEstimator(name, { eps: 1e-3 }))(input))).toEqual(unwrap(direct[name]!(input)));
    }
  });

  it('returns a StageError for an unknown name', () => {
    for (const name of ['ppo', 'constructor', 'toString', '__proto__', '']) {
      const error = errorOf(advantageEstimator(name));
      expect(error).toMatchObject({ stage: 'advantage', field: 'estimator', kind: 'invalid' });
      expect(error.message).toContain('grpo, drgrpo, rloo, reinforcepp_baseline');
    }
  });
});

describe('bad input', () => {
  const kernels: ReadonlyArray<readonly [string, AdvantageKernel]> = [
    ['advantage.grpo', grpo()],
    ['advantage.drgrpo', drgrpo()],
    ['advantage.rloo', rloo()],
    ['advantage.reinforcepp_baseline', reinforceppBaseline()],
  ];
  const good = { rewards: [1, 0, 0.5, 1], groupIds: [0, 0, 1, 1], lengths: [2, 3, 4, 5] };

  it.each(kernels)('%s names the field and index of each problem', (stage, kernel) => {
    const cases: ReadonlyArray<readonly [Record<string, ArrayLike<number>>, string, number | null, string]> = [
      [{ rewards: [] , groupIds: [], lengths: [] }, 'rewards', null, 'empty'],
      [{ rewards: [1, Number.NaN, 0, 1] }, 'rewards', 1, 'not-finite'],
      [{ rewards: [1, 0, Number.POSITIVE_INFINITY, 1] }, 'rewards', 2, 'not-finite'],
      [{ groupIds: [0, 0, 1] }, 'groupIds', null, 'length-mismatch'],
      [{ groupIds: [0, -1, 1, 1] }, 'groupIds', 1, 'negative'],
      [{ groupIds: [0, 0, 1.5, 1] }, 'groupIds', 2, 'not-integer'],
    ];
    for (const [override, fieldName, index, kind] of cases) {
      expect(errorOf(kernel({ ...good, ...override }))).toMatchObject({ stage, field: fieldName, index, kind });
    }
  });

  it('rejects a bad eps', () => {
    expect(errorOf(grpo({ eps: -1 })(good))).toMatchObject({ stage: 'advantage.grpo', field: 'eps', kind: 'out-of-range' });
    expect(errorOf(reinforceppBaseline({ eps: Number.NaN })(good))).toMatchObject({ field: 'eps', kind: 'out-of-range' });
  });

  it('reinforcepp_baseline needs sensible lengths', () => {
    const kernel = reinforceppBaseline();
    expect(errorOf(kernel({ rewards: good.rewards, groupIds: good.groupIds }))).toMatchObject({ field: 'lengths', kind: 'invalid' });
    expect(errorOf(kernel({ ...good, lengths: [1, 2, 3] }))).toMatchObject({ field: 'lengths', kind: 'length-mismatch' });
    expect(errorOf(kernel({ ...good, lengths: [1, 2, -3, 4] }))).toMatchObject({ field: 'lengths', index: 2, kind: 'negative' });
    expect(errorOf(kernel({ ...good, lengths: [1, 2.5, 3, 4] }))).toMatchObject({ field: 'lengths', index: 1, kind: 'not-integer' });
    expect(errorOf(kernel({ ...good, lengths: [0, 0, 0, 0] }))).toMatchObject({ field: 'lengths', kind: 'empty' });
  });

  it('reports an overflow instead of a silent non-finite or zero advantage', () => {
    const huge = { rewards: [1.7e308, -1.7e308, 1.7e308], groupIds: [0, 0, 0], lengths: [1, 1, 1] };
    for (const [stage, kernel] of kernels) {
      expect(errorOf(kernel(huge)), stage).toMatchObject({ stage, field: 'advantages', kind: 'not-finite' });
    }
  });
});
