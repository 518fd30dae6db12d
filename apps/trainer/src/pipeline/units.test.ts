import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { matrix, StageError, unwrap, type Batch } from '@rlflow/core';
import { resolveConfig } from '../config/index.js';
import { initialGuard, nextGuard } from './guard.js';
import { batchStages, shapeBatch } from './shape-batch.js';

const config = (preset: string, sets: string[] = []) => {
  const c = resolveConfig({ preset, sets });
  if (E.isLeft(c)) throw new Error(c.left.problems.join('; '));
  return c.right;
};

const batchOf = (rewards: number[], groupSize: number, width = 4): Batch => {
  const n = rewards.length;
  const mask = matrix(n, width, Float64Array.from({ length: n * width }, (_, i) => (i % width < 1 + (Math.floor(i / width) % width) ? 1 : 0)));
  return {
    groupIds: Int32Array.from(rewards, (_, i) => Math.floor(i / groupSize)),
    promptKeys: rewards.map((_, i) => `p${Math.floor(i / groupSize)}`),
    rewards: Float64Array.from(rewards),
    correct: Uint8Array.from(rewards, (r) => (r > 0.5 ? 1 : 0)),
    lengths: Int32Array.from({ length: n }, (_, r) => 1 + (r % width)),
    mask,
    oldLogp: matrix(n, width),
  };
};

describe('non-finite guard', () => {
  it('stops after maxInARow skipping steps in a row and resets on a clean step', () => {
    const next = nextGuard(3);
    const streak = [1, 2, 0, 1, 1, 1].reduce<{ guards: ReturnType<typeof next>[] }>(
      (acc, skipped) => ({ guards: [...acc.guards, next(acc.guards[acc.guards.length - 1] ?? initialGuard, skipped)] }),
      { guards: [] },
    ).guards;
    expect(streak.map((g) => g.inARow)).toEqual([1, 2, 0, 1, 2, 3]);
    expect(streak.map((g) => g.stop)).toEqual([false, false, false, false, false, true]);
  });
});

describe('batch shaping from the config', () => {
  it('runs the stages each preset switches on, in pipeline order', () => {
    const names = (preset: string) => unwrap(batchStages(config(preset))).map((s) => s.name);
    expect(names('grpo')).toEqual(['advantage.grpo', 'apo.split', 'clip.fixed']);
    expect(names('dapo')).toEqual(['overlong', 'advantage.grpo', 'apo.split', 'clip.fixed']);
    expect(names('apo')).toEqual(['advantage.grpo', 'apo.split', 'apo.dads', 'apo.stcr', 'clip.fixed']);
    expect(names('acpo')).toEqual(['advantage.grpo', 'apo.split', 'clip.aaac']);
  });

  it('fills advantages, split, KL weights, multipliers and per-token bounds', () => {
    const shaped = unwrap(unwrap(shapeBatch(config('acpo-apo')))(batchOf([1.5, 0.5, 0.5, 1.5, 1.5, 0.5], 3)));
    expect(shaped.advantages).toHaveLength(6);
    expect(Array.from(shaped.positive!)).toEqual([1, 0, 0, 1, 1, 0]);
    expect(shaped.klWeights!.every((w) => w > 0 && w <= 1)).toBe(true);
    expect(shaped.clipBounds!.epsHigh.rows).toBe(6);
  });

  it('fails with the typed error of the first bad stage', () => {
    const bad = unwrap(shapeBatch(config('grpo')))(batchOf([1, Number.NaN, 0, 1], 2));
    expect(E.isLeft(bad) && bad.left instanceof StageError && bad.left.field === 'rewards' && bad.left.index === 1).toBe(true);
  });
});
