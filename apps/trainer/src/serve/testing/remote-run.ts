/** Test support: rlflow serve over the tiny test model, a run config that trains through it, and what to compare. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { EOS_ID, geometry, readPolicyWeights } from '@rlflow/policy';
import type { TrainConfig } from '../../config/index.js';
import { loadEngineFactory } from '../../engines.js';
import { isRunDependentKey } from '../../metrics/index.js';
import { testPolicyConfig } from '../../pipeline/testing/tiny-run.js';
import { listCheckpoints } from '../../run/index.js';
import { TinkerServer, type ServeStats } from '../server.js';

export const TEST_BASE_MODEL = 'rlflow/test-tiny';

export const startServer = async (initDir: string, stateDir: string, port = 0, onApplied?: (stats: ServeStats) => void): Promise<{ server: TinkerServer; port: number }> => {
  const server = new TinkerServer({
    factory: await loadEngineFactory('tfjs'),
    init: { kind: 'weights', dir: initDir },
    model: undefined,
    baseModel: TEST_BASE_MODEL,
    tokenBudget: 4096,
    device: 'cpu',
    stateDir,
    eosTokenId: EOS_ID,
    imageTokens: geometry(testPolicyConfig).imageTokens,
    longPollMs: 300,
    gapWaitMs: 500,
    ...(onApplied === undefined ? {} : { onApplied }),
  });
  return { server, port: await server.listen(port, '127.0.0.1') };
};

/** `config` through `--engine tinker --engine-url url`, with timeouts short enough for a test. */
export const remoteConfig = (config: TrainConfig, url: string, timeoutMs = 3_000): TrainConfig => ({
  ...config,
  engine: 'tinker',
  remote: { ...config.remote, url, baseModel: null, pollTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs, retryBaseDelayMs: 20, deadlineMs: 60_000 },
});

/**
 * Columns that describe the engine rather than the run: the remote engine has no entropies
 * (capability entropy false: actor/entropy is 0) and holds no local tensors (memory/num_tensors 0).
 */
export const engineDependent = (key: string): boolean => isRunDependentKey(key) || key === 'actor/entropy' || key === 'memory/num_tensors';

/** The policy weights of a run's last checkpoint: its own policy/, or the server's copy its manifest points to. */
export const finalWeights = async (runDir: string, stateDir: string): Promise<Map<string, Float32Array>> => {
  const last = (await listCheckpoints(runDir)).at(-1)!;
  const manifest = JSON.parse(await readFile(join(last.path, 'manifest.json'), 'utf8')) as { engine?: string; path?: string };
  const dir = manifest.engine === 'tinker' ? join(stateDir, 'weights', manifest.path!.replace('tinker://rlflow/', ''), 'policy') : join(last.path, 'policy');
  const read = await readPolicyWeights(dir);
  if (E.isLeft(read)) throw read.left;
  return read.right.weights;
};

export const sameWeights = (a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>): string[] =>
  [...new Set([...a.keys(), ...b.keys()])].filter((name) => {
    const [x, y] = [a.get(name), b.get(name)];
    return x === undefined || y === undefined || Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) !== 0;
  });

/** Tensors of `a` and `b` with an element further apart than `tolerance`·max(1, |x|), with the largest difference. */
export const weightsWithin = (a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>, tolerance: number): string[] =>
  [...new Set([...a.keys(), ...b.keys()])].flatMap((name) => {
    const [x, y] = [a.get(name), b.get(name)];
    if (x === undefined || y === undefined || x.length !== y.length) return [`${name}: missing or of another size`];
    let worst = 0;
    let over = false;
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(x[i]! - y[i]!);
      worst = Math.max(worst, d);
      if (d > tolerance * Math.max(1, Math.abs(x[i]!))) over = true;
    }
    return over ? [`${name}: differs by up to ${worst}`] : [];
  });

/** The largest element difference over all tensors of `a` and `b` (same names and sizes). */
export const largestWeightDifference = (a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>): number => {
  let worst = 0;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  }
  return worst;
};
