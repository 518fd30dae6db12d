/**
 * Text forms of a benchmark score: the `--json` summary object, one JSON line per item, and a
 * readable table (overall line, then one aligned table per breakdown key).
 */
import { pyFormatFixed } from '../formats/python-number.js';
import type { BenchmarkScore, Breakdown, ItemResult } from '../scorers/result.js';

export interface ScoreSummary {
  readonly benchmark: string;
  readonly correct: number;
  readonly total: number;
  readonly accuracy: number;
  readonly unparsed: number;
  readonly breakdown: Breakdown;
}

export const scoreSummary = (score: BenchmarkScore): ScoreSummary => ({
  benchmark: score.benchmark,
  correct: score.correct,
  total: score.total,
  accuracy: score.accuracy,
  unparsed: score.unparsed,
  breakdown: score.breakdown,
});

/** One line per item: `id`, `prediction`, `correct`, `parsed`, then the benchmark's own fields. */
export const perItemJsonLines = (items: readonly ItemResult[]): string =>
  items
    .map((item) => {
      const { id, prediction, correct, parsed, ...rest } = item as ItemResult & Record<string, unknown>;
      return `${JSON.stringify({ id, prediction, correct, parsed, ...rest })}\n`;
    })
    .join('');

const percent = (fraction: number): string => `${pyFormatFixed(fraction * 100, 2)}%`;

/** Left-aligns the first column and right-aligns the others. */
export const alignTable = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

export const formatScoreText = (score: BenchmarkScore, notes: readonly string[] = []): string => {
  const lines = [
    `${score.benchmark}: ${score.correct}/${score.total} correct = ${percent(score.accuracy)}  (unparsed: ${score.unparsed})`,
    ...notes,
  ];
  for (const [key, groups] of Object.entries(score.breakdown)) {
    const rows = Object.entries(groups).map(([group, g]) => [group, String(g.correct), String(g.total), percent(g.accuracy)]);
    if (rows.length > 0) lines.push('', alignTable([key, 'correct', 'total', 'accuracy'], rows));
  }
  return `${lines.join('\n')}\n`;
};
