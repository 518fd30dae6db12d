/**
 * Through a proxy that injects 500/503, 429 with Retry-After, 408, 410, stalls and dropped
 * connections (before and after the server applied a request), and through a server killed and
 * restarted mid-run, a run through rlflow serve ends as the uninterrupted in-process run does,
 * and the server's own counts show no request applied twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { compareMetricsFiles } from '../metrics/index.js';
import { runTraining } from '../pipeline/run.js';
import { tinyInitCheckpoint, tinyRunConfig } from '../pipeline/testing/tiny-run.js';
import { FAULTS, FaultProxy } from './testing/fault-proxy.js';
import type { ServeStats } from './server.js';
import { engineDependent, finalWeights, remoteConfig, sameWeights, startServer } from './testing/remote-run.js';

const sink = { write: () => true, isTTY: false };
const quiet = { log: () => undefined, progressStream: sink, handleSignals: false } as const;

let init: string;
let local: string;
const dirs: string[] = [];
const tempDir = async (prefix: string): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
const config = () => tinyRunConfig('acpo', init, ['steps=3', 'optimizer.microBatchTokens=4096']);

beforeAll(async () => {
  init = await tinyInitCheckpoint();
  dirs.push(init);
  local = join(await tempDir('rlflow-faults-'), 'run');
  await runTraining({ config: config(), dir: local, resume: false, ...quiet });
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const expectSameRun = async (remote: string, stateDir: string, localStateDir: string): Promise<void> => {
  const same = await compareMetricsFiles(local, remote, engineDependent);
  expect(E.isRight(same) ? same.right : same.left).toEqual([]);
  expect(sameWeights(await finalWeights(local, localStateDir), await finalWeights(remote, stateDir))).toEqual([]);
};

describe('faults between the engine and rlflow serve', () => {
  it('a run through a fault-injecting proxy completes as the in-process run, nothing applied twice', async () => {
    const stateDir = await tempDir('rlflow-serve-');
    const { server, port } = await startServer(init, stateDir);
    const proxy = new FaultProxy({ target: `http://127.0.0.1:${port}`, seed: 7, rate: 0.2, maxFaults: 40, stallMs: 1_500, retryAfterSeconds: 0.05 });
    const proxyPort = await proxy.listen();
    try {
      const remote = join(await tempDir('rlflow-faults-'), 'run');
      const result = await runTraining({ config: remoteConfig(config(), `http://127.0.0.1:${proxyPort}`, 1_000), dir: remote, resume: false, ...quiet });
      expect(result.reason).toBe('completed');
      await expectSameRun(remote, stateDir, stateDir);
      const stats = server.snapshot();
      expect(stats.reapplied).toBe(0);
      // Retried requests the server had already taken were recognised, not applied again.
      expect(stats.duplicates).toBeGreaterThan(0);
      expect([...proxy.injected.keys()].sort()).toEqual([...FAULTS].sort());
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  // dapo with 2 mini-batches: a whole on-policy batch's ppo loss −Σ ω·A is ≈ 0 (centred advantages), which no rescaling changes; half a batch's is not.
  it.each([
    ['cross_entropy', 'acpo', [], /normalises the loss/],
    ['built-in ppo', 'dapo', ['curriculum.miniBatches=2'], /does not compute the loss as the built-in loss is defined/],
  ] as const)('a server that normalises the %s loss per sequence is detected from the loss it reports, and the run refused before any optimizer step', async (_loss, preset, sets, refusal) => {
    const stateDir = await tempDir('rlflow-serve-');
    const { server, port } = await startServer(init, stateDir);
    // A stand-in for SkyRL's JAX backend: the loss it reports is divided by the sequence's weight sum.
    const rewrite = (_route: string, body: unknown): unknown => {
      const reply = body as { metrics?: Record<string, number>; loss_fn_outputs?: unknown };
      const loss = reply.metrics?.['loss:sum'];
      return loss === undefined || reply.loss_fn_outputs === undefined ? body : { ...reply, metrics: { ...reply.metrics, 'loss:sum': loss / 3 } };
    };
    const proxy = new FaultProxy({ target: `http://127.0.0.1:${port}`, seed: 1, rate: 0, maxFaults: 0, stallMs: 0, retryAfterSeconds: 0, rewrite });
    const proxyPort = await proxy.listen();
    try {
      const remote = join(await tempDir('rlflow-faults-'), 'run');
      const run = tinyRunConfig(preset, init, ['steps=3', 'optimizer.microBatchTokens=4096', ...sets]);
      await expect(runTraining({ config: remoteConfig(run, `http://127.0.0.1:${proxyPort}`), dir: remote, resume: false, ...quiet })).rejects.toThrow(refusal);
      expect(server.snapshot().applied['optim_step'] ?? 0).toBe(0);
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it('a server killed mid-run and restarted: the run fails, resumes from its last checkpoint and ends as the uninterrupted run', async () => {
    const stateDir = await tempDir('rlflow-serve-');
    let killed = false;
    let restarted: Promise<void> = Promise.resolve();
    // The kill happens at an exact point of the run: at the first sampling request the server
    // applies after the run's first checkpoint (save_weights), so the run has work after it.
    let samplesAtCheckpoint: number | undefined;
    const killAfter = (stats: ServeStats): void => {
      if (killed || (stats.applied['save_weights'] ?? 0) < 1) return;
      const samples = stats.applied['asample'] ?? 0;
      samplesAtCheckpoint ??= samples;
      if (samples <= samplesAtCheckpoint) return;
      killed = true;
      restarted = (async () => {
        await server.close();
        ({ server } = await startServer(init, stateDir, port));
      })();
    };
    const started = await startServer(init, stateDir, 0, killAfter);
    const port = started.port;
    let server = started.server;
    const remote = join(await tempDir('rlflow-faults-'), 'run');
    const remoteCfg = remoteConfig(config(), `http://127.0.0.1:${port}`, 1_000);
    try {
      await expect(runTraining({ config: remoteCfg, dir: remote, resume: false, ...quiet })).rejects.toThrow(/no model|no sampling session/);
      expect(killed).toBe(true);
      await restarted;
      const resumed = await runTraining({ config: remoteCfg, dir: remote, resume: true, ...quiet });
      expect(resumed).toMatchObject({ stepsDone: 3, reason: 'completed' });
      await expectSameRun(remote, stateDir, stateDir);
      expect(server.snapshot().reapplied).toBe(0);
    } finally {
      await restarted;
      await server.close();
    }
  });
});
