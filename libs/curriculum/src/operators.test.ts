import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { StageError, unwrap } from '@rlflow/core';
import type { CurriculumConfig } from './config.js';
import { gateGroups } from './gate.js';
import { keepInformativeGroups } from './operators/keep-informative-groups.js';
import { threadCurriculum } from './operators/thread-curriculum.js';
import { reduce } from './reduce.js';
import { initialCurriculumState } from './state.js';
import { summaryOf } from './summary-fixture.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

interface Group {
  readonly prompt: string;
  readonly rewards: readonly number[];
}
const g1: readonly Group[] = [
  { prompt: 'a', rewards: [0, 1, 1, 0] },
  { prompt: 'b', rewards: [1, 1, 1, 1] },
];
const g2: readonly Group[] = [
  { prompt: 'c', rewards: [0, 0, 0, 0] },
  { prompt: 'd', rewards: [1, 0, 0, 0] },
  { prompt: 'e', rewards: [0.5, 0.75, 0.25, 0.5] },
];

describe('keepInformativeGroups', () => {
  it('splits each set of groups into kept and rejected', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a--b|', { a: g1, b: g2 }).pipe(keepInformativeGroups<Group>())).toBe('-x--y|', {
        x: { kept: [g1[0]], rejected: [g1[1]] },
        y: { kept: [g2[1], g2[2]], rejected: [g2[0]] },
      });
    });
  });

  it('errors the stream with the StageError of a bad set of groups', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const bad: readonly Group[] = [{ prompt: 'z', rewards: [0, Number.NaN] }];
      expectObservable(cold('a-b-a|', { a: g1, b: bad }).pipe(keepInformativeGroups<Group>())).toBe(
        'x-#',
        { x: unwrap(gateGroups<Group>()(g1)) },
        new StageError('curriculum.gate', 'rewardsByGroup', [0, 1], 'not-finite', 'is NaN, expected a finite number'),
      );
    });
  });
});

describe('threadCurriculum', () => {
  const config: CurriculumConfig = {
    reuse: { schedule: 'adaptive', kMin: 1, kMax: 4 },
    historyWindow: 2,
    exploreSteps: 1,
    minKeepRate: 0.5,
  };
  const initial = unwrap(initialCurriculumState(config));
  const s0 = summaryOf(0, [{ promptKey: 'a', passRate: 0.5, kept: true }]);
  const s1 = summaryOf(1, [{ promptKey: 'a', passRate: 0.25, kept: true }, { promptKey: 'b', passRate: 1, kept: false }]);
  const s2 = summaryOf(2, [{ promptKey: 'b', passRate: 0, kept: false }], { approxKl: 0.5 });

  it('emits the state after each summary, as the scan of reduce', () => {
    const x = unwrap(reduce(config)(initial, s0));
    const y = unwrap(reduce(config)(x, s1));
    const z = unwrap(reduce(config)(y, s2));
    expect([x.reuse, y.reuse, z.reuse]).toEqual([2, 3, 1]);
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('--a-b--c|', { a: s0, b: s1, c: s2 }).pipe(threadCurriculum(config, initial))).toBe('--x-y--z|', { x, y, z });
    });
  });

  it('errors the stream when a summary is out of order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a-c-b|', { a: s0, b: s1, c: s2 }).pipe(threadCurriculum(config, initial))).toBe(
        'x-#',
        { x: unwrap(reduce(config)(initial, s0)) },
        new StageError('curriculum.reduce', 'step', null, 'invalid', 'is 2, expected 1 (the step the state expects next)'),
      );
    });
  });
});
