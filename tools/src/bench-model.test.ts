/**
 * The engine bench on a tiny model and a small matmul (sizes are parameters): every figure is
 * finite and positive, cached and uncached decoding agree, no tensor is left behind, and the
 * JSON file holds the same figures as the returned result.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyPolicyConfig } from '@rlflow/policy';
import { runModelBench } from './bench-model.js';

describe('model bench', () => {
  it('measures generation, a training step and a matmul in one run and writes the figures', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-bench-model-'));
    const lines: string[] = [];
    try {
      const json = join(dir, 'model.json');
      const result = await runModelBench({
        backend: 'cpu',
        policyConfig: tinyPolicyConfig,
        prompts: 2,
        groupSize: 2,
        newTokens: 4,
        trainSteps: 1,
        matmulSize: 64,
        json,
        log: (line) => lines.push(line),
      });
      expect(result.backend).toBe('cpu');
      expect(result.rows).toBe(4);
      expect(result.generation.sameTokens).toBe(true);
      const figures = [
        result.generation.cachedTokensPerSecond,
        result.generation.uncachedTokensPerSecond,
        result.training.tokensPerSecond,
        result.training.gflops,
        result.matmulGflops,
        ...result.matmulGflopsBeforeAfter,
        result.peakRssMb,
      ];
      for (const figure of figures) expect(Number.isFinite(figure) && figure > 0).toBe(true);
      expect(result.trainingToMatmul).toBeCloseTo(result.training.gflops / result.matmulGflops, 12);
      expect(result.tensors.after).toBe(result.tensors.before);
      expect(lines.join('\n')).toMatch(/tokens\/s with the KV cache/);
      expect(lines.join('\n')).toMatch(/training step: forward \+ forward-backward \+ AdamW/);
      expect(lines.join('\n')).toMatch(/64³ matmul/);
      expect(JSON.parse(await readFile(json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(result)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
