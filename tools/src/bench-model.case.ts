/**
 * Test support: the engine bench on a tiny model and a small matmul, checked the same way on
 * every backend — every figure finite and positive, cached and uncached decoding agree, no
 * tensor left behind, the JSON file holding the figures returned.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { tinyPolicyConfig, type BackendChoice } from '@rlflow/policy';
import { runModelBench, type ModelBenchResult } from './bench-model.js';

export const checkTinyModelBench = async (backend: BackendChoice): Promise<ModelBenchResult> => {
  const dir = await mkdtemp(join(tmpdir(), 'rlflow-bench-model-'));
  const lines: string[] = [];
  try {
    const json = join(dir, 'model.json');
    const result = await runModelBench({
      backend,
      policyConfig: tinyPolicyConfig,
      prompts: 2,
      groupSize: 2,
      newTokens: 4,
      trainSteps: 1,
      matmulSize: 64,
      json,
      log: (line) => lines.push(line),
    });
    expect(result.backend).toBe(backend);
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
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
