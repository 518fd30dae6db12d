/**
 * The packing bench (bench-packing.ts) on the tiny model: its batch follows the stated rules and
 * is the same for a seed; a run reports both sides for each mini-batch count, the packed side
 * computing fewer tokens with the same tokens each pass, and writes its JSON.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '@rlflow/core';
import { onnxEngineFactory } from '@rlflow/onnx';
import { initBackend, tinyPolicyConfig } from '@rlflow/policy';
import { packingBatch, runPackingBench } from './bench-packing.js';

const model = { ...tinyPolicyConfig, maxPromptTokens: 36, maxResponseTokens: 32 };

beforeAll(async () => {
  await initBackend('cpu');
});

describe('the packing bench', () => {
  it('builds 16 prompts × 8 rows of 36 prompt tokens, responses of 32 tokens or 4–20, the same for a seed', () => {
    const batch = packingBatch(model, 3);
    expect(batch).toHaveLength(128);
    for (const row of batch) {
      expect(row.promptTokens).toHaveLength(36);
      const n = row.responseTokens.length;
      expect(n === 32 || (n >= 4 && n <= 20)).toBe(true);
    }
    expect(new Set(batch.map((row) => row.image)).size).toBe(16);
    expect(packingBatch(model, 3)).toEqual(batch);
  });

  it('times both sides per mini-batch count, the packed one computing fewer tokens', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-bench-packing-'));
    try {
      const json = join(dir, 'packing.json');
      const cases = await runPackingBench({
        engine: async (packResponses, config) => unwrap(await onnxEngineFactory({ threads: 1, packResponses })({ init: { kind: 'seed', seed: 0 }, model: config, reference: false, tokenBudget: 8192, device: 'cpu' })),
        models: [['tiny', model]],
        repeats: 1,
        json,
        log: () => undefined,
      });
      expect(cases.map((c) => [c.model, c.miniBatches])).toEqual([
        ['tiny', 4],
        ['tiny', 1],
      ]);
      for (const c of cases) {
        expect(c.packed.tokens).toBeLessThan(c.padded.tokens);
        expect(c.padded.seconds.median).toBeGreaterThan(0);
      }
      expect(JSON.parse(await readFile(json, 'utf8'))).toEqual({ repeats: 1, cases: JSON.parse(JSON.stringify(cases)) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
