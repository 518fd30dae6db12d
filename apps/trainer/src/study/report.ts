/**
 * `study.md`, `study.json` and the SVG plots of a study, written atomically into its directory.
 * The plots are `rlflow compare`'s (libs/eval report/plots.ts): per preset the mean over its
 * seeds at each step with a ± one-std band.
 */
import { join } from 'node:path';
import { bandPoints, curvePlotSpec, formatNumber, renderSvg, type PlotDefinition, type RunData } from '@rlflow/eval';
import { writeFileAtomic } from '@rlflow/core';
import { asStudyJson } from './codec.js';
import { FIGURE_LABELS, RUN_FIGURES, type FigureAggregate, type Interval, type StudySummary } from './summary.js';

export const STUDY_PLOTS: readonly PlotDefinition[] = [
  { file: 'reward', key: 'reward/mean', title: 'Rollout reward by step', yTitle: 'reward/mean' },
  { file: 'accuracy', key: 'reward/accuracy', title: 'Rollout accuracy by step', yTitle: 'reward/accuracy' },
  { file: 'heldout_greedy', key: 'eval/accuracy', title: 'Held-out greedy accuracy at each evaluation', yTitle: 'eval/accuracy (greedy)' },
  { file: 'heldout_avgk', key: 'eval/sampled_accuracy', title: 'Held-out avg@k at each evaluation', yTitle: 'eval/sampled_accuracy (avg@k)' },
  { file: 'entropy', key: 'actor/entropy', title: 'Policy entropy by step', yTitle: 'actor/entropy' },
  { file: 'length_correct', key: 'response_length/correct_mean', title: 'Length of correct answers by step', yTitle: 'tokens' },
  { file: 'length_wrong', key: 'response_length/wrong_mean', title: 'Length of wrong answers by step', yTitle: 'tokens' },
  { file: 'clip_fraction', key: 'actor/pg_clipfrac', title: 'Clip fraction by step', yTitle: 'actor/pg_clipfrac' },
];

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const table = (header: readonly string[], rows: readonly (readonly string[])[]): string =>
  [`| ${header.map(cell).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');

const aggregateText = (a: FigureAggregate): string => {
  if (a.mean === null) return `— (0/${a.of})`;
  const spread = a.std === null ? '' : ` ± ${formatNumber(a.std)}`;
  const ci = a.ci95 === null ? '' : ` [${formatNumber(a.ci95[0])}, ${formatNumber(a.ci95[1])}]`;
  return `${formatNumber(a.mean)}${spread}${ci}${a.n < a.of ? ` (${a.n}/${a.of})` : ''}`;
};

const intervalText = (i: Interval | null, percent: boolean): string => {
  if (i === null) return '—';
  const f = (x: number) => (percent ? `${formatNumber(100 * x)}%` : formatNumber(x));
  return `${f(i.estimate)} [${f(i.ci95[0])}, ${f(i.ci95[1])}]`;
};

/** The headline table: held-out accuracy, convergence, variance, entropy floor and wrong-answer length per preset. */
export const HEADLINE_FIGURES = ['heldOutSampled', 'heldOutGreedy', 'stepsTo90Gain', 'rewardVariance', 'entropyFloor', 'lengthWrong'] as const;

export const renderStudyMarkdown = (study: StudySummary, plots: readonly { file: string; title: string }[], command: string | null): string =>
  [
    '# Study',
    '',
    `${study.presets.length} preset(s) × ${study.seeds.length} seed(s) (${study.seeds.join(', ')}), ${study.steps} steps per run${command === null ? '' : `; \`${command}\``}.`,
    'Each cell: mean ± sample std across seeds [95% percentile-bootstrap interval of the mean] (n/of when some runs lack the figure).',
    '',
    '## Headline',
    '',
    table(['preset', ...HEADLINE_FIGURES.map((f) => FIGURE_LABELS[f])], study.summary.map((s) => [s.preset, ...HEADLINE_FIGURES.map((f) => aggregateText(s.figures[f]))])),
    '',
    '## Paired comparisons (seed s of A against seed s of B)',
    '',
    study.comparisons.length === 0
      ? 'None: the grid lacks the presets of every comparison (acpo, dapo, grpo, apo).'
      : table(
          ['A vs B', 'figure', 'claim', 'seeds', 'A − B [95% CI]', 'A/B − 1 [95% CI]', 'verdict'],
          study.comparisons.map((c) => [
            `${c.a} vs ${c.b}`,
            FIGURE_LABELS[c.figure],
            c.claim,
            String(c.seeds.length),
            intervalText(c.difference, false),
            intervalText(c.relative, true),
            c.verdict,
          ]),
        ),
    '',
    'A claim **holds** when the interval of A/B − 1 lies on the claimed side of 0, is **contradicted** when it lies on the other side, and is **undecided** otherwise. With few seeds a bootstrap interval is narrow-biased (it cannot be wider than the spread of the seeds).',
    '',
    '## All figures per preset',
    '',
    table(['figure', ...study.summary.map((s) => s.preset)], RUN_FIGURES.map((f) => [FIGURE_LABELS[f], ...study.summary.map((s) => aggregateText(s.figures[f]))])),
    '',
    '## Runs',
    '',
    table(['run', 'steps', ...RUN_FIGURES.map((f) => FIGURE_LABELS[f])], study.runs.map((r) => [r.dir, String(r.steps), ...RUN_FIGURES.map((f) => formatNumber(r[f]))])),
    '',
    '## Plots',
    '',
    ...plots.flatMap((p) => [`### ${p.title}`, '', `![${p.title}](${p.file})`, '']),
    '## Definitions',
    '',
    '- final reward, AUC, steps to 90% of final reward, reward-curve variance: as in `rlflow compare` (libs/eval report/compare.ts); steps to 90% of the gain: the first step whose trailing moving average reaches v₁ + 0.9·(final − v₁).',
    '- held-out greedy / avg@k: `eval/accuracy` / `eval/sampled_accuracy` at the last evaluation (the last step) on the test split.',
    '- entropy floor: the minimum over steps of the trailing moving average of `actor/entropy` (window max(1, round(n/20))).',
    '- lengths: mean over steps of the mean response length of the correct (wrong) responses in each step\'s kept groups.',
    `- bootstrap: ${study.bootstrap.resamples} resamples, seed ${study.bootstrap.seed}.`,
    '',
    '## Notes',
    '',
    ...(study.notes.length === 0 ? ['None.'] : study.notes.map((n) => `- ${n}`)),
    '',
  ].join('\n');

/** Writes study.json, the plots and study.md into `out`; returns the paths written. */
export const writeStudyReport = async (out: string, study: StudySummary, runs: readonly RunData[], command: string | null): Promise<string[]> => {
  const files: string[] = [];
  const plots: { file: string; title: string }[] = [];
  for (const plot of STUDY_PLOTS) {
    const points = bandPoints(runs, plot.key);
    if (points.length === 0) continue;
    const path = join(out, `${plot.file}.svg`);
    await writeFileAtomic(path, await renderSvg(curvePlotSpec(plot.title, plot.yTitle, points)));
    plots.push({ file: `${plot.file}.svg`, title: plot.title });
    files.push(path);
  }
  const json = join(out, 'study.json');
  await writeFileAtomic(json, `${JSON.stringify(asStudyJson(study), null, 2)}\n`);
  const md = join(out, 'study.md');
  await writeFileAtomic(md, renderStudyMarkdown(study, plots, command));
  return [md, json, ...files];
};
