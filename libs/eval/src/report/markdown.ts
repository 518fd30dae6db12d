/**
 * `report.md` of `rlflow compare`: the per-algorithm table, the per-run table, the plots that were
 * drawn, the definitions of every figure, and the notes on tolerated problems.
 */
import type { SampleSummary } from '../stats/summary.js';
import type { AlgorithmSummary, Comparison } from './compare.js';
import { stepsTo90Window } from './compare.js';

/** Four significant digits, trailing zeros kept off; `—` for a missing value. */
export const formatNumber = (x: number | null | undefined): string => {
  if (x === null || x === undefined) return '—';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e-3 && abs < 1e6) return String(Number(x.toPrecision(4)));
  return x.toExponential(3);
};

const meanStd = (s: SampleSummary | null): string => (s === null ? '—' : s.std === null ? formatNumber(s.mean) : `${formatNumber(s.mean)} ± ${formatNumber(s.std)}`);

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

const table = (header: readonly string[], rows: readonly (readonly string[])[]): string =>
  [`| ${header.map(cell).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');

const algorithmRow = (a: AlgorithmSummary): string[] => [
  a.algorithm,
  String(a.runs.length),
  a.finalReward === null ? '—' : meanStd(a.finalReward),
  a.finalReward === null ? '—' : `[${formatNumber(a.finalReward.ci.lower)}, ${formatNumber(a.finalReward.ci.upper)}]`,
  a.finalAccuracy === null ? '—' : `${meanStd(a.finalAccuracy)}${a.accuracyKeys.length > 0 ? ` (${a.accuracyKeys.join(', ')})` : ''}`,
  meanStd(a.auc),
  a.stepsTo90 === null ? `— (0/${a.runs.length} reached)` : `${meanStd(a.stepsTo90)} (${a.stepsTo90Reached}/${a.runs.length} reached)`,
  meanStd(a.rewardVariance),
];

export interface ReportPlot {
  readonly file: string;
  readonly title: string;
}

export const renderReport = (comparison: Comparison, plots: readonly ReportPlot[], options: { readonly seed: number; readonly resamples: number }): string => {
  const runs = comparison.algorithms.flatMap((a) => a.runs);
  const sections = [
    '# Run comparison',
    '',
    `${runs.length} run(s) in ${comparison.algorithms.length} algorithm group(s), grouped by \`algorithm.name\` of each run's config.json.`,
    '',
    '## Summary',
    '',
    table(
      ['algorithm', 'seeds', 'final reward (mean ± std)', '95% CI of mean', 'final accuracy', 'AUC (reward)', 'steps to 90% of final', 'reward-curve variance'],
      comparison.algorithms.map(algorithmRow),
    ),
    '',
    '## Runs',
    '',
    table(
      ['run', 'algorithm', 'seed', 'points', 'last step', 'final reward', 'final accuracy', 'AUC', 'steps to 90%', 'reward-curve variance'],
      runs.map((r) => [
        r.dir,
        r.algorithm,
        r.seed === null ? '—' : String(r.seed),
        String(r.points),
        r.lastStep === null ? '—' : String(r.lastStep),
        formatNumber(r.finalReward),
        r.finalAccuracy === null ? '—' : `${formatNumber(r.finalAccuracy)} (${r.accuracyKey ?? ''})`,
        formatNumber(r.auc),
        r.stepsTo90 === null ? '—' : String(r.stepsTo90),
        formatNumber(r.rewardVariance),
      ]),
    ),
    '',
    '## Plots',
    '',
    'Mean across seeds at each logged step; the band is ± one sample standard deviation across the seeds that logged the step.',
    '',
    ...(plots.length === 0 ? ['No metric to plot.'] : plots.flatMap((p) => [`### ${p.title}`, '', `![${p.title}](${p.file})`, ''])),
    '## Definitions',
    '',
    '- **final** value of a metric: the mean over the last 10% of the logged steps that have a finite value (at least one step).',
    '- **final reward**: final `reward/mean`. **final accuracy**: final `eval/accuracy` when the run logs it, else final `reward/accuracy` (the key is named).',
    `- **AUC**: trapezoid area under \`reward/mean\` over steps, divided by (last step − first step): the step-weighted mean reward.`,
    `- **steps to 90% of final**: the first logged step at which the trailing moving average of \`reward/mean\` over max(1, round(n/20)) points (n logged points; e.g. ${stepsTo90Window(200)} for 200) reaches 0.9 × final reward; runs that never reach it are left out of the mean and counted.`,
    '- **reward-curve variance**: population variance of the step-to-step changes of `reward/mean` (about 2σ² for noise of variance σ² around a smooth trend; 0 for a straight line).',
    `- **across seeds**: mean and sample standard deviation (n − 1); the 95% interval is a percentile bootstrap of the mean over seeds (${options.resamples} resamples, seed ${options.seed}), which cannot be wider than the spread of the seeds — read it with n.`,
    '',
    '## Notes',
    '',
    ...(comparison.notes.length === 0 ? ['None.'] : comparison.notes.map((note) => `- ${note}`)),
    '',
  ];
  return sections.join('\n');
};
