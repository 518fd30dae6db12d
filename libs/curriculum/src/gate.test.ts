import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StageError, unwrap } from '@rlflow/core';
import { gate, gateGroups } from './gate.js';

const errorOf = <A>(result: E.Either<StageError, A>): StageError => {
  if (E.isRight(result)) throw new Error('expected a StageError');
  return result.left;
};

const reward = fc.oneof(fc.constantFrom(0, 0.5, 1, 1.5), fc.double({ min: -3, max: 3, noNaN: true }));
const groups = fc.array(fc.array(reward, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 10 });

describe('gate', () => {
  it('keeps exactly the groups with 0 < #{r > τ} ≤ N_max', () => {
    fc.assert(
      fc.property(groups, fc.double({ min: -1, max: 2, noNaN: true }), fc.integer({ min: 0, max: 9 }), (rewardsByGroup, tau, nMax) => {
        const keep = unwrap(gate({ tau, nMax })(rewardsByGroup));
        expect(keep).toEqual(
          rewardsByGroup.map((rewards) => {
            const passing = rewards.filter((r) => r > tau).length;
            return passing > 0 && passing <= nMax;
          }),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('uses τ = 0.5 and N_max = G − 1 of each group by default', () => {
    fc.assert(
      fc.property(groups, (rewardsByGroup) => {
        const keep = unwrap(gate()(rewardsByGroup));
        expect(keep).toEqual(
          rewardsByGroup.map((rewards) => {
            const passing = rewards.filter((r) => r > 0.5).length;
            return passing > 0 && passing < rewards.length;
          }),
        );
      }),
      { numRuns: 100 },
    );
    expect(unwrap(gate()([[0, 0], [1, 1], [0, 1], [0.5, 1]]))).toEqual([false, false, true, true]);
  });

  it('gateGroups splits groups of any shape into kept and rejected, each in input order', () => {
    fc.assert(
      fc.property(groups, (rewardsByGroup) => {
        const tagged = rewardsByGroup.map((rewards, id) => ({ id, rewards }));
        const { kept, rejected } = unwrap(gateGroups<(typeof tagged)[number]>()(tagged));
        const keep = unwrap(gate()(rewardsByGroup));
        expect(kept.map((g) => g.id)).toEqual(tagged.filter((_, i) => keep[i]).map((g) => g.id));
        expect(rejected.map((g) => g.id)).toEqual(tagged.filter((_, i) => !keep[i]).map((g) => g.id));
      }),
      { numRuns: 100 },
    );
  });

  it('rejects bad input, naming the field and index', () => {
    expect(errorOf(gate()([]))).toMatchObject({ stage: 'curriculum.gate', field: 'rewardsByGroup', kind: 'empty', index: null });
    expect(errorOf(gate()([[1, 0], []]))).toMatchObject({ field: 'rewardsByGroup', index: 1, kind: 'empty' });
    expect(errorOf(gate()([[1, 0], [0, Number.NaN]]))).toMatchObject({ field: 'rewardsByGroup', index: [1, 1], kind: 'not-finite' });
    expect(errorOf(gate()([[Number.NEGATIVE_INFINITY]]))).toMatchObject({ index: [0, 0], kind: 'not-finite' });
    expect(errorOf(gate({ tau: Number.NaN })([[1]]))).toMatchObject({ field: 'tau', kind: 'out-of-range' });
    expect(errorOf(gate({ nMax: -1 })([[1]]))).toMatchObject({ field: 'nMax', kind: 'out-of-range' });
    expect(errorOf(gate({ nMax: 1.5 })([[1]]))).toMatchObject({ field: 'nMax', kind: 'not-integer' });
    expect(errorOf(gateGroups()([{ rewards: [0, 1] }, { rewards: [] }]))).toMatchObject({ field: 'rewardsByGroup', index: 1 });
  });
});
