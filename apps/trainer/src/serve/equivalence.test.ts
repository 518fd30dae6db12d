/**
 * A short run in process and the same run through `--engine tinker` against rlflow serve end with
 * the same metrics rows (timings and engine diagnostics aside) and bit-identical final weights,
 * when every update takes the gradient-by-log-prob path (acpo: AAAC per-token bounds; grpo: a KL
 * term). A dapo run (clip-higher scalar bounds, no KL) takes the built-in ppo loss instead, and
 * ends within BUILTIN_TOLERANCE of the in-process run (see there).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { compareMetricsFiles } from '../metrics/index.js';
import { runTraining } from '../pipeline/run.js';
import { tinyInitCheckpoint, tinyRunConfig } from '../pipeline/testing/tiny-run.js';
import { engineDependent, finalWeights, largestWeightDifference, remoteConfig, sameWeights, startServer, weightsWithin } from './testing/remote-run.js';

const sink = { write: () => true, isTTY: false };
const quiet = { log: () => undefined, progressStream: sink, handleSignals: false } as const;

let init: string;
const dirs: string[] = [];
const tempDir = async (prefix: string): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  init = await tinyInitCheckpoint();
  dirs.push(init);
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('in process vs through rlflow serve', () => {
  it.each([
    ['acpo', []],
    ['grpo', ['kl.coef=0.05']],
  ] as const)('%s %s: the same metrics rows and the same final weights', async (preset, extra) => {
    const config = tinyRunConfig(preset, init, ['steps=2', 'optimizer.microBatchTokens=4096', ...extra]);
    const local = join(await tempDir('rlflow-eq-'), 'run');
    await runTraining({ config, dir: local, resume: false, ...quiet });

    const stateDir = await tempDir('rlflow-serve-');
    const { server, port } = await startServer(init, stateDir);
    try {
      const remote = join(await tempDir('rlflow-eq-'), 'run');
      const result = await runTraining({ config: remoteConfig(config, `http://127.0.0.1:${port}`), dir: remote, resume: false, ...quiet });
      expect(result.reason).toBe('completed');
      const same = await compareMetricsFiles(local, remote, engineDependent);
      expect(E.isRight(same) ? same.right : same.left).toEqual([]);
      expect(sameWeights(await finalWeights(local, stateDir), await finalWeights(remote, stateDir))).toEqual([]);
      const stats = server.snapshot();
      expect(stats.reapplied).toBe(0);
      expect(stats.applied['forward_backward']).toBeGreaterThan(0);
      // Neither objective is a built-in loss exactly: every update took the gradient path.
      expect(stats.losses['forward_backward:cross_entropy']).toBe(stats.applied['forward_backward']);
    } finally {
      await server.close();
    }
  });
});

/**
 * The built-in path is the same loss, not the same float operations: the per-token advantages
 * ω_t·A travel as float32 (relative rounding 6e-8), and the server forms −A'·r where the objective
 * forms ω·(−A·r) in float64 before the engine rounds to float32. The gradients differ by float32
 * roundings, which Adam carries into the weights and the next steps' log-probs. Values agree
 * within 1e-5·max(1, |x|) (so 1e-5 absolute for the metrics below 1): measured, 2 steps of the
 * tiny model leave 7.5e-9 on actor/pg_loss, 1.5e-8 on actor/ppo_kl and 1.2e-7 on the weights.
 */
const BUILTIN_TOLERANCE = 1e-5;

describe('built-in losses through rlflow serve', () => {
  it('dapo takes the built-in ppo loss (one forward_backward per mini-batch, no training forward) and ends as the in-process run', async () => {
    const config = tinyRunConfig('dapo', init, ['steps=2', 'optimizer.microBatchTokens=4096', 'curriculum.miniBatches=2']);
    const local = join(await tempDir('rlflow-eq-'), 'run');
    await runTraining({ config, dir: local, resume: false, ...quiet });

    /** The run through a fresh rlflow serve; the server's counts. */
    const throughServer = async (builtinLosses: boolean) => {
      const stateDir = await tempDir('rlflow-serve-');
      const { server, port } = await startServer(init, stateDir);
      try {
        const remote = join(await tempDir('rlflow-eq-'), 'run');
        const remoteRun = remoteConfig(config, `http://127.0.0.1:${port}`);
        const result = await runTraining({ config: { ...remoteRun, remote: { ...remoteRun.remote, builtinLosses } }, dir: remote, resume: false, ...quiet });
        expect(result.reason).toBe('completed');
        return { dir: remote, stateDir, stats: server.snapshot() };
      } finally {
        await server.close();
      }
    };
    const builtin = await throughServer(true);
    const gradient = await throughServer(false);
    expect(builtin.stats.reapplied).toBe(0);
    // 2 steps × 2 mini-batches: each update one built-in ppo call, and no forward for the second mini-batch of a step.
    expect(builtin.stats.losses['forward_backward:ppo']).toBe(4);
    expect(builtin.stats.losses['forward_backward:cross_entropy']).toBeUndefined();
    expect(gradient.stats.losses['forward_backward:cross_entropy']).toBe(4);
    expect(builtin.stats.losses['forward:cross_entropy']).toBe(gradient.stats.losses['forward:cross_entropy']! - 2);
    // The gradient path through the server is bit-identical to the in-process run; the built-in path is within the tolerance.
    expect(await compareMetricsFiles(local, gradient.dir, engineDependent)).toEqual(E.right([]));
    expect(sameWeights(await finalWeights(local, gradient.stateDir), await finalWeights(gradient.dir, gradient.stateDir))).toEqual([]);
    const exact = await compareMetricsFiles(local, builtin.dir, engineDependent);
    console.log(`dapo built-in ppo vs in process: metric values not bit-identical: ${E.isRight(exact) ? exact.right.join('; ') : exact.left.message}`);
    const same = await compareMetricsFiles(local, builtin.dir, engineDependent, BUILTIN_TOLERANCE);
    expect(E.isRight(same) ? same.right : same.left).toEqual([]);
    const [a, b] = [await finalWeights(local, builtin.stateDir), await finalWeights(builtin.dir, builtin.stateDir)];
    console.log(`dapo built-in ppo vs in process: largest final-weight difference ${largestWeightDifference(a, b)}`);
    expect(weightsWithin(a, b, BUILTIN_TOLERANCE)).toEqual([]);
  });
});
