import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { tinyPolicyConfig } from '@rlflow/policy';
import { runCustomPipeline } from './custom-pipeline.js';

describe('the custom pipeline of docs/custom-pipeline.md', () => {
  it('runs its steps, threads the curriculum, widens the upper clip bound, updates through the engine and frees its tensors', async () => {
    const options = { policyConfig: { ...tinyPolicyConfig, maxPromptTokens: 48, maxResponseTokens: 8 }, steps: 3, seed: 5 };
    const rows = await runCustomPipeline(options);
    const after = tf.memory().numTensors;
    expect(rows.map((r) => r.step)).toEqual([0, 1, 2]);
    for (const row of rows) {
      expect(row.reuse).toBe(2);
      expect(Number.isFinite(row.loss)).toBe(true);
      if (row.keptGroups > 0) {
        expect(row.meanClipHigh).toBeGreaterThanOrEqual(0.28);
        expect(row.updates).toBe(2);
      }
    }
    expect(await runCustomPipeline(options)).toEqual(rows);
    expect(tf.memory().numTensors).toBe(after);
  });
});
