import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { matrix, StageError, unwrap, type Batch } from '@rlflow/core';
import type { StepResult } from '@rlflow/policy';
import { resolveConfig } from '../config/index.js';
import { initialGuard, nextGuard } from './guard.js';
import { microBatchShare } from './loss.js';
import { batchStages, shapeBatch } from './shape-batch.js';
import { planUpdates, runUpdates } from './update.js';

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

describe('update plan', () => {
  it('covers every row once per pass, K passes × mini-batches, deterministic per seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.nat(), (size, reuse, minis, seed) => {
        const plan = planUpdates(size, reuse, minis, seed);
        const parts = Math.min(minis, size);
        expect(plan.miniBatches).toHaveLength(reuse * parts);
        for (let pass = 0; pass < reuse; pass++) {
          const rows = plan.miniBatches.slice(pass * parts, (pass + 1) * parts).flat();
          expect([...rows].sort((a, b) => a - b)).toEqual(Array.from({ length: size }, (_, i) => i));
        }
        expect(planUpdates(size, reuse, minis, seed)).toEqual(plan);
      }),
    );
  });
});

describe('micro-batch shares', () => {
  it('sum to 1 over any partition of a mini-batch, for every aggregation but the fixed-norm one', () => {
    const batch = batchOf([0, 1, 0, 1, 1, 0], 3);
    const mini = [0, 1, 2, 3, 4, 5];
    for (const mode of ['token-mean', 'seq-mean-token-sum', 'seq-mean-token-mean'] as const) {
      expect(microBatchShare(mode, batch.mask, [0, 2, 5], mini) + microBatchShare(mode, batch.mask, [1, 3, 4], mini)).toBeCloseTo(1, 12);
    }
    expect(microBatchShare('seq-mean-token-sum-norm', batch.mask, [0, 2], mini)).toBe(1);
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

describe('updates', () => {
  it('skip a mini-batch whose loss or gradient is not finite, count it, and keep the others', () => {
    const cfg = config('grpo', ['kl.coef=0']);
    const batch = unwrap(unwrap(shapeBatch(cfg))(batchOf([1.5, 0.5, 1.5, 0.5], 2)));
    let call = 0;
    const trainer = {
      step: (): E.Either<StageError, StepResult> =>
        call++ === 0
          ? E.left(new StageError('policy.step', 'gradNorm', null, 'not-finite', 'is NaN'))
          : E.right({ step: call, loss: 0.5, gradNorm: 2, clipScale: 1, learningRate: 1e-3, microBatches: 1, tokens: 10 }),
    };
    const outcome = runUpdates({
      config: cfg,
      trainer,
      batch,
      sequences: Array.from({ length: 4 }, () => ({ image: new Float32Array(3), promptTokens: [1], responseTokens: [2] })),
      refLogp: undefined,
      plan: { miniBatches: [[0, 1], [2, 3], [0, 1, 2, 3]] },
      maskSeed: 0,
    });
    expect(outcome.updates).toBe(2);
    expect(outcome.skipped.map((e) => e.field)).toEqual(['gradNorm']);
    expect(outcome.gradNorm).toBe(2);
    for (const value of Object.values(outcome.metrics)) expect(Number.isFinite(value)).toBe(true);
  });
});
