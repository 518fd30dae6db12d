import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import { pipe } from 'fp-ts/lib/function.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StageError, unwrap, type StepSummary } from '@rlflow/core';
import { adaptReuse, type AdaptiveReuseParams } from './adaptive-reuse.js';
import { decodeCurriculumState, encodeCurriculumState } from './codec.js';
import { defaultCurriculumConfig, type CurriculumConfig } from './config.js';
import { reduce } from './reduce.js';
import { reuseSchedule, type ReuseScheduleParams } from './reuse.js';
import { estimatedDifficulty, estimatedPassRate, initialCurriculumState, passRateHistory, type CurriculumState } from './state.js';
import { summaryOf, summarySequence } from './summary-fixture.js';

const errorOf = <A>(result: E.Either<StageError, A>): StageError => {
  if (E.isRight(result)) throw new Error('expected a StageError');
  return result.left;
};

const linearReuse: ReuseScheduleParams = { schedule: 'linear', kMin: 1, kMax: 4, totalSteps: 20, warmupFrac: 0.3 };
const adaptiveReuse: AdaptiveReuseParams = { schedule: 'adaptive', kMin: 1, kMax: 5, targetKl: 0.02, targetClipFrac: 0.3 };
const linear: CurriculumConfig = {
  reuse: linearReuse,
  historyWindow: 3,
  exploreSteps: 2,
  minKeepRate: 0.25,
};
const adaptive: CurriculumConfig = { ...linear, reuse: adaptiveReuse };

const fold = (config: CurriculumConfig, summaries: readonly StepSummary[]): CurriculumState[] => {
  const states = [unwrap(initialCurriculumState(config))];
  for (const summary of summaries) states.push(unwrap(reduce(config)(states[states.length - 1]!, summary)));
  return states;
};

describe('initialCurriculumState', () => {
  it('starts at step 0 with K(0), or K_min for the adaptive schedule, and no history', () => {
    expect(unwrap(initialCurriculumState(linear))).toEqual({
      step: 0,
      reuse: 1,
      phase: 'explore',
      prompts: new Map(),
      gate: { kept: 0, rejected: 0, lastKeepRate: null },
    });
    expect(unwrap(initialCurriculumState({ ...adaptive, reuse: { schedule: 'adaptive', kMin: 2, kMax: 5 } })).reuse).toBe(2);
    expect(unwrap(initialCurriculumState(defaultCurriculumConfig)).phase).toBe('exploit');
  });

  it('rejects a bad config', () => {
    expect(errorOf(initialCurriculumState({ ...linear, historyWindow: 0 }))).toMatchObject({ stage: 'curriculum.state', field: 'historyWindow' });
    expect(errorOf(initialCurriculumState({ ...linear, exploreSteps: -1 }))).toMatchObject({ field: 'exploreSteps' });
    expect(errorOf(initialCurriculumState({ ...linear, minKeepRate: 2 }))).toMatchObject({ field: 'minKeepRate' });
    expect(errorOf(initialCurriculumState({ ...linear, reuse: { ...linearReuse, kMin: 5 } }))).toMatchObject({ field: 'kMax' });
    expect(errorOf(initialCurriculumState({ ...adaptive, reuse: { schedule: 'adaptive', kMin: 1, kMax: 3, targetKl: -1 } }))).toMatchObject({
      field: 'targetKl',
    });
  });
});

describe('reduce', () => {
  it('advances the step and follows K(t) of a clock schedule', () => {
    fc.assert(
      fc.property(summarySequence, (summaries) => {
        const states = fold(linear, summaries);
        states.forEach((state, t) => {
          expect(state.step).toBe(t);
          expect(state.reuse).toBe(unwrap(reuseSchedule(linearReuse)(t)));
        });
      }),
      { numRuns: 100 },
    );
  });

  it('follows the adaptive rule from the drift of each step', () => {
    fc.assert(
      fc.property(summarySequence, (summaries) => {
        const states = fold(adaptive, summaries);
        summaries.forEach((summary, t) => {
          const expected = adaptReuse(adaptiveReuse)({ reuse: states[t]!.reuse, drift: summary });
          expect(states[t + 1]!.reuse).toBe(unwrap(expected));
        });
      }),
      { numRuns: 100 },
    );
  });

  it('keeps for each prompt exactly its latest pass rates (at most the window), its count and last step', () => {
    fc.assert(
      fc.property(summarySequence, (summaries) => {
        const final = fold(linear, summaries).at(-1)!;
        const all = new Map<string, { rates: number[]; lastStep: number }>();
        for (const summary of summaries) {
          for (const { promptKey, passRate } of summary.groupPassRates) {
            const entry = all.get(promptKey) ?? { rates: [], lastStep: -1 };
            all.set(promptKey, { rates: [...entry.rates, passRate], lastStep: summary.step });
          }
        }
        expect([...final.prompts.keys()].sort()).toEqual([...all.keys()].sort());
        for (const [key, { rates, lastStep }] of all) {
          expect(final.prompts.get(key)).toEqual({ passRates: rates.slice(-linear.historyWindow), seen: rates.length, lastStep });
          const window = rates.slice(-linear.historyWindow);
          const mean = window.reduce((a, b) => a + b, 0) / window.length;
          expect(pipe(final, estimatedDifficulty(key), O.toUndefined)).toBeCloseTo(1 - mean, 12);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('counts the gate and sets the phase by its rule', () => {
    fc.assert(
      fc.property(summarySequence, (summaries) => {
        const states = fold(linear, summaries);
        summaries.forEach((summary, t) => {
          const [before, after] = [states[t]!, states[t + 1]!];
          expect(after.gate.kept).toBe(before.gate.kept + summary.keptGroups);
          expect(after.gate.rejected).toBe(before.gate.rejected + summary.rejectedGroups);
          const gated = summary.keptGroups + summary.rejectedGroups;
          const keepRate = gated === 0 ? null : summary.keptGroups / gated;
          expect(after.gate.lastKeepRate).toBe(keepRate ?? before.gate.lastKeepRate);
          const phase =
            after.step < linear.exploreSteps ? 'explore' : keepRate === null ? before.phase : keepRate < linear.minKeepRate ? 'explore' : 'exploit';
          expect(after.phase).toBe(phase);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('is pure: leaves its input state as it was and gives equal states for equal inputs', () => {
    fc.assert(
      fc.property(summarySequence, (summaries) => {
        const states = fold(adaptive, summaries);
        const snapshots = states.map((s) => structuredClone(s));
        const again = fold(adaptive, summaries);
        expect(again).toEqual(states);
        summaries.forEach((summary, t) => void reduce(adaptive)(states[t]!, summary));
        expect(states).toEqual(snapshots);
      }),
      { numRuns: 50 },
    );
  });

  it('explores for exploreSteps steps, then exploits unless the gate keeps too few groups', () => {
    const seen = (kept: number, rejected: number) => [
      ...Array.from({ length: kept }, (_, i) => ({ promptKey: `k${i}`, passRate: 0.5, kept: true })),
      ...Array.from({ length: rejected }, (_, i) => ({ promptKey: `r${i}`, passRate: 1, kept: false })),
    ];
    const phases = fold(linear, [
      summaryOf(0, seen(4, 0)),
      summaryOf(1, seen(4, 0)),
      summaryOf(2, seen(1, 7)),
      summaryOf(3, []),
      summaryOf(4, seen(2, 6)),
    ]).map((s) => s.phase);
    expect(phases).toEqual(['explore', 'explore', 'exploit', 'explore', 'explore', 'exploit']);
  });

  it('reports a bad summary by field and index', () => {
    const state = unwrap(initialCurriculumState(linear));
    const good = summaryOf(0, [
      { promptKey: 'a', passRate: 0.5, kept: true },
      { promptKey: 'b', passRate: 1, kept: false },
    ]);
    const cases: ReadonlyArray<readonly [Partial<StepSummary>, string, number | null, string]> = [
      [{ step: 1 }, 'step', null, 'invalid'],
      [{ step: -1 }, 'step', null, 'out-of-range'],
      [{ step: 0.5 }, 'step', null, 'not-integer'],
      [{ groupPassRates: [{ promptKey: 'a', passRate: 0.5 }, { promptKey: 'b', passRate: 1.25 }] }, 'groupPassRates', 1, 'out-of-range'],
      [{ groupPassRates: [{ promptKey: 'a', passRate: Number.NaN }, { promptKey: 'b', passRate: 1 }] }, 'groupPassRates', 0, 'out-of-range'],
      [{ keptGroups: 2 }, 'groupPassRates', null, 'length-mismatch'],
      [{ rejectedGroups: -1 }, 'rejectedGroups', null, 'out-of-range'],
      [{ keptGroups: 0.5 }, 'keptGroups', null, 'not-integer'],
      [{ approxKl: Number.POSITIVE_INFINITY }, 'approxKl', null, 'out-of-range'],
      [{ clipFrac: 1.5 }, 'clipFrac', null, 'out-of-range'],
      [{ rewardMean: Number.NaN }, 'rewardMean', null, 'out-of-range'],
      [{ accuracy: -0.1 }, 'accuracy', null, 'out-of-range'],
    ];
    for (const [override, fieldName, index, kind] of cases) {
      expect(errorOf(reduce(linear)(state, { ...good, ...override }))).toMatchObject({ stage: 'curriculum.reduce', field: fieldName, index, kind });
    }
    expect(errorOf(reduce({ ...linear, historyWindow: 1.5 })(state, good))).toMatchObject({ field: 'historyWindow', kind: 'not-integer' });
  });
});

describe('difficulty queries', () => {
  it('are none for an unseen prompt and track the window of a seen one', () => {
    const states = fold(linear, [
      summaryOf(0, [{ promptKey: 'x', passRate: 0, kept: false }]),
      summaryOf(1, [{ promptKey: 'x', passRate: 0.5, kept: true }]),
      summaryOf(2, [{ promptKey: 'x', passRate: 1, kept: false }]),
      summaryOf(3, [{ promptKey: 'x', passRate: 1, kept: false }]),
    ]);
    const final = states.at(-1)!;
    expect(pipe(final, estimatedDifficulty('unseen'))).toEqual(O.none);
    expect(passRateHistory('unseen')(final)).toEqual([]);
    expect(passRateHistory('x')(final)).toEqual([0.5, 1, 1]);
    expect(pipe(final, estimatedPassRate('x'))).toEqual(O.some(2.5 / 3));
    expect(pipe(states[1]!, estimatedDifficulty('x'))).toEqual(O.some(1));
  });
});

describe('the state codec', () => {
  it('round-trips through JSON', () => {
    fc.assert(
      fc.property(summarySequence, (summaries) => {
        const state = fold(adaptive, summaries).at(-1)!;
        const json = JSON.parse(JSON.stringify(encodeCurriculumState(state))) as unknown;
        expect(unwrapDecode(decodeCurriculumState('checkpoint')(json))).toEqual(state);
      }),
      { numRuns: 50 },
    );
  });

  it('names the offending path of a bad checkpoint', () => {
    const state = unwrap(initialCurriculumState(linear));
    const json = { ...encodeCurriculumState(state), reuse: 0, prompts: [['p', { passRates: [1.5], seen: 1, lastStep: 0 }]] };
    const result = decodeCurriculumState('checkpoint.json')(json);
    expect(E.isLeft(result)).toBe(true);
    if (E.isLeft(result)) {
      expect(result.left.problems.some((p) => p.startsWith('reuse:'))).toBe(true);
      expect(result.left.problems.some((p) => p.startsWith('prompts.0.1.passRates.0:'))).toBe(true);
    }
  });
});

const unwrapDecode = <A>(result: E.Either<Error, A>): A => {
  if (E.isLeft(result)) throw result.left;
  return result.right;
};
