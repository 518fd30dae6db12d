/**
 * The RL-step bench on a tiny model and workload (cpu backend): every figure is finite and
 * positive, each row gets exactly the new tokens asked for, the engine's resources stay flat,
 * no tensor is left behind, and the JSON file holds the returned figures. The anchor bench says
 * so, and measures nothing, when no Python with PyTorch is found.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTfjsEngine, tinyPolicyConfig } from '@rlflow/policy';
import { runRlStepBench, tfjsMeasures } from './bench-rl-step.js';
import { runAnchorBench } from './bench-anchor.js';

const savedPython = process.env['RLFLOW_PYTHON'];
afterEach(() => {
  if (savedPython === undefined) delete process.env['RLFLOW_PYTHON'];
  else process.env['RLFLOW_PYTHON'] = savedPython;
});

describe('rl-step bench', () => {
  it('runs rollout + PPO step through the contract and writes the figures', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-bench-rl-'));
    const lines: string[] = [];
    try {
      const json = join(dir, 'rl.json');
      const workload = { prompts: 2, groupSize: 3, promptTokens: 5, newTokens: 4 };
      const result = await runRlStepBench({
        engineName: 'tfjs',
        factory: createTfjsEngine,
        policyConfig: tinyPolicyConfig,
        workload,
        repeats: 2,
        ...(await tfjsMeasures('cpu', (line) => lines.push(line))),
        matmulGflops: () => Promise.resolve(1),
        json,
        log: (line) => lines.push(line),
      });
      expect(result.rows).toBe(6);
      expect(result.generatedTokens).toBe(6 * 4);
      expect(result.tokensInBatch).toBe(6 * (16 + 5 + 4));
      // Each prompt's image and prompt once (shared prefixes), every response.
      expect(result.tokensComputed).toBe(2 * (16 + 5) + 6 * 4);
      for (const figure of [result.rlStepSeconds, result.generationTokensPerSecond, result.trainTokensPerSecond, result.trainGflops, result.trainShareOfMatmulPeak, result.peakRssMb]) {
        expect(Number.isFinite(figure) && figure > 0).toBe(true);
      }
      expect(result.rlStepSecondsRange.min).toBeLessThanOrEqual(result.rlStepSeconds);
      expect(result.engineResources.after).toBe(result.engineResources.before);
      expect(result.tensors.after).toBe(result.tensors.before);
      expect(lines.join('\n')).toMatch(/RL step .* generation .* train step/);
      expect(JSON.parse(await readFile(json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(result)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('anchor: says that no Python with PyTorch was found and measures nothing', async () => {
    process.env['RLFLOW_PYTHON'] = join(tmpdir(), 'no-such-python-for-rlflow');
    const lines: string[] = [];
    expect(await runAnchorBench({ runs: 1, log: (line) => lines.push(line) })).toBeUndefined();
    expect(lines.join('\n')).toMatch(/no Python with PyTorch found/);
  });
});
