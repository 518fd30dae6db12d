/**
 * The demo (`npm start` = `rlflow demo`): builds or reuses the SFT warm start, evaluates it on
 * the held-out test split, trains the `acpo` preset from it with held-out evaluations during the
 * run, and writes `runs/demo/report.md` and `report.json` (every figure of the report, decoded
 * by `DemoReportCodec` before it is written): the before/after accuracy per slice with paired 95%
 * intervals, the held-out evaluations over steps, ACPO's mechanisms over steps (K(t), the clip
 * fraction, the mean AAAC upper bound, the groups the gate rejected) and SVG plots of each.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap, writeFileAtomic } from '@rlflow/core';
import { curvePlotSpec, loadRun, metricCurve, renderSvg, trailingMovingAverage, type BandPoint, type MetricsRow } from '@rlflow/eval';
import { resolveConfig, type TrainConfig } from '../config/index.js';
import { chooseEngine, type EngineChoice } from '../engines.js';
import { evaluateHeldOut, isSuiteEvaluation, type HeldOutEvaluation } from '../pipeline/evaluate.js';
import { latestTrainingCheckpoint } from '../pipeline/checkpoint.js';
import { runTraining, type RunResult } from '../pipeline/run.js';
import { demoSftConfig, ensureSftCheckpoint, type SftConfig } from '../sft/index.js';
export { DEMO_POLICY_CONFIG, DEMO_SFT_STEPS, demoSftConfig } from '../sft/index.js';
import { decodeDemoReport, evaluationsOf, heldOutChanges, heldOutSlices, mechanismsOf, problemScores, type DemoChange, type DemoReport, type HeldOutPair } from './report.js';

export interface DemoOptions {
  readonly out: string;
  readonly steps: number;
  readonly seed: number;
  readonly backend: string;
  /** The engine of the warm start, the run and the evaluations (default auto: onnx where it loads, else tfjs; chosen on validation, docs/presets.md). */
  readonly engine?: EngineChoice;
  readonly log: (line: string) => void;
  /** The warm start's configuration (default: `demoSftConfig()`). */
  readonly sft?: SftConfig;
  /** Where the warm start is cached (default: `$RLFLOW_CACHE_DIR`, else `.rlflow-cache`). */
  readonly cacheRoot?: string;
  /** `--set` overrides applied after the demo's own (the test shrinks the run with them). */
  readonly sets?: readonly string[];
}

export const DEMO_STEPS = 24;

/** The demo's settings over the `acpo` preset; see docs/presets.md ("The demo") for how validation chose them. */
export const DEMO_SETS: readonly string[] = [
  'optimizer.lr=0.0002',
  'rollout.promptsPerStep=16',
  'rollout.levels=[1]',
  'curriculum.miniBatches=4',
  'curriculum.kMin=1',
  'curriculum.kMax=3',
  'curriculum.sampling.strategy=fresh',
  'eval.split=test',
  'eval.every=6',
  'eval.problemsPerCell=60',
  'eval.samples=4',
  'eval.levels=[1]',
];

export const demoConfig = (options: Pick<DemoOptions, 'steps' | 'seed' | 'backend' | 'sets'> & { readonly init: string }): E.Either<Error, TrainConfig> =>
  resolveConfig({
    preset: 'acpo',
    sets: [`steps=${options.steps}`, `seed=${options.seed}`, `backend=${options.backend}`, `init=${options.init}`, ...DEMO_SETS, ...(options.sets ?? [])],
  });

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** "greedy 32.6%, avg@4 28.4% (900 problems)". */
export const describeEvaluation = ({ greedy, sampled }: HeldOutEvaluation): string =>
  `greedy ${pct(greedy.overall.accuracy)}${sampled === undefined ? '' : `, avg@${sampled.decoding.samples} ${pct(sampled.overall.accuracy)}`} (${greedy.overall.count} problems)`;
const points = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;

const changeCells = (c: DemoChange): string[] => [pct(c.before), pct(c.after), `${points(c.change)} pt [${points(c.ci95[0])}, ${points(c.ci95[1])}]`];

const comparisonTable = (report: DemoReport, before: HeldOutPair): string => {
  const k = before.sampled.decoding.samples;
  const header = ['held-out slice', 'problems', 'greedy: warm start', 'after ACPO', 'change [95% CI]', `avg@${k}: warm start`, 'after ACPO', 'change [95% CI]'];
  const lines = [`| ${header.join(' | ')} |`, `| --- | ${header.slice(1).map(() => '---:').join(' | ')} |`];
  for (const [name, keep] of heldOutSlices(before.greedy)) {
    const slice = report.heldOut[name]!;
    lines.push(`| ${[name === 'all' ? '**all**' : name, String(problemScores(before.greedy, keep).length), ...changeCells(slice.greedy), ...changeCells(slice.sampled)].join(' | ')} |`);
  }
  return lines.join('\n');
};

const evaluationsTable = (report: DemoReport, k: number): string =>
  [
    `| step | greedy | avg@${k} |`,
    '| ---: | ---: | ---: |',
    ...report.evaluations.map((e) => `| ${e.step === 0 ? '0 (warm start)' : e.step} | ${pct(e.greedy)} | ${pct(e.sampled)} |`),
  ].join('\n');

const mechanismsTable = (report: DemoReport, rows: readonly MetricsRow[], miniBatches: number): string => {
  const { reuse, clipFrac, epsHighMean, rejectedGroups } = report.mechanisms;
  return [
    '| step | K(t) | updates (K × mini-batches) | clip fraction | mean ε_high (AAAC) | groups rejected by the gate | rollout reward | rollout accuracy |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...reuse.map((k, i) => {
      const row = rows[i]!;
      const num = (key: string): number => row[key] as number;
      return `| ${row.step} | ${k} | ${k * miniBatches} | ${pct(clipFrac[i]!)} | ${epsHighMean[i]!.toFixed(4)} | ${rejectedGroups[i]} | ${num('reward/mean').toFixed(3)} | ${pct(num('reward/accuracy'))} |`;
    }),
  ].join('\n');
};

export interface DemoResult {
  readonly before: HeldOutEvaluation;
  readonly after: HeldOutEvaluation;
  readonly run: RunResult;
  readonly report: DemoReport;
  readonly seconds: number;
  readonly reportPath: string;
}

const withSampled = (evaluation: HeldOutEvaluation, what: string): HeldOutPair => {
  if (evaluation.sampled === undefined) throw new Error(`${what}: the demo needs eval.samples > 0 (avg@k)`);
  return { greedy: evaluation.greedy, sampled: evaluation.sampled };
};

interface PlotSeries {
  readonly label: string;
  readonly points: ReadonlyArray<{ readonly step: number; readonly value: number }>;
}

const plotPoints = (series: readonly PlotSeries[]): BandPoint[] =>
  series.flatMap(({ label, points: ps }) => ps.map(({ step, value }) => ({ algorithm: label, step, mean: value, lower: value, upper: value, seeds: 1 })));

const rowSeries = (rows: readonly MetricsRow[], label: string, key: string): PlotSeries => {
  const curve = metricCurve(rows, key);
  return { label, points: Array.from(curve.steps, (step, i) => ({ step, value: curve.values[i]! })) };
};

/** Steps the rollout curves are also shown averaged over: each step's 16 prompts are a small, noisy sample. */
export const TRAILING_WINDOW = 5;

/** The trailing mean of a series over the last `window` points (fewer at the start). */
export const trailingMean = (series: PlotSeries, window: number): PlotSeries => {
  const means = trailingMovingAverage(series.points.map((p) => p.value), window);
  return { label: `${window}-step trailing mean`, points: series.points.map(({ step }, i) => ({ step, value: means[i]! })) };
};

const withTrailingMean = (series: PlotSeries): PlotSeries[] => [series, trailingMean(series, TRAILING_WINDOW)];

export const runDemo = async (options: DemoOptions): Promise<DemoResult> => {
  const began = performance.now();
  const { log } = options;
  const { name: engine, factory, reason } = await chooseEngine(options.engine ?? 'auto');
  log(`engine: ${reason}`);
  const sft = await ensureSftCheckpoint({
    config: options.sft ?? demoSftConfig(),
    engine,
    ...(options.cacheRoot === undefined ? {} : { cacheRoot: options.cacheRoot }),
    log,
    progress: process.stderr,
    device: options.backend,
  });
  if (E.isLeft(sft)) throw sft.left;
  log(`warm start: ${sft.right.checkpointDir} (${sft.right.trained ? 'trained now' : 'cached'})`);
  const resolved = demoConfig({ ...options, init: sft.right.checkpointDir, sets: [`engine=${engine}`, ...(options.sets ?? [])] });
  if (E.isLeft(resolved)) throw resolved.left;
  const config = resolved.right;
  const warm = unwrap(
    await factory({ init: { kind: 'weights', dir: sft.right.checkpointDir }, model: undefined, reference: false, tokenBudget: config.optimizer.microBatchTokens, device: config.backend }),
  );
  const beforeEvaluation = unwrap(await evaluateHeldOut(config, warm));
  await warm.dispose();
  log(`held-out accuracy of the warm start: ${describeEvaluation(beforeEvaluation)}`);

  const runDir = join(options.out, 'run');
  await rm(runDir, { recursive: true, force: true });
  const run = await runTraining({ config, dir: runDir, resume: false, log });
  const data = await loadRun(runDir);
  if (E.isLeft(data)) throw data.left;
  const afterEvaluation = run.finalEvaluation;
  if (afterEvaluation === undefined) throw new Error(`the run in ${runDir} stopped (${run.reason}) before its final evaluation`);
  if (!isSuiteEvaluation(afterEvaluation)) throw new Error(`the run in ${runDir} evaluated on a dataset, not on the suite the demo compares`);
  const latest = await latestTrainingCheckpoint(runDir);
  if (latest === null) throw new Error(`the run in ${runDir} wrote no checkpoint`);
  const before = withSampled(beforeEvaluation, 'the warm start');
  const after = withSampled(afterEvaluation, 'the final evaluation');
  const rows = data.right.rows;
  const k = before.sampled.decoding.samples;

  const seconds = (performance.now() - began) / 1000;
  const report = decodeDemoReport({
    seconds,
    steps: rows.length,
    heldOut: heldOutChanges(before, after),
    evaluations: evaluationsOf(before, rows),
    mechanisms: mechanismsOf(rows),
    checkpoint: join(latest.path, 'policy'),
  });
  if (E.isLeft(report)) throw new Error(`the demo's report.json would not decode:\n  ${report.left.join('\n  ')}`);
  const r = report.right;

  const problems = before.greedy.overall.count;
  const stepsOf = (values: readonly number[]): Array<{ step: number; value: number }> => values.map((value, i) => ({ step: rows[i]!.step, value }));
  const plots: ReadonlyArray<{ file: string; title: string; y: string; legend: string; markPoints: boolean; series: PlotSeries[] }> = [
    { file: 'reward.svg', title: 'Rollout reward over RL steps (mean over all sampled responses)', y: 'reward (accuracy + 0.5·format)', legend: 'rollouts', markPoints: false, series: withTrailingMean(rowSeries(rows, 'per step', 'reward/mean')) },
    { file: 'accuracy.svg', title: 'Rollout accuracy over RL steps (all sampled groups)', y: 'accuracy', legend: 'rollouts', markPoints: false, series: withTrailingMean(rowSeries(rows, 'per step', 'reward/accuracy')) },
    {
      file: 'held-out.svg',
      title: `Held-out test accuracy at each evaluation (${problems} problems; step 0 = warm start)`,
      y: 'accuracy',
      legend: 'decoding',
      markPoints: true,
      series: [
        { label: 'greedy', points: r.evaluations.map((e) => ({ step: e.step, value: e.greedy })) },
        { label: `avg@${k} (temperature ${config.rollout.temperature})`, points: r.evaluations.map((e) => ({ step: e.step, value: e.sampled })) },
      ],
    },
    { file: 'reuse.svg', title: `K(t): passes over each rollout batch (${config.curriculum.miniBatches} mini-batches each)`, y: 'K(t)', legend: 'curriculum', markPoints: true, series: [{ label: 'K(t)', points: stepsOf(r.mechanisms.reuse) }] },
    { file: 'clipping.svg', title: 'Share of response tokens clipped by the AAAC bounds', y: 'clip fraction', legend: 'PPO clip', markPoints: true, series: [{ label: 'clip fraction', points: stepsOf(r.mechanisms.clipFrac) }] },
    {
      file: 'eps-high.svg',
      title: `Mean AAAC upper bound ε_high over the tokens (ε_high0 = ${config.clip.epsHigh0})`,
      y: 'mean ε_high',
      legend: 'AAAC',
      markPoints: true,
      series: [{ label: 'mean ε_high', points: stepsOf(r.mechanisms.epsHighMean) }],
    },
    { file: 'rejected.svg', title: 'Groups the gate rejected (all answers right or all wrong)', y: 'groups', legend: 'gate', markPoints: true, series: [{ label: 'rejected groups', points: stepsOf(r.mechanisms.rejectedGroups) }] },
  ];
  for (const plot of plots) {
    await writeFileAtomic(join(options.out, plot.file), await renderSvg(curvePlotSpec(plot.title, plot.y, plotPoints(plot.series), { legend: plot.legend, markPoints: plot.markPoints })));
  }
  await writeFileAtomic(join(options.out, 'report.json'), `${JSON.stringify(r, null, 2)}\n`);
  const reportPath = join(options.out, 'report.md');
  const all = r.heldOut['all']!;
  const markdown = [
    '# rlflow demo: ACPO from an SFT warm start',
    '',
    `Backend ${run.backend}; ${r.steps} RL steps of ${config.rollout.promptsPerStep} prompts × G = ${config.rollout.groupSize} (level ${config.rollout.levels.join(', ')} of every family), ` +
      `${config.curriculum.miniBatches} mini-batches per pass, K(t) ${config.curriculum.kMin} → ${config.curriculum.kMax} passes, learning rate ${config.optimizer.lr}; seed ${config.seed}.`,
    `Total time ${r.seconds.toFixed(0)} s (RL training with its evaluations ${run.seconds.toFixed(0)} s); warm start ${sft.right.trained ? 'trained in this run' : `reused from ${sft.right.dir}`}.`,
    'Every setting was chosen on the validation split; the test split is only reported here. Every figure below is in `report.json`.',
    '',
    `## Held-out test accuracy`,
    '',
    `The test split of level ${config.eval.levels.join(', ')}, ${config.eval.problemsPerCell} problems per family, greedy and avg@${k} (${k} answers per problem sampled at temperature ${config.rollout.temperature}, the expected accuracy RL raises); ` +
      'each change with its 95% interval from the per-problem differences (paired: the same problems before and after).',
    `Overall: avg@${k} ${points(all.sampled.change)} pt [${points(all.sampled.ci95[0])}, ${points(all.sampled.ci95[1])}], greedy ${points(all.greedy.change)} pt [${points(all.greedy.ci95[0])}, ${points(all.greedy.ci95[1])}].`,
    '',
    comparisonTable(r, before),
    '',
    `Evaluated ${r.evaluations.length} times (step 0 is the warm start):`,
    '',
    evaluationsTable(r, k),
    '',
    '![held-out test accuracy at each evaluation](held-out.svg)',
    '',
    '## Rollouts',
    '',
    '![rollout reward over steps](reward.svg)',
    '',
    '![rollout accuracy over steps](accuracy.svg)',
    '',
    "## ACPO's mechanisms over the steps",
    '',
    `Each rollout batch is cut into ${config.curriculum.miniBatches} mini-batches and passed over K(t) times, so every update after the first of a step is off-policy and the ratio leaves 1; ` +
      `AAAC's per-token bounds are ε_high = ${config.clip.epsHigh0} + ${config.clip.deltaHigh}·max(tanh(A/${config.clip.kappa}), 0) and ε_low = ${config.clip.epsLow0}·(1 − ${config.clip.deltaLow}·max(−tanh(A/${config.clip.kappa}), 0)), ` +
      `so a mean ε_high above ${config.clip.epsHigh0} is the upper bound widening with the advantage of the positive tokens; the gate rejects groups whose answers are all right or all wrong and refills them.`,
    '',
    mechanismsTable(r, rows, config.curriculum.miniBatches),
    '',
    '![K(t)](reuse.svg)',
    '',
    '![clip fraction](clipping.svg)',
    '',
    '![mean AAAC upper bound](eps-high.svg)',
    '',
    '![groups rejected by the gate](rejected.svg)',
    '',
    `Final policy: \`${r.checkpoint}\`. Run directory: \`${runDir}\` (metrics.jsonl, metrics.csv, config.json, checkpoints/).`,
    '',
  ].join('\n');
  await writeFileAtomic(reportPath, markdown);
  return { before: beforeEvaluation, after: afterEvaluation, run, report: r, seconds, reportPath };
};
