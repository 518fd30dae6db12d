import { mkdtemp, readFile, rm, truncate, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { PRESET_NAMES } from '../config/index.js';
import { compareMetricsFiles, readMetricsJsonl } from '../metrics/index.js';
import { listCheckpoints, readEventLog, runPaths } from '../run/index.js';
import { runTraining } from './run.js';
import { latestTrainingCheckpoint } from './checkpoint.js';
import { promptPool } from './curriculum.js';
import { tinyInitCheckpoint, tinyRunConfig } from './testing/tiny-run.js';

const sink = { write: () => true, isTTY: false };
const quiet = { log: () => undefined, progressStream: sink, handleSignals: false } as const;

let init: string;
const dirs: string[] = [];
const runDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'rlflow-run-'));
  dirs.push(dir);
  return join(dir, 'run');
};

beforeAll(async () => {
  init = await tinyInitCheckpoint();
});
afterAll(async () => {
  await Promise.all([init, ...dirs].filter((d) => d !== undefined).map((d) => rm(d, { recursive: true, force: true })));
});

const rowsOf = async (dir: string) => {
  const rows = await readMetricsJsonl(runPaths(dir).metricsJsonl);
  if (E.isLeft(rows)) throw rows.left;
  return rows.right.items;
};

describe('every preset', () => {
  it.each(PRESET_NAMES.map((p) => [p]))('%s runs two steps, writes metrics, evaluations and checkpoints, and leaks no tensors', async (preset) => {
    const dir = await runDir();
    const result = await runTraining({ config: tinyRunConfig(preset, init), dir, resume: false, ...quiet });
    expect(result).toMatchObject({ stepsDone: 2, reason: 'completed', exitCode: 0 });
    const rows = await rowsOf(dir);
    expect(rows.map((r) => r.step)).toEqual([1, 2]);
    for (const row of rows) {
      for (const [key, value] of Object.entries(row)) if (typeof value === 'number') expect(Number.isFinite(value), `${key} = ${value}`).toBe(true);
      expect(row['eval/accuracy']).toBeGreaterThanOrEqual(0);
    }
    expect(rows[1]!['memory/num_tensors']).toBe(rows[0]!['memory/num_tensors']);
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([1, 2]);
  });
});

describe('held-out evaluation', () => {
  it('adds avg@k at the rollout temperature when eval.samples > 0, in the metrics and the event log', async () => {
    const dir = await runDir();
    await runTraining({ config: tinyRunConfig('acpo', init, ['steps=1', 'eval.samples=3']), dir, resume: false, ...quiet });
    const [row] = await rowsOf(dir);
    expect(row!['eval/sampled_accuracy']).toBeGreaterThanOrEqual(0);
    expect(row!['eval/sampled_accuracy']).toBeLessThanOrEqual(1);
    const events = await readEventLog(dir);
    expect(events.find((e) => e.type === 'eval')).toMatchObject({ step: 1, sampledAccuracy: row!['eval/sampled_accuracy'] });
  });
});

describe('exact resume', () => {
  it('a run cut after a checkpoint and resumed ends identical to an uninterrupted one', async () => {
    const config = tinyRunConfig('acpo', init, ['steps=3']);
    const whole = await runDir();
    await runTraining({ config, dir: whole, resume: false, ...quiet });

    const cut = await runDir();
    await runTraining({ config, dir: cut, resume: false, ...quiet });
    // What kill -9 during step 3 leaves: step 2's checkpoint, a torn metrics row, a half-written temporary checkpoint.
    await rm(join(runPaths(cut).checkpoints, 'step-000003'), { recursive: true });
    const jsonl = runPaths(cut).metricsJsonl;
    const text = await readFile(jsonl, 'utf8');
    const lines = text.split('\n');
    await truncate(jsonl, text.length - Math.floor(lines[2]!.length / 2) - 1);
    const resumed = await runTraining({ config, dir: cut, resume: true, ...quiet });
    expect(resumed.stepsDone).toBe(3);

    const same = await compareMetricsFiles(whole, cut);
    expect(E.isRight(same) ? same.right : same.left).toEqual([]);
    const weights = async (dir: string) => readFile(join(runPaths(dir).checkpoints, 'step-000003', 'policy', 'weights.bin'));
    expect(Buffer.compare(await weights(whole), await weights(cut))).toBe(0);
    const events = await readEventLog(cut);
    expect(events.filter((e) => e.type === 'run-start').map((e) => (e.type === 'run-start' ? e.resumed : null))).toEqual([false, true]);
  });

  it('refuses to start a fresh run in a directory that holds one', async () => {
    const dir = await runDir();
    const config = tinyRunConfig('grpo', init, ['steps=1']);
    await runTraining({ config, dir, resume: false, ...quiet });
    await expect(runTraining({ config, dir, resume: false, ...quiet })).rejects.toThrow(/not empty.*rlflow resume/);
    expect((await stat(runPaths(dir).config)).isFile()).toBe(true);
  });
});

describe('prompt sampling from the pass-rate history', () => {
  it('the acpo preset draws from a pool of distinct train problems, the same for the same seed', () => {
    const config = tinyRunConfig('acpo', init, ['curriculum.sampling.pool=12']);
    expect(config.curriculum.sampling).toEqual({ strategy: 'pass-rate', pool: 12, floor: 0.1 });
    const pooled = promptPool(config);
    if (E.isLeft(pooled)) throw pooled.left;
    const pool = pooled.right;
    expect(pool).not.toBeNull();
    expect(pool!.length).toBeGreaterThan(0);
    expect(pool!.length).toBeLessThanOrEqual(12);
    expect(new Set(pool!.map((p) => p.id)).size).toBe(pool!.length);
    expect(pool!.every((p) => p.split === 'train')).toBe(true);
    expect(promptPool(config)).toEqual(promptPool(config));
    expect(promptPool(tinyRunConfig('grpo', init))).toEqual(E.right(null));
  });

  it('over a small pool prompts recur, and a run cut after a checkpoint resumes bit for bit', async () => {
    const config = tinyRunConfig('acpo', init, ['steps=3', 'curriculum.sampling.pool=3', 'curriculum.gate=false', 'rollout.maxAttempts=1']);
    const whole = await runDir();
    await runTraining({ config, dir: whole, resume: false, ...quiet });
    const state = (await latestTrainingCheckpoint(whole))!.manifest.curriculum;
    expect(Math.max(...state.prompts.map(([, record]) => record.seen))).toBeGreaterThanOrEqual(2);

    const cut = await runDir();
    await runTraining({ config, dir: cut, resume: false, ...quiet });
    await rm(join(runPaths(cut).checkpoints, 'step-000003'), { recursive: true });
    await rm(join(runPaths(cut).checkpoints, 'step-000002'), { recursive: true });
    const resumed = await runTraining({ config, dir: cut, resume: true, ...quiet });
    expect(resumed.stepsDone).toBe(3);
    const same = await compareMetricsFiles(whole, cut);
    expect(E.isRight(same) ? same.right : same.left).toEqual([]);
    expect((await latestTrainingCheckpoint(cut))!.manifest.curriculum).toEqual(state);
    const weights = async (dir: string) => readFile(join(runPaths(dir).checkpoints, 'step-000003', 'policy', 'weights.bin'));
    expect(Buffer.compare(await weights(whole), await weights(cut))).toBe(0);
  });
});
