/**
 * The end-of-run summary: first, last and best value of the key metrics, and the total time,
 * as a plain-text table.
 */
import type { MetricRow } from './columns.js';

export interface SummaryMetric {
  readonly key: string;
  /** Which way is better, or null where neither is (then no best is shown). */
  readonly better: 'max' | 'min' | null;
}

export const SUMMARY_METRICS: readonly SummaryMetric[] = [
  { key: 'reward/mean', better: 'max' },
  { key: 'reward/accuracy', better: 'max' },
  { key: 'eval/accuracy', better: 'max' },
  { key: 'response_length/mean', better: null },
  { key: 'actor/pg_clipfrac', better: null },
  { key: 'actor/ppo_kl', better: null },
  { key: 'actor/entropy', better: null },
  { key: 'curriculum/reuse', better: null },
  { key: 'curriculum/kept_groups', better: null },
  { key: 'curriculum/rejected_groups', better: null },
  { key: 'time/step_s', better: 'min' },
];

export interface StepValue {
  readonly step: number;
  readonly value: number;
}

export interface SummaryLine {
  readonly key: string;
  readonly first: StepValue;
  readonly last: StepValue;
  readonly best: StepValue | null;
}

/** One line per metric that has at least one finite value; rows in step order. */
export const summarizeMetrics = (rows: readonly MetricRow[], metrics: readonly SummaryMetric[] = SUMMARY_METRICS): SummaryLine[] =>
  metrics.flatMap(({ key, better }) => {
    const values: StepValue[] = rows.flatMap((row) => {
      const value = row[key];
      return typeof value === 'number' && Number.isFinite(value) ? [{ step: row.step, value }] : [];
    });
    if (values.length === 0) return [];
    const best =
      better === null
        ? null
        : values.reduce((acc, v) => ((better === 'max' ? v.value > acc.value : v.value < acc.value) ? v : acc));
    return [{ key, first: values[0]!, last: values[values.length - 1]!, best }];
  });

/** A number in at most 4 significant digits, without exponent for ordinary magnitudes. */
export const formatMetricValue = (x: number): string => {
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e-3 && abs < 1e6) return String(Number(x.toPrecision(4)));
  return x.toExponential(2);
};

/** `1h02m03s`, `3m12s`, `45.2s`. */
export const formatDuration = (seconds: number): string => {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${rest}s` : `${m}m${rest}s`;
};

const at = (v: StepValue | null): string => (v === null ? '–' : `${formatMetricValue(v.value)} @${v.step}`);

export const formatSummaryTable = (lines: readonly SummaryLine[], totalSeconds: number): string => {
  const table = [['metric', 'first @step', 'last @step', 'best @step'], ...lines.map((line) => [line.key, at(line.first), at(line.last), at(line.best)])];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const render = (row: readonly string[]): string => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [render(table[0]!), rule, ...table.slice(1).map(render), rule, `total time ${formatDuration(totalSeconds)}`].join('\n') + '\n';
};
