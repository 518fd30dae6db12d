/**
 * The demo (`npm start` = `rlflow demo`): builds or reuses the SFT warm start, evaluates it on
 * the held-out suite, trains the `acpo` preset from it for a few minutes, evaluates again, and
 * writes `runs/demo/report.md` with the before/after accuracy (overall, per level and family),
 * the run's time and an SVG plot of reward and held-out accuracy over steps.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap, writeFileAtomic } from '@rlflow/core';
import { bandPoints, curvePlotSpec, loadRun, renderSvg, type SuiteEvaluation } from '@rlflow/eval';
import { initBackend } from '@rlflow/policy';
import { resolveConfig, type TrainConfig } from '../config/index.js';
import { evaluateHeldOut } from '../pipeline/evaluate.js';
import { runTraining, type RunResult } from '../pipeline/run.js';
import { ensureSftCheckpoint, loadSftPolicy } from '../sft/index.js';

export interface DemoOptions {
  readonly out: string;
  readonly steps: number;
  readonly seed: number;
  readonly backend: string;
  readonly log: (line: string) => void;
}

/**
 * The `acpo` preset at the demo's size: 16 prompts × G = 8 per step on the warm start's levels
 * (1–3), learning rate 1e-4, held-out evaluation on 1,000 problems (40 per family and level)
 * every 10 steps.
 */
export const demoConfig = (options: Pick<DemoOptions, 'steps' | 'seed' | 'backend'>): E.Either<Error, TrainConfig> =>
  resolveConfig({
    preset: 'acpo',
    sets: [
      `steps=${options.steps}`,
      `seed=${options.seed}`,
      `backend=${options.backend}`,
      'init=sft',
      'optimizer.lr=0.0001',
      'rollout.promptsPerStep=16',
      'rollout.levels=[1, 2, 3]',
      'eval.every=10',
      'eval.problemsPerCell=40',
    ],
  });

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

const comparisonTable = (before: SuiteEvaluation, after: SuiteEvaluation): string => {
  const lines = ['| held-out slice | problems | SFT warm start | after ACPO | change |', '| --- | ---: | ---: | ---: | ---: |'];
  const row = (name: string, count: number, a: number, b: number): void => {
    lines.push(`| ${name} | ${count} | ${pct(a)} | ${pct(b)} | ${b >= a ? '+' : ''}${(100 * (b - a)).toFixed(1)} pt |`);
  };
  row('**all**', before.overall.count, before.overall.accuracy, after.overall.accuracy);
  before.byLevel.forEach((l, i) => row(`level ${l.level}`, l.count, l.accuracy, after.byLevel[i]!.accuracy));
  before.byFamily.forEach((f, i) => row(f.family, f.count, f.accuracy, after.byFamily[i]!.accuracy));
  return lines.join('\n');
};

export interface DemoResult {
  readonly before: SuiteEvaluation;
  readonly after: SuiteEvaluation;
  readonly run: RunResult;
  readonly seconds: number;
  readonly reportPath: string;
}

export const runDemo = async (options: DemoOptions): Promise<DemoResult> => {
  const began = performance.now();
  const resolved = demoConfig(options);
  if (E.isLeft(resolved)) throw resolved.left;
  const config = resolved.right;
  const { log } = options;
  await initBackend(config.backend);
  const sft = await ensureSftCheckpoint({ log, progress: process.stderr });
  if (E.isLeft(sft)) throw sft.left;
  log(`warm start: ${sft.right.checkpointDir} (${sft.right.trained ? 'trained now' : 'cached'})`);
  const warm = await loadSftPolicy(sft.right);
  if (E.isLeft(warm)) throw warm.left;
  const before = unwrap(evaluateHeldOut(config, warm.right));
  warm.right.dispose();
  log(`held-out accuracy of the warm start: ${pct(before.overall.accuracy)} (${before.overall.count} problems)`);

  const runDir = join(options.out, 'run');
  await rm(runDir, { recursive: true, force: true });
  const run = await runTraining({ config, dir: runDir, resume: false, log });
  const data = await loadRun(runDir);
  if (E.isLeft(data)) throw data.left;
  const after = run.finalEvaluation;
  if (after === undefined) throw new Error(`the run in ${runDir} stopped (${run.reason}) before its final evaluation`);

  const plots = [
    { file: 'reward.svg', key: 'reward/mean', title: 'ACPO: mean reward of the rollouts', y: 'reward (accuracy + 0.5·format)' },
    { file: 'accuracy.svg', key: 'reward/accuracy', title: 'ACPO: accuracy of the rollouts (all sampled groups)', y: 'accuracy' },
    { file: 'held-out.svg', key: 'eval/accuracy', title: 'ACPO: held-out accuracy (greedy, 1,000 test problems)', y: 'accuracy' },
  ];
  // The held-out curve starts from the warm start's evaluation, at step 0.
  const warmStart = { algorithm: data.right.algorithm, step: 0, mean: before.overall.accuracy, lower: before.overall.accuracy, upper: before.overall.accuracy, seeds: 1 };
  for (const plot of plots) {
    const points = bandPoints([data.right], plot.key);
    const svg = await renderSvg(curvePlotSpec(plot.title, plot.y, plot.key === 'eval/accuracy' ? [warmStart, ...points] : points));
    await writeFileAtomic(join(options.out, plot.file), svg);
  }
  const seconds = (performance.now() - began) / 1000;
  const reportPath = join(options.out, 'report.md');
  const report = [
    '# rlflow demo: ACPO from an SFT warm start',
    '',
    `Backend ${run.backend}; ${config.steps} RL steps of ${config.rollout.promptsPerStep} prompts × G = ${config.rollout.groupSize}; seed ${config.seed}.`,
    `Total time ${seconds.toFixed(0)} s (RL training ${run.seconds.toFixed(0)} s); warm start ${sft.right.trained ? 'trained in this run' : `reused from ${sft.right.dir}`}.`,
    '',
    `Held-out accuracy (greedy decoding, test split, ${config.eval.problemsPerCell} problems per family and level):`,
    '',
    comparisonTable(before, after),
    '',
    '![reward over steps](reward.svg)',
    '',
    '![rollout accuracy over steps](accuracy.svg)',
    '',
    '![held-out accuracy over steps](held-out.svg)',
    '',
    `Run directory: \`${runDir}\` (metrics.jsonl, metrics.csv, config.json, checkpoints/).`,
    '',
  ].join('\n');
  await writeFileAtomic(reportPath, report);
  return { before, after, run, seconds, reportPath };
};
