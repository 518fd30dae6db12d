import * as E from 'fp-ts/lib/Either.js';
import { concatMap, map, startWith, Subject, take, tap, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { StageError, toRows, unwrap } from '@rlflow/core';
import { passesGate } from '@rlflow/curriculum';
import { EOS_ID, type SamplingParams } from '@rlflow/policy';
import { rolloutRound } from './group.js';
import { pullGroups } from './operators/pull-groups.js';
import { roundSeed } from './pull.js';
import { collectBatch, type BatchOptions } from './refill.js';
import { rolloutBatch } from './rollout-batch.js';
import { fakePolicy, item, items, passesScript, RIGHT, WRONG } from './testing/fake-policy.js';
import { groupsToBatch } from './to-batch.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const sampling: SamplingParams = { temperature: 1, topP: 1, topK: 0, maxNewTokens: 40 };
const G = 4;

/** Prompt `q<i>` passes `table[i]` of its G samples (0 when not listed). */
const passTable =
  (table: Readonly<Record<number, number>>) =>
  (prompt: string): number =>
    table[Number(prompt.slice(1))] ?? 0;

describe('rolloutRound', () => {
  it('samples every item G times in one generate call and scores each group', () => {
    const policy = fakePolicy(passesScript(passTable({ 0: 1, 1: 4 })));
    const groups = unwrap(rolloutRound({ policy, groupSize: G, sampling })([item(0), item(1)], 3, 12));
    expect(policy.calls).toHaveLength(1);
    expect(policy.calls[0]!.prompts).toEqual(['q0', 'q0', 'q0', 'q0', 'q1', 'q1', 'q1', 'q1']);
    expect(groups.map((g) => [g.promptKey, g.round])).toEqual([
      ['p0', 3],
      ['p1', 3],
    ]);
    const [first, second] = groups as [(typeof groups)[0], (typeof groups)[0]];
    expect(first.texts).toEqual([RIGHT, WRONG, WRONG, WRONG]);
    expect(Array.from(first.rewards)).toEqual([1.5, 0.5, 0.5, 0.5]);
    expect(Array.from(first.correct)).toEqual([1, 0, 0, 0]);
    expect(Array.from(first.formatOk)).toEqual([1, 1, 1, 1]);
    expect(Array.from(second.correct)).toEqual([1, 1, 1, 1]);
    const length = 7; // 4 tag tokens, 2 one-character bodies, end-of-sequence
    expect(Array.from(first.lengths)).toEqual([length, length, length, length]);
    expect(first.tokens[0]![length - 1]).toBe(EOS_ID);
    expect(Array.from(first.finished)).toEqual([1, 1, 1, 1]);
    expect([first.mask.rows, first.mask.cols, first.oldLogp.rows, first.oldLogp.cols]).toEqual([G, 40, G, 40]);
    expect(toRows(first.mask)[0]!.slice(length - 1, length + 1)).toEqual([1, 0]);
    expect(first.oldLogp.data[0]).toBeCloseTo(-(1 + (12 % 7)) / 10, 12);
    expect(first.promptTokens).toHaveLength(2);
  });

  it('reports a prompt the tokenizer cannot encode with its index', () => {
    const policy = fakePolicy(passesScript(() => 0));
    const bad = { ...item(1), question: 'which is bigger: 3 < 4?' };
    const result = rolloutRound({ policy, groupSize: 2, sampling })([item(0), bad], 0, 1);
    expect(E.isLeft(result) && [result.left.field, result.left.kind]).toEqual(['prompts[1]', 'invalid']);
    expect(policy.calls).toHaveLength(0);
  });

  it('rejects a group size below 1', () => {
    const result = rolloutRound({ policy: fakePolicy(passesScript(() => 0)), groupSize: 0, sampling })([item(0)], 0, 1);
    expect(E.isLeft(result) && result.left.field).toBe('groupSize');
  });
});

describe('pullGroups', () => {
  it('generates nothing until asked, then one round per demand', () => {
    scheduler().run(({ hot, expectObservable, flush }) => {
      const policy = fakePolicy(passesScript(() => 1));
      const demand = hot<number>('----a----b-', { a: 2, b: 1 });
      const out = demand.pipe(pullGroups({ policy, source: items(), groupSize: G, sampling, seed: 5 }), map((g) => g.promptKey));
      expectObservable(out).toBe('----(xy)-z-', { x: 'p0', y: 'p1', z: 'p2' });
      flush();
      expect(policy.calls.map((c) => [c.prompts.length, c.seed])).toEqual([
        [2 * G, roundSeed(5, 0)],
        [G, roundSeed(5, 1)],
      ]);
    });
  });

  it('never lets a slow consumer fall behind generation by more than one chunk', () => {
    const CHUNK = 3;
    let consumed = 0;
    let maxAhead = 0;
    const policy = fakePolicy(passesScript(() => 2), () => {
      maxAhead = Math.max(maxAhead, policy.rows() / G - consumed);
    });
    scheduler().run(({ expectObservable }) => {
      const demand = new Subject<number>();
      const consumer = demand.pipe(
        startWith(CHUNK),
        pullGroups({ policy, source: items(), groupSize: G, sampling, seed: 1 }),
        concatMap((group) => timer(2).pipe(map(() => group))),
        tap(() => {
          consumed++;
          maxAhead = Math.max(maxAhead, policy.rows() / G - consumed);
          if (consumed % CHUNK === 0 && consumed < 9) demand.next(CHUNK);
        }),
        take(9),
        map((g) => g.promptKey),
      );
      expectObservable(consumer).toBe('--a-b-c-d-e-f-g-h-(i|)', {
        a: 'p0',
        b: 'p1',
        c: 'p2',
        d: 'p3',
        e: 'p4',
        f: 'p5',
        g: 'p6',
        h: 'p7',
        i: 'p8',
      });
    });
    expect(maxAhead).toBeLessThanOrEqual(CHUNK);
    expect(policy.calls).toHaveLength(3);
    expect(policy.rows() / G - consumed).toBeLessThanOrEqual(CHUNK);
  });

  it('completes when the prompt source runs out', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const policy = fakePolicy(passesScript(() => 0));
      const out = cold<number>('a-----a-----a', { a: 2 }).pipe(pullGroups({ policy, source: items(3), groupSize: 2, sampling, seed: 0 }), map((g) => g.promptKey));
      expectObservable(out).toBe('(xy)--z-----|', { x: 'p0', y: 'p1', z: 'p2' });
    });
  });

  it('errors with a StageError on a demand below 1', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const policy = fakePolicy(passesScript(() => 0));
      const out = cold<number>('a-b', { a: 1, b: 0 }).pipe(pullGroups({ policy, source: items(), groupSize: 2, sampling, seed: 0 }), map((g) => g.promptKey));
      expectObservable(out).toBe('x-#', { x: 'p0' }, new StageError('rollout.pull', 'count', null, 'out-of-range', 'is 0, expected an integer ≥ 1'));
    });
  });
});

describe('rolloutBatch', () => {
  const options = (table: Readonly<Record<number, number>>, overrides: Partial<BatchOptions<ReturnType<typeof item>>> = {}) => {
    const policy = fakePolicy(passesScript(passTable(table)));
    return {
      policy,
      options: {
        policy,
        source: items(),
        groupSize: G,
        promptsPerStep: 3,
        maxAttempts: 4,
        gate: passesGate({ tau: 0.5 }),
        sampling,
        seed: 9,
        ...overrides,
      } satisfies BatchOptions<ReturnType<typeof item>>,
    };
  };

  it('refills rejected groups with new prompts until the batch is full', () => {
    // p0 all wrong, p1 one right, p2 all right → keep p1; round 1 asks for 2: p3 (kept), p4 (rejected); round 2 asks for 1: p5 (kept).
    const { policy, options: o } = options({ 1: 1, 2: 4, 3: 2, 5: 3 });
    scheduler().run(({ expectObservable }) => {
      expectObservable(rolloutBatch(o).pipe(map((b) => ({ keys: b.groups.map((g) => g.promptKey), counts: b.counts, exhausted: b.exhausted })))).toBe('(a|)', {
        a: { keys: ['p1', 'p3', 'p5'], counts: { kept: 3, rejected: 3, attempts: 3, generatedGroups: 6 }, exhausted: false },
      });
    });
    expect(policy.calls.map((c) => [c.prompts.length / G, c.seed])).toEqual([
      [3, roundSeed(9, 0)],
      [2, roundSeed(9, 1)],
      [1, roundSeed(9, 2)],
    ]);
  });

  it('lists every sampled group with its pass rate for the curriculum', () => {
    const batch = unwrap(collectBatch(options({ 1: 1, 2: 4, 3: 2, 5: 3 }).options));
    for (const group of batch.groups) {
      const seen = batch.seen.find((s) => s.promptKey === group.promptKey)!;
      expect(seen.meanReward).toBeCloseTo(Array.from(group.rewards).reduce((a, b) => a + b, 0) / group.rewards.length, 12);
    }
    expect(batch.seen.map(({ meanReward: _, ...rest }) => rest)).toEqual([
      { promptKey: 'p0', passRate: 0, kept: false },
      { promptKey: 'p1', passRate: 0.25, kept: true },
      { promptKey: 'p2', passRate: 1, kept: false },
      { promptKey: 'p3', passRate: 0.5, kept: true },
      { promptKey: 'p4', passRate: 0, kept: false },
      { promptKey: 'p5', passRate: 0.75, kept: true },
    ]);
  });

  it('stops at maxAttempts rounds with fewer groups', () => {
    const { policy, options: o } = options({ 0: 1 }, { maxAttempts: 2 });
    scheduler().run(({ expectObservable }) => {
      expectObservable(rolloutBatch(o).pipe(map((b) => [b.groups.map((g) => g.promptKey), b.counts]))).toBe('(a|)', {
        a: [['p0'], { kept: 1, rejected: 4, attempts: 2, generatedGroups: 5 }],
      });
    });
    expect(policy.calls).toHaveLength(2);
  });

  it('stops when the source runs out', () => {
    const { options: o } = options({ 0: 1 }, { source: items(4) });
    const batch = unwrap(collectBatch(o));
    expect([batch.counts, batch.exhausted]).toEqual([{ kept: 1, rejected: 3, attempts: 2, generatedGroups: 4 }, true]);
  });

  it('gives the same batch for the same seed and a fresh source, another for another seed', () => {
    const table = { 0: 1, 2: 3, 4: 2, 5: 1 };
    const a = unwrap(collectBatch(options(table).options));
    const b = unwrap(collectBatch(options(table).options));
    const c = unwrap(collectBatch(options(table, { seed: 10 }).options));
    expect(b).toEqual(a);
    expect(c.groups.map((g) => g.promptKey)).toEqual(a.groups.map((g) => g.promptKey));
    expect(c.groups[0]!.oldLogp.data[0]).not.toBe(a.groups[0]!.oldLogp.data[0]);
  });

  it('samples nothing before subscription', () => {
    const { policy, options: o } = options({ 0: 1, 1: 1, 2: 1 });
    const batch$ = rolloutBatch(o);
    expect(policy.calls).toHaveLength(0);
    batch$.subscribe();
    expect(policy.calls).toHaveLength(1);
  });

  it('errors with a StageError naming a bad option', () => {
    scheduler().run(({ expectObservable }) => {
      expectObservable(rolloutBatch(options({}, { promptsPerStep: 0 }).options)).toBe(
        '#',
        undefined,
        new StageError('rollout.batch', 'promptsPerStep', null, 'out-of-range', 'is 0, expected an integer ≥ 1'),
      );
    });
  });
});

describe('groupsToBatch', () => {
  it('stacks the groups into one batch with group ids and prompt keys', () => {
    const policy = fakePolicy(passesScript(passTable({ 0: 1, 1: 2 })));
    const groups = unwrap(rolloutRound({ policy, groupSize: 2, sampling })([item(0), item(1)], 0, 3));
    const batch = unwrap(groupsToBatch(groups));
    expect(Array.from(batch.groupIds)).toEqual([0, 0, 1, 1]);
    expect(batch.promptKeys).toEqual(['p0', 'p0', 'p1', 'p1']);
    expect(Array.from(batch.correct)).toEqual([1, 0, 1, 1]);
    expect(Array.from(batch.rewards)).toEqual([1.5, 0.5, 1.5, 1.5]);
    expect([batch.mask.rows, batch.mask.cols]).toEqual([4, 40]);
    expect(Array.from(batch.oldLogp.data.subarray(80, 120))).toEqual(Array.from(groups[1]!.oldLogp.data.subarray(0, 40)));
    expect(Array.from(batch.lengths)).toEqual([...groups[0]!.lengths, ...groups[1]!.lengths]);
  });

  it('refuses an empty list of groups', () => {
    const result = groupsToBatch([]);
    expect(E.isLeft(result) && result.left.kind).toBe('empty');
  });
});
