import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { describe, expect, it } from 'vitest';
import { StageError, unwrap } from '@rlflow/core';
import { batchOf } from './batch-fixture.js';
import { advantageStage } from './advantage-stage.js';
import { dads, dadsStage, dadsStageWith } from './dads.js';
import { drgrpo } from './drgrpo.js';
import { grpo } from './grpo.js';
import { overlong, overlongStage } from './overlong.js';
import { apoSplit } from './split.js';
import { stcr, stcrStage } from './stcr.js';

const errorOf = <A>(result: E.Either<StageError, A>): StageError => {
  if (E.isRight(result)) throw new Error('expected a StageError');
  return result.left;
};

const batch = batchOf([
  { group: 0, reward: 1, correct: 1, length: 4 },
  { group: 0, reward: 0, correct: 0, length: 9 },
  { group: 1, reward: 1, correct: 1, length: 3 },
  { group: 0, reward: 0, correct: 0, length: 2 },
  { group: 1, reward: 1, correct: 1, length: 6 },
  { group: 1, reward: 0, correct: 0, length: 8 },
]);
const snapshot = structuredClone(batch);

describe('batch stages', () => {
  it('advantageStage fills advantages with the kernel output and leaves the input untouched', () => {
    const out = unwrap(advantageStage(grpo())(batch));
    expect(out.advantages).toEqual(unwrap(grpo()({ rewards: batch.rewards, groupIds: batch.groupIds })));
    expect(out.rewards).toBe(batch.rewards);
    expect(batch).toEqual(snapshot);
  });

  it('apoSplit fills positive from the advantages', () => {
    const out = unwrap(pipe(batch, advantageStage(drgrpo()), E.chain(apoSplit)));
    expect(Array.from(out.positive!)).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it('dadsStage fills klWeights with the DADS weights', () => {
    const withAdvantages = unwrap(advantageStage(grpo())(batch));
    const out = unwrap(dadsStage(withAdvantages));
    expect(out.klWeights).toEqual(
      unwrap(dads()({ correct: batch.correct, groupIds: batch.groupIds, advantages: withAdvantages.advantages! })),
    );
    expect(unwrap(dadsStageWith({ scale: 1 })(withAdvantages)).klWeights![0]).toBeCloseTo(1 - Math.exp(-1 / 3), 14);
  });

  it('stcrStage multiplies the advantages and records the multipliers', () => {
    const withAdvantages = unwrap(advantageStage(grpo())(batch));
    const out = unwrap(stcrStage({ base: 1.1 })(withAdvantages));
    const multipliers = unwrap(stcr({ base: 1.1 })(batch));
    expect(out.advantageMultipliers).toEqual(multipliers);
    expect(Array.from(out.advantages!)).toEqual(Array.from(withAdvantages.advantages!, (a, i) => a * multipliers[i]!));
    expect(multipliers[1]).toBeGreaterThan(1);
    expect(multipliers[3]).toBe(1);
  });

  it('overlongStage adds the penalties to the rewards', () => {
    const params = { maxLen: 8, bufferLen: 4, penaltyFactor: 1 };
    const out = unwrap(overlongStage(params)(batch));
    const penalties = unwrap(overlong(params)(batch));
    expect(Array.from(out.rewards)).toEqual(Array.from(batch.rewards, (r, i) => r + penalties[i]!));
    expect(batch).toEqual(snapshot);
  });

  it('each stage reports what is missing or inconsistent', () => {
    expect(errorOf(apoSplit(batch))).toMatchObject({ stage: 'apo.split', field: 'advantages', kind: 'invalid' });
    expect(errorOf(apoSplit({ ...batch, advantages: new Float64Array(5) }))).toMatchObject({ field: 'advantages', kind: 'length-mismatch' });
    expect(errorOf(dadsStage(batch))).toMatchObject({ stage: 'apo.dads', field: 'advantages', kind: 'invalid' });
    expect(errorOf(stcrStage()(batch))).toMatchObject({ stage: 'apo.stcr', field: 'advantages', kind: 'invalid' });
    const withAdvantages = unwrap(advantageStage(grpo())(batch));
    expect(errorOf(pipe(withAdvantages, stcrStage(), E.chain(stcrStage())))).toMatchObject({ field: 'advantageMultipliers', kind: 'invalid' });
    expect(errorOf(stcrStage()({ ...withAdvantages, advantages: new Float64Array(2) }))).toMatchObject({ field: 'advantages', kind: 'length-mismatch' });
    expect(errorOf(overlongStage({ maxLen: 8, bufferLen: 4, penaltyFactor: 1 })(withAdvantages))).toMatchObject({
      stage: 'dapo.overlong',
      field: 'advantages',
      kind: 'invalid',
    });
    const nanReward = { ...batch, rewards: Float64Array.from([1, Number.NaN, 1, 0, 1, 0]) };
    expect(errorOf(advantageStage(grpo())(nanReward))).toMatchObject({ stage: 'advantage.grpo', field: 'rewards', index: 1, kind: 'not-finite' });
    expect(errorOf(overlongStage({ maxLen: 8, bufferLen: 4, penaltyFactor: 1 })(nanReward))).toMatchObject({ field: 'rewards', index: 1 });
    const badCorrect = { ...withAdvantages, correct: Uint8Array.from([1, 0, 3, 0, 1, 0]) };
    expect(errorOf(dadsStage(badCorrect))).toMatchObject({ field: 'correct', index: 2, kind: 'not-binary' });
    const badLength = { ...withAdvantages, lengths: Int32Array.from([4, 9, -3, 2, 6, 8]) };
    expect(errorOf(stcrStage()(badLength))).toMatchObject({ field: 'lengths', index: 2, kind: 'negative' });
  });
});
