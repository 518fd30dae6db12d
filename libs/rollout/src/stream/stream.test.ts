import * as E from 'fp-ts/lib/Either.js';
import { concatMap, firstValueFrom, lastValueFrom, map, of, startWith, Subject, take, tap, timer, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { StageError, toRows, unwrap } from '@rlflow/core';
import { passesGate } from '@rlflow/curriculum';
import type { SamplingParams } from '@rlflow/engine';
import { EOS_ID } from '@rlflow/policy';
import { rolloutRound } from './group.js';
import { pullGroups } from './operators/pull-groups.js';
import { roundSeed } from './pull.js';
import { collectBatch, type BatchOptions } from './refill.js';
import { rolloutBatch } from './rollout-batch.js';
import { fakeEngine, item, items, passesScript, RIGHT, WRONG } from './testing/fake-engine.js';
import { groupsToBatch } from './to-batch.js';

const sampling: SamplingParams = { temperature: 1, topP: 1, topK: 0, maxNewTokens: 40 };
const G = 4;

/** Prompt `q<i>` passes `table[i]` of its G samples (0 when not listed). */
const passTable =
  (table: Readonly<Record<number, number>>) =>
  (prompt: string): number =>
    table[Number(prompt.slice(1))] ?? 0;

describe('rolloutRound', () => {
  it('samples every item G times in one sample call and scores each group', async () => {
    const engine = fakeEngine(passesScript(passTable({ 0: 1, 1: 4 })));
    const groups = unwrap(await rolloutRound({ engine, groupSize: G, sampling })([item(0), item(1)], 3, 12));
    expect(engine.calls).toHaveLength(1);
    expect(engine.calls[0]!.prompts).toEqual(['q0', 'q0', 'q0', 'q0', 'q1', 'q1', 'q1', 'q1']);
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

  it('reports a prompt the tokenizer cannot encode with its index', async () => {
    const engine = fakeEngine(passesScript(() => 0));
    const bad = { ...item(1), question: 'which is bigger: 3 < 4?' };
    const result = await rolloutRound({ engine, groupSize: 2, sampling })([item(0), bad], 0, 1);
    expect(E.isLeft(result) && [result.left.field, result.left.kind]).toEqual(['prompts[1]', 'invalid']);
    expect(engine.calls).toHaveLength(0);
  });

  it('rejects a group size below 1', async () => {
    const result = await rolloutRound({ engine: fakeEngine(passesScript(() => 0)), groupSize: 0, sampling })([item(0)], 0, 1);
    expect(E.isLeft(result) && result.left.field).toBe('groupSize');
  });
});

describe('pullGroups', () => {
  it('generates nothing until asked, then one round per demand', async () => {
    const engine = fakeEngine(passesScript(() => 1));
    const demand = new Subject<number>();
    const keys: string[] = [];
    const done = lastValueFrom(demand.pipe(pullGroups({ engine, source: items(), groupSize: G, sampling, seed: 5 }), map((g) => g.promptKey), tap((k) => keys.push(k)), take(3), toArray()));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(engine.calls).toHaveLength(0);
    demand.next(2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(keys).toEqual(['p0', 'p1']);
    demand.next(1);
    expect(await done).toEqual(['p0', 'p1', 'p2']);
    expect(engine.calls.map((c) => [c.prompts.length, c.seed])).toEqual([
      [2 * G, roundSeed(5, 0)],
      [G, roundSeed(5, 1)],
    ]);
  });

  it('never lets a slow consumer fall behind generation by more than one chunk', async () => {
    const CHUNK = 3;
    let consumed = 0;
    let maxAhead = 0;
    const engine = fakeEngine(passesScript(() => 2), () => {
      maxAhead = Math.max(maxAhead, engine.rows() / G - consumed);
    });
    const demand = new Subject<number>();
    const keys = await lastValueFrom(
      demand.pipe(
        startWith(CHUNK),
        pullGroups({ engine, source: items(), groupSize: G, sampling, seed: 1 }),
        concatMap((group) => timer(2).pipe(map(() => group))),
        tap(() => {
          consumed++;
          maxAhead = Math.max(maxAhead, engine.rows() / G - consumed);
          if (consumed % CHUNK === 0 && consumed < 9) demand.next(CHUNK);
        }),
        take(9),
        map((g) => g.promptKey),
        toArray(),
      ),
    );
    expect(keys).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']);
    expect(maxAhead).toBeLessThanOrEqual(CHUNK);
    expect(engine.calls).toHaveLength(3);
    expect(engine.rows() / G - consumed).toBeLessThanOrEqual(CHUNK);
  });

  it('completes when the prompt source runs out', async () => {
    const engine = fakeEngine(passesScript(() => 0));
    const keys = await lastValueFrom(of(2, 2, 2).pipe(pullGroups({ engine, source: items(3), groupSize: 2, sampling, seed: 0 }), map((g) => g.promptKey), toArray()));
    expect(keys).toEqual(['p0', 'p1', 'p2']);
  });

  it('errors with a StageError on a demand below 1', async () => {
    const engine = fakeEngine(passesScript(() => 0));
    const keys: string[] = [];
    const failed = lastValueFrom(of(1, 0).pipe(pullGroups({ engine, source: items(), groupSize: 2, sampling, seed: 0 }), tap((g) => keys.push(g.promptKey))));
    await expect(failed).rejects.toEqual(new StageError('rollout.pull', 'count', null, 'out-of-range', 'is 0, expected an integer ≥ 1'));
    expect(keys).toEqual(['p0']);
  });
});

describe('rolloutBatch', () => {
  const options = (table: Readonly<Record<number, number>>, overrides: Partial<BatchOptions<ReturnType<typeof item>>> = {}) => {
    const engine = fakeEngine(passesScript(passTable(table)));
    return {
      engine,
      options: {
        engine,
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

  it('refills rejected groups with new prompts until the batch is full', async () => {
    // p0 all wrong, p1 one right, p2 all right → keep p1; round 1 asks for 2: p3 (kept), p4 (rejected); round 2 asks for 1: p5 (kept).
    const { engine, options: o } = options({ 1: 1, 2: 4, 3: 2, 5: 3 });
    const emitted = await lastValueFrom(rolloutBatch(o).pipe(map((b) => ({ keys: b.groups.map((g) => g.promptKey), counts: b.counts, exhausted: b.exhausted })), toArray()));
    expect(emitted).toEqual([{ keys: ['p1', 'p3', 'p5'], counts: { kept: 3, rejected: 3, attempts: 3, generatedGroups: 6 }, exhausted: false }]);
    expect(engine.calls.map((c) => [c.prompts.length / G, c.seed])).toEqual([
      [3, roundSeed(9, 0)],
      [2, roundSeed(9, 1)],
      [1, roundSeed(9, 2)],
    ]);
  });

  it('lists every sampled group with its pass rate for the curriculum', async () => {
    const batch = unwrap(await collectBatch(options({ 1: 1, 2: 4, 3: 2, 5: 3 }).options));
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

  it('stops at maxAttempts rounds with fewer groups', async () => {
    const { engine, options: o } = options({ 0: 1 }, { maxAttempts: 2 });
    const emitted = await lastValueFrom(rolloutBatch(o).pipe(map((b) => [b.groups.map((g) => g.promptKey), b.counts]), toArray()));
    expect(emitted).toEqual([[['p0'], { kept: 1, rejected: 4, attempts: 2, generatedGroups: 5 }]]);
    expect(engine.calls).toHaveLength(2);
  });

  it('stops when the source runs out', async () => {
    const { options: o } = options({ 0: 1 }, { source: items(4) });
    const batch = unwrap(await collectBatch(o));
    expect([batch.counts, batch.exhausted]).toEqual([{ kept: 1, rejected: 3, attempts: 2, generatedGroups: 4 }, true]);
  });

  it('gives the same batch for the same seed and a fresh source, another for another seed', async () => {
    const table = { 0: 1, 2: 3, 4: 2, 5: 1 };
    const a = unwrap(await collectBatch(options(table).options));
    const b = unwrap(await collectBatch(options(table).options));
    const c = unwrap(await collectBatch(options(table, { seed: 10 }).options));
    expect(b).toEqual(a);
    expect(c.groups.map((g) => g.promptKey)).toEqual(a.groups.map((g) => g.promptKey));
    expect(c.groups[0]!.oldLogp.data[0]).not.toBe(a.groups[0]!.oldLogp.data[0]);
  });

  it('samples nothing before subscription', async () => {
    const { engine, options: o } = options({ 0: 1, 1: 1, 2: 1 });
    const batch$ = rolloutBatch(o);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(engine.calls).toHaveLength(0);
    await firstValueFrom(batch$);
    expect(engine.calls).toHaveLength(1);
  });

  it('errors with a StageError naming a bad option', async () => {
    await expect(firstValueFrom(rolloutBatch(options({}, { promptsPerStep: 0 }).options))).rejects.toEqual(
      new StageError('rollout.batch', 'promptsPerStep', null, 'out-of-range', 'is 0, expected an integer ≥ 1'),
    );
  });
});

describe('groupsToBatch', () => {
  it('stacks the groups into one batch with group ids and prompt keys', async () => {
    const engine = fakeEngine(passesScript(passTable({ 0: 1, 1: 2 })));
    const groups = unwrap(await rolloutRound({ engine, groupSize: 2, sampling })([item(0), item(1)], 0, 3));
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
