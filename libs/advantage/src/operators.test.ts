import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { StageError, unwrap } from '@rlflow/core';
import { advantageStage } from './advantage-stage.js';
import { dadsStage } from './dads.js';
import { grpo } from './grpo.js';
import { estimateAdvantages } from './operators/estimate-advantages.js';
import { regularizeLongFailures } from './operators/regularize-long-failures.js';
import { shapeOverlongRewards } from './operators/shape-overlong-rewards.js';
import { splitByAdvantageSign } from './operators/split-by-advantage-sign.js';
import { weightKlByDifficulty } from './operators/weight-kl-by-difficulty.js';
import { overlongStage } from './overlong.js';
import { apoSplit } from './split.js';
import { batchOf } from './batch-fixture.js';
import { stcrStage } from './stcr.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const a = batchOf([
  { group: 0, reward: 1, correct: 1, length: 3 },
  { group: 0, reward: 0, correct: 0, length: 7 },
  { group: 0, reward: 0, correct: 0, length: 2 },
]);
const b = batchOf([
  { group: 4, reward: 0, correct: 0, length: 5 },
  { group: 2, reward: 1, correct: 1, length: 1 },
  { group: 4, reward: 1, correct: 1, length: 5 },
  { group: 2, reward: 1, correct: 1, length: 9 },
]);
const bad = { ...a, rewards: Float64Array.from([1, Number.POSITIVE_INFINITY, 0]) };
const withAdvantages = (batch: typeof a) => unwrap(advantageStage(grpo())(batch));

describe('advantage operators', () => {
  it('estimateAdvantages maps each batch through the stage and errors the stream with the StageError', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a--b-x-b|', { a, b, x: bad });
      expectObservable(source.pipe(estimateAdvantages(grpo()))).toBe(
        '-a--b-#',
        { a: withAdvantages(a), b: withAdvantages(b) },
        new StageError('advantage.grpo', 'rewards', 1, 'not-finite', 'is Infinity, expected a finite number'),
      );
    });
  });

  it('the APO operators chain in a pipeline exactly as their stages compose', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b|', { a, b });
      const overlong = { maxLen: 8, bufferLen: 4, penaltyFactor: 0.5 };
      const viaStages = (batch: typeof a) =>
        unwrap(stcrStage({ base: 1.05 })(unwrap(dadsStage(unwrap(apoSplit(withAdvantages(unwrap(overlongStage(overlong)(batch)))))))));
      expectObservable(
        source.pipe(
          shapeOverlongRewards(overlong),
          estimateAdvantages(grpo()),
          splitByAdvantageSign(),
          weightKlByDifficulty(),
          regularizeLongFailures({ base: 1.05 }),
        ),
      ).toBe('a-b|', { a: viaStages(a), b: viaStages(b) });
    });
  });

  it('an operator whose prerequisite is missing errors the stream', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a }).pipe(splitByAdvantageSign())).toBe(
        '#',
        undefined,
        new StageError('apo.split', 'advantages', null, 'invalid', 'is not set; run an advantage stage first'),
      );
    });
  });
});
