/**
 * A short run in process and the same run through `--engine tinker` against rlflow serve end with
 * the same metrics rows (timings aside) and the same final weights (docs/remote.md, "Verified here").
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { geometry, EOS_ID, readPolicyWeights } from '@rlflow/policy';
import type { TrainConfig } from '../config/index.js';
import { loadEngineFactory } from '../engines.js';
import { compareMetricsFiles, isRunDependentKey } from '../metrics/index.js';
import { runTraining } from '../pipeline/run.js';
import { testPolicyConfig, tinyInitCheckpoint, tinyRunConfig } from '../pipeline/testing/tiny-run.js';
import { listCheckpoints, runPaths } from '../run/index.js';
import { TinkerServer } from './server.js';

const sink = { write: () => true, isTTY: false };
const quiet = { log: () => undefined, progressStream: sink, handleSignals: false } as const;

let init: string;
const dirs: string[] = [];
const tempDir = async (prefix: string): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

export const startServer = async (initDir: string, stateDir: string, port = 0): Promise<{ server: TinkerServer; port: number }> => {
  const server = new TinkerServer({
    factory: await loadEngineFactory('tfjs'),
    init: { kind: 'weights', dir: initDir },
    model: undefined,
    baseModel: 'rlflow/test-tiny',
    tokenBudget: 4096,
    device: 'cpu',
    stateDir,
    eosTokenId: EOS_ID,
    imageTokens: geometry(testPolicyConfig).imageTokens,
    longPollMs: 300,
    gapWaitMs: 500,
  });
  return { server, port: await server.listen(port, '127.0.0.1') };
};

export const remoteConfig = (config: TrainConfig, url: string): TrainConfig => ({
  ...config,
  engine: 'tinker',
  remote: { ...config.remote, url, baseModel: null, pollTimeoutMs: 5_000, retryBaseDelayMs: 20, deadlineMs: 60_000 },
});

const finalWeights = async (runDir: string, stateDir: string): Promise<Map<string, Float32Array>> => {
  const last = (await listCheckpoints(runDir)).at(-1)!;
  let dir = join(last.path, 'policy');
  try {
    const state = JSON.parse(await readFile(join(last.path, 'manifest.json'), 'utf8')) as { path: string };
    dir = join(stateDir, 'weights', state.path.replace('tinker://rlflow/', ''), 'policy');
  } catch {
    // an in-process checkpoint: its own policy/
  }
  const read = await readPolicyWeights(dir);
  if (E.isLeft(read)) throw read.left;
  return read.right.weights;
};

/**
 * Columns that describe the engine rather than the run: the remote engine has no entropies
 * (capability entropy false: actor/entropy is 0) and holds no local tensors (memory/num_tensors 0).
 */
export const engineDependent = (key: string): boolean => isRunDependentKey(key) || key === 'actor/entropy' || key === 'memory/num_tensors';

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
      const [a, b] = [await finalWeights(local, stateDir), await finalWeights(remote, stateDir)];
      expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
      for (const [name, values] of a) expect(Buffer.compare(Buffer.from(values.buffer), Buffer.from(b.get(name)!.buffer)), name).toBe(0);
      expect(server.snapshot().reapplied).toBe(0);
      expect(runPaths(remote).metricsJsonl).toContain('run');
    } finally {
      await server.close();
    }
  });
});
