/**
 * `rlflow study`: the grid's plan, the figures and paired comparisons (pure, on made-up metrics),
 * and a small grid with a tiny model run end to end — uninterrupted in this process, and as a
 * child process killed with SIGKILL mid-study and run again, which skips the finished runs and
 * ends with the same study.json.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsRow, RunData } from '@rlflow/eval';
import { compareMetricsFiles } from '../metrics/index.js';
import { tinyInitCheckpoint, tinyRunSets } from '../pipeline/testing/tiny-run.js';
import { runPaths } from '../run/index.js';
import { decodeStudyJson, type StudyJson } from './codec.js';
import { planStudy } from './plan.js';
import { runStudy } from './run.js';
import { pairedComparison, runFigures, summarizeStudy, STUDY_CLAIMS, type StudyRun } from './summary.js';

const run = (rows: readonly MetricsRow[]): RunData => ({ dir: 'r', algorithm: 'a', seed: 0, preset: null, rows, notes: [] });

const rowsOf = (rewards: readonly number[], extra: (i: number) => Record<string, number> = () => ({})): MetricsRow[] =>
  rewards.map((reward, i) => ({ step: i + 1, 'reward/mean': reward, 'reward/accuracy': reward / 2, ...extra(i) }));

describe('planStudy', () => {
  it('lays out presets × seeds 0…N−1, seed by seed, with each run’s resolved config', () => {
    const plan = planStudy({ presets: ['grpo', 'acpo'], seeds: 2, steps: 3, sets: ['rollout.groupSize=4'], out: '/s' });
    if (E.isLeft(plan)) throw plan.left;
    expect(plan.right.cells.map((c) => [c.name, c.dir, c.config.seed, c.config.steps, c.config.rollout.groupSize, c.config.preset])).toEqual([
      ['runs/grpo-seed0', '/s/runs/grpo-seed0', 0, 3, 4, 'grpo'],
      ['runs/acpo-seed0', '/s/runs/acpo-seed0', 0, 3, 4, 'acpo'],
      ['runs/grpo-seed1', '/s/runs/grpo-seed1', 1, 3, 4, 'grpo'],
      ['runs/acpo-seed1', '/s/runs/acpo-seed1', 1, 3, 4, 'acpo'],
    ]);
    expect(plan.right.totalSteps).toBe(12);
  });

  it('rejects unknown or repeated presets, no seeds and a bad --set, naming each', () => {
    const problems = (o: Parameters<typeof planStudy>[0]) => {
      const plan = planStudy(o);
      return E.isLeft(plan) ? plan.left.problems : [];
    };
    expect(problems({ presets: ['grpo', 'nope', 'grpo'], seeds: 0, sets: [], out: '/s' })).toEqual([
      'presets: grpo listed more than once',
      expect.stringMatching(/^presets: unknown preset "nope"/),
      'seeds: expected an integer ≥ 1, found 0',
    ]);
    expect(problems({ presets: ['grpo'], seeds: 1, sets: ['clip.epsHigh=-1'], out: '/s' })).toEqual(['grpo: clip.epsHigh: expected a number in [0, 10], found -1']);
  });
});

describe('the figures of a run', () => {
  it('reads held-out accuracy at the last evaluation, entropy floor and the lengths of correct and wrong answers', () => {
    const rows = rowsOf([0.2, 0.4, 0.6, 0.8, 0.8], (i) => ({
      'actor/entropy': [1, 0.5, 0.25, 0.5, 0.75][i]!,
      'response_length/correct_mean': 10 + i,
      'response_length/wrong_mean': 20 - i,
      ...(i % 2 === 0 ? { 'eval/accuracy': i / 10, 'eval/sampled_accuracy': i / 20 } : {}),
    }));
    const f = runFigures(run(rows));
    expect(f.heldOutGreedy).toBe(0.4);
    expect(f.heldOutSampled).toBe(0.2);
    expect(f.finalReward).toBeCloseTo(0.8, 12);
    expect(f.stepsTo90).toBe(4);
    expect(f.stepsTo90Gain).toBe(4);
    expect(f.entropyFloor).toBe(0.25);
    expect(f.entropyMean).toBeCloseTo(0.6, 12);
    expect(f.lengthCorrect).toBe(12);
    expect(f.lengthWrong).toBe(18);
    expect(runFigures(run(rowsOf([0.5]))).heldOutSampled).toBeNull();
  });
});

const studyRun = (preset: string, seed: number, figures: Partial<StudyRun>): StudyRun => ({
  preset,
  seed,
  dir: `runs/${preset}-seed${seed}`,
  steps: 10,
  heldOutGreedy: null,
  heldOutSampled: null,
  finalReward: null,
  stepsTo90: null,
  stepsTo90Gain: null,
  auc: null,
  rewardVariance: null,
  entropyMean: null,
  entropyFinal: null,
  entropyFloor: null,
  lengthCorrect: null,
  lengthWrong: null,
  ...figures,
});

describe('paired comparisons', () => {
  const claim = STUDY_CLAIMS.find((c) => c.a === 'acpo' && c.b === 'dapo' && c.figure === 'stepsTo90')!;
  const boot = { seed: 0, resamples: 2000 };

  it('holds when A is lower than B on every seed, and is contradicted when higher', () => {
    const runs = [0, 1, 2, 3].flatMap((s) => [studyRun('acpo', s, { stepsTo90: 6 + s }), studyRun('dapo', s, { stepsTo90: 10 + s })]);
    const c = pairedComparison(claim, runs, boot);
    expect(c.seeds).toEqual([0, 1, 2, 3]);
    expect(c.difference).toEqual({ estimate: -4, ci95: [-4, -4] });
    expect(c.relative!.estimate).toBeCloseTo(30 / 46 - 1, 12);
    expect(c.verdict).toBe('holds');
    const swapped = runs.map((r) => ({ ...r, preset: r.preset === 'acpo' ? 'dapo' : 'acpo' }));
    expect(pairedComparison(claim, swapped, boot).verdict).toBe('contradicted');
  });

  it('pairs only seeds both have; the interval holds its estimate; swapping A and B negates the difference', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 50 }), fc.boolean()), { minLength: 1, maxLength: 6 }), (pairs) => {
        const runs = pairs.flatMap(([a, b, reached], s) => [studyRun('acpo', s, { stepsTo90: reached ? a : null }), studyRun('dapo', s, { stepsTo90: b })]);
        const c = pairedComparison(claim, runs, { seed: 1, resamples: 200 });
        expect(c.seeds).toEqual(pairs.flatMap(([, , reached], s) => (reached ? [s] : [])));
        if (c.difference === null) {
          expect(c.verdict).toBe('no data');
          return;
        }
        expect(c.difference.ci95[0]).toBeLessThanOrEqual(c.difference.estimate + 1e-9);
        expect(c.difference.ci95[1]).toBeGreaterThanOrEqual(c.difference.estimate - 1e-9);
        const back = pairedComparison({ ...claim, a: 'dapo', b: 'acpo' }, runs, { seed: 1, resamples: 200 });
        if (c.seeds.length === pairs.length) expect(back.difference!.estimate).toBeCloseTo(-c.difference.estimate, 9);
      }),
    );
  });

  it('summarizes per preset and lists only the comparisons whose presets the grid has', () => {
    const loaded = ['grpo', 'apo'].flatMap((preset, p) =>
      [0, 1].map((seed) => ({ preset, seed, dir: `runs/${preset}-seed${seed}`, data: run(rowsOf([0.1, 0.3, 0.5], () => ({ 'actor/entropy': 1 + p, 'response_length/wrong_mean': 20 - 5 * p - seed }))) })),
    );
    const study = summarizeStudy({ presets: ['grpo', 'apo'], seeds: [0, 1], steps: 3 }, loaded, { seed: 0, resamples: 500 });
    expect(study.comparisons.map((c) => [c.a, c.b, c.figure, c.verdict])).toEqual([
      ['apo', 'grpo', 'lengthWrong', 'holds'],
      ['apo', 'grpo', 'entropyFloor', 'holds'],
    ]);
    expect(study.summary.map((s) => [s.preset, s.figures.lengthWrong.mean, s.figures.lengthWrong.n])).toEqual([
      ['grpo', 19.5, 2],
      ['apo', 14.5, 2],
    ]);
    expect(E.isRight(decodeStudyJson('study')(JSON.parse(JSON.stringify(study))))).toBe(true);
  });
});

const bin = resolve(import.meta.dirname, '../../bin/rlflow.js');

const spawnRlflow = (args: readonly string[]) => {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>((ok) =>
    child.on('exit', (code, signal) => ok({ code, signal, stderr, stdout })),
  );
  return { done, kill: (signal: NodeJS.Signals) => child.kill(signal) };
};

const rowCount = async (dir: string): Promise<number> =>
  (await readFile(runPaths(dir).metricsJsonl, 'utf8').catch(() => '')).split('\n').filter((l) => l.endsWith('}')).length;

const readStudy = async (dir: string): Promise<StudyJson> => {
  const decoded = decodeStudyJson(join(dir, 'study.json'))(JSON.parse(await readFile(join(dir, 'study.json'), 'utf8')));
  if (E.isLeft(decoded)) throw decoded.left;
  return decoded.right;
};

describe('rlflow study on a small grid (tiny model)', () => {
  let work: string;
  let init: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'rlflow-study-'));
    init = await tinyInitCheckpoint();
  });
  afterAll(async () => {
    await Promise.all([work, init].filter((d) => d !== undefined).map((d) => rm(d, { recursive: true, force: true })));
  });

  const grid = () => ({ presets: ['grpo', 'acpo'], seeds: 2, steps: 2, sets: [...tinyRunSets(init), 'eval.samples=2'] });

  it('killed with SIGKILL mid-study and run again, skips the finished runs and ends with the study.json of an uninterrupted study', async () => {
    const whole = join(work, 'whole');
    const plan = planStudy({ ...grid(), out: whole });
    if (E.isLeft(plan)) throw plan.left;
    const lines: string[] = [];
    const first = await runStudy({ plan: plan.right, log: (l) => lines.push(l), progressStream: { write: () => true }, handleSignals: false });
    expect(first.exitCode).toBe(0);
    expect(first.skipped).toEqual([]);
    const study = await readStudy(whole);
    expect(study.runs.map((r) => [r.dir, r.steps])).toEqual(plan.right.cells.map((c) => [c.name, 2]));
    for (const r of study.runs) {
      expect(r.heldOutGreedy).toBeGreaterThanOrEqual(0);
      expect(r.heldOutSampled).toBeGreaterThanOrEqual(0);
    }
    expect(study.summary.map((s) => [s.preset, s.figures.finalReward.n])).toEqual([
      ['grpo', 2],
      ['acpo', 2],
    ]);
    expect(study.comparisons.map((c) => `${c.a}/${c.b}/${c.figure}`)).toEqual(['acpo/grpo/stepsTo90', 'acpo/grpo/stepsTo90Gain', 'acpo/grpo/rewardVariance']);
    for (const file of ['study.md', 'reward.svg', 'entropy.svg', 'length_wrong.svg']) expect((await readFile(join(whole, file), 'utf8')).length).toBeGreaterThan(0);

    const killed = join(work, 'killed');
    const args = ['study', '--presets', 'grpo,acpo', '--seeds', '2', '--steps', '2', ...tinyRunSets(init).flatMap((s) => ['--set', s]), '--set', 'eval.samples=2', '--out', killed];
    const child = spawnRlflow(args);
    let exited = false;
    void child.done.then(() => (exited = true));
    const second = join(killed, plan.right.cells[1]!.name);
    while ((await rowCount(second)) < 1) {
      if (exited) throw new Error(`the study ended before its second run wrote a row: ${(await child.done).stderr}`);
      await new Promise((ok) => setTimeout(ok, 50));
    }
    child.kill('SIGKILL');
    expect((await child.done).signal).toBe('SIGKILL');

    const again = await spawnRlflow(args).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('runs/grpo-seed0: finished before; skipped');
    expect(again.stderr).not.toContain(`${plan.right.cells[1]!.name}: finished before`);
    expect(again.stdout).toContain(`wrote ${join(killed, 'study.json')}`);
    expect(await readStudy(killed)).toEqual(study);
    for (const cell of plan.right.cells) {
      const diff = await compareMetricsFiles(cell.dir, join(killed, cell.name));
      expect(E.isRight(diff) ? diff.right : [diff.left.message]).toEqual([]);
    }
  }, 240_000);
});
