/** Plain-text tables of a suite evaluation: one row per level, one per family, and the total. */
import type { SuiteEvaluation } from './suite.js';
import type { LocalStats } from './stats.js';

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

const row = (label: string, s: LocalStats): string[] => [label, String(s.count), pct(s.accuracy), pct(s.formatRate), s.meanLength.toFixed(1)];

const render = (rows: readonly string[][]): string => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
};

const HEADER = ['', 'n', 'accuracy', 'format', 'length'];

/**
 * ```
 *          n  accuracy  format  length
 * level 1  50     42.0%   98.0%    24.1
 * ...
 * all     250     30.4%   97.2%    25.0
 * ```
 */
export const formatSuiteTable = (evaluation: Pick<SuiteEvaluation, 'overall' | 'byLevel' | 'byFamily'>, by: 'level' | 'family' = 'level'): string =>
  render([
    HEADER,
    ...(by === 'level' ? evaluation.byLevel.map((s) => row(`level ${s.level}`, s)) : evaluation.byFamily.map((s) => row(s.family, s))),
    row('all', evaluation.overall),
  ]);
