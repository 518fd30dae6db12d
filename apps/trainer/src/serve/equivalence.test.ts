/**
 * A short run in process and the same run through `--engine tinker` against rlflow serve end with
 * the same metrics rows (timings and engine diagnostics aside) and bit-identical final weights.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { compareMetricsFiles } from '../metrics/index.js';
import { runTraining } from '../pipeline/run.js';
import { tinyInitCheckpoint, tinyRunConfig } from '../pipeline/testing/tiny-run.js';
import { engineDependent, finalWeights, remoteConfig, sameWeights, startServer } from './testing/remote-run.js';

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
    } finally {
      await server.close();
    }
  });
});
