import * as tf from '@tensorflow/tfjs-core';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '@rlflow/core';
import { passesGate } from '@rlflow/curriculum';
import type { Engine } from '@rlflow/engine';
import { createTfjsEngine, tinyPolicyConfig, type PolicyConfig } from '@rlflow/policy';
import { FAMILIES, type Problem } from '../suite/problem.js';
import { problemSource } from '../suite/generate.js';
import { rolloutBatch } from './rollout-batch.js';
import type { BatchOptions } from './refill.js';

/** The tiny test model with the suite's prompt budget (48 characters) and a short response budget. */
const config: PolicyConfig = { ...tinyPolicyConfig, maxPromptTokens: 48, maxResponseTokens: 12 };
const sampling = { temperature: 1, topP: 1, topK: 0, maxNewTokens: 12 };

let engine: Engine;
beforeAll(async () => {
  engine = unwrap(await createTfjsEngine({ init: { kind: 'seed', seed: 3 }, model: config, reference: false, tokenBudget: 0, device: 'cpu' }));
});
afterAll(() => engine.dispose());

const options = (seed: number): BatchOptions<Problem> => ({
  engine,
  source: unwrap(problemSource({ families: FAMILIES, levels: [1, 2], split: 'train', seed: 4 })),
  groupSize: 4,
  promptsPerStep: 3,
  maxAttempts: 2,
  gate: () => true,
  sampling,
  seed,
});

describe('rolloutBatch with the TensorFlow.js engine and a tiny model', () => {
  it('samples scored groups whose behaviour log-probs the policy recomputes, leaking no tensor', async () => {
    const before = tf.memory().numTensors;
    const batch = await firstValueFrom(rolloutBatch(options(7)));
    expect(tf.memory().numTensors).toBe(before);
    expect(batch.counts).toEqual({ kept: 3, rejected: 0, attempts: 1, generatedGroups: 3 });
    for (const group of batch.groups) {
      expect(group.texts).toHaveLength(4);
      expect([group.oldLogp.rows, group.oldLogp.cols]).toEqual([4, 12]);
      group.lengths.forEach((length, j) => {
        expect(length).toBeGreaterThanOrEqual(1);
        expect(length).toBeLessThanOrEqual(12);
        expect(group.tokens[j]).toHaveLength(length);
        const maskRow = Array.from(group.mask.data.subarray(j * 12, (j + 1) * 12));
        expect(maskRow.reduce((a, x) => a + x, 0)).toBe(length);
      });
      expect(group.rewards.every((r) => Number.isFinite(r))).toBe(true);
      const recomputed = unwrap(
        await engine.forward({
          sequences: group.tokens.map((responseTokens) => ({ image: group.problem.image.data, promptTokens: group.promptTokens, responseTokens })),
          responseWidth: 12,
        }),
      );
      recomputed.logp.data.forEach((lp, k) => expect(lp).toBeCloseTo(group.oldLogp.data[k]!, 4));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives the same batch for the same seed and source', async () => {
    const a = await firstValueFrom(rolloutBatch(options(11)));
    const b = await firstValueFrom(rolloutBatch(options(11)));
    expect(b.groups.map((g) => g.texts)).toEqual(a.groups.map((g) => g.texts));
    expect(Array.from(b.groups[0]!.oldLogp.data)).toEqual(Array.from(a.groups[0]!.oldLogp.data));
  });

  it('refills with the curriculum gate until the attempts run out', async () => {
    const batch = await firstValueFrom(rolloutBatch({ ...options(1), gate: passesGate({ tau: 0.5 }), maxAttempts: 3 }));
    expect(batch.counts.attempts).toBeGreaterThanOrEqual(1);
    expect(batch.counts.attempts).toBeLessThanOrEqual(3);
    expect(batch.counts.kept + batch.counts.rejected).toBe(batch.counts.generatedGroups);
    expect(batch.seen).toHaveLength(batch.counts.generatedGroups);
    for (const group of batch.groups) expect(passesGate({ tau: 0.5 })(group.rewards)).toBe(true);
  });
});
