/**
 * Reading a training run directory for comparison: `config.json` (the resolved configuration:
 * `algorithm.name`, `preset`, `seed`; other keys ignored) and `metrics.jsonl` (one JSON object per
 * line with a numeric `step`; other values numbers, or `"NaN"`/`"Infinity"` strings for non-finite
 * numbers, booleans, null). Decoding is lenient and every tolerated problem is reported in `notes`:
 * a torn last line (a crash mid-write), a missing algorithm name or seed, a repeated step (the last
 * row of a step wins). A malformed line before the last one is an error.
 */
import { basename, join } from 'node:path';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { DecodeError, decodeWith } from '@rlflow/core';
import { decodeJsonText, readText } from '../formats/load.js';
import type { Curve } from '../stats/curve.js';

/** The part of `config.json` a comparison reads. */
export const RunConfig = t.partial(
  {
    preset: t.union([t.string, t.null]),
    seed: t.number,
    steps: t.number,
    algorithm: t.partial({ name: t.string }),
  },
  'RunConfig',
);
export type RunConfig = t.TypeOf<typeof RunConfig>;

const StepField = t.type({ step: t.number }, 'MetricsRow');

/** A metrics row: an object with a numeric `step`; its other keys are read by name. */
export type MetricsRow = Readonly<Record<string, unknown>> & { readonly step: number };

const decodeMetricsRow =
  (source: string) =>
  (value: unknown): E.Either<DecodeError, MetricsRow> =>
    pipe(
      decodeWith(t.UnknownRecord, source)(value),
      E.chain((record) => E.map(({ step }: { step: number }): MetricsRow => ({ ...record, step }))(decodeWith(StepField, source)(record))),
    );

export interface RunData {
  readonly dir: string;
  /** The group label: `algorithm.name`, else `preset`, else the directory name. */
  readonly algorithm: string;
  readonly seed: number | null;
  readonly preset: string | null;
  /** Rows in step order, one per step. */
  readonly rows: readonly MetricsRow[];
  /** Tolerated problems, one line each. */
  readonly notes: readonly string[];
}

/** Rows of a `metrics.jsonl` text; a final line that does not decode is a torn write (noted, dropped). */
export const decodeMetricsJsonl =
  (source: string) =>
  (text: string): E.Either<DecodeError, { readonly rows: MetricsRow[]; readonly notes: string[] }> => {
    const lines = text.split('\n');
    while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
    const rows: MetricsRow[] = [];
    const notes: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      const decoded = pipe(
        E.tryCatch(
          () => JSON.parse(line) as unknown,
          () => new DecodeError(source, [`line ${i + 1}: not valid JSON`]),
        ),
        E.chain(decodeMetricsRow(`${source} line ${i + 1}`)),
      );
      if (E.isRight(decoded)) rows.push(decoded.right);
      else if (i === lines.length - 1) notes.push(`${source}: line ${i + 1} is torn or malformed and was ignored`);
      else return E.left(new DecodeError(source, [`line ${i + 1}: ${decoded.left.problems.join('; ')}`]));
    }
    const byStep = new Map<number, MetricsRow>();
    for (const row of rows) byStep.set(row.step, row);
    if (byStep.size < rows.length) notes.push(`${source}: ${rows.length - byStep.size} repeated step(s); the last row of each step was kept`);
    return E.right({ rows: [...byStep.values()].sort((a, b) => a.step - b.step), notes });
  };

export const loadRun = async (dir: string): Promise<E.Either<DecodeError, RunData>> => {
  const configPath = join(dir, 'config.json');
  const metricsPath = join(dir, 'metrics.jsonl');
  const [configText, metricsText] = await Promise.all([readText(configPath), readText(metricsPath)]);
  if (E.isLeft(configText)) return configText;
  if (E.isLeft(metricsText)) return metricsText;
  const config = decodeJsonText(RunConfig, configPath)(configText.right);
  if (E.isLeft(config)) return config;
  const metrics = decodeMetricsJsonl(metricsPath)(metricsText.right);
  if (E.isLeft(metrics)) return metrics;
  const notes = [...metrics.right.notes];
  const { algorithm, preset, seed } = config.right;
  const label = algorithm?.name ?? preset ?? basename(dir);
  if (algorithm?.name === undefined) notes.push(`${configPath}: no algorithm.name; grouped as ${JSON.stringify(label)}`);
  if (seed === undefined) notes.push(`${configPath}: no seed`);
  if (metrics.right.rows.length === 0) notes.push(`${metricsPath}: no rows`);
  return E.right({ dir, algorithm: label, seed: seed ?? null, preset: preset ?? null, rows: metrics.right.rows, notes });
};

/** A number from a metrics cell: finite numbers only (`"NaN"`/`"Infinity"` strings and other values are absent). */
const finiteNumber = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** The curve of one metric: the steps where it has a finite value, and how many rows held a non-finite one. */
export const metricCurve = (rows: readonly MetricsRow[], key: string): Curve & { readonly nonFinite: number } => {
  const steps: number[] = [];
  const values: number[] = [];
  let nonFinite = 0;
  for (const row of rows) {
    const value = finiteNumber(row[key]);
    if (value !== undefined) {
      steps.push(row.step);
      values.push(value);
    } else if (row[key] !== undefined && row[key] !== null) nonFinite++;
  }
  return { steps, values, nonFinite };
};
