/**
 * The demo's `report.json`: every figure of `report.md`, decoded with `DemoReportCodec` (closed
 * objects: an unknown key is an error naming its path). Accuracies are fractions in [0, 1];
 * a change and its interval are differences of fractions, in [−1, 1].
 *
 *   heldOut[slice].{greedy, sampled} = { before, after, change, ci95 }: the slice's mean
 *     per-problem score before and after RL, and the mean paired difference after − before with
 *     its 95% interval mean ± 1.959964·SE (pairedDifference, libs/eval);
 *   evaluations[i] = { step, greedy, sampled }: held-out accuracy at every evaluation (step 0 is
 *     the warm start);
 *   mechanisms.<name>[t]: step t + 1's K(t) (`curriculum/reuse`), clip fraction
 *     (`actor/pg_clipfrac`), mean AAAC upper bound over the batch's tokens (`clip/eps_high_mean`)
 *     and groups the gate rejected (`curriculum/rejected_groups`).
 */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap } from '@rlflow/core';
import { pairedDifference, unsafeMean } from '@rlflow/eval';
import { closed, integerAtLeast, nonEmptyString, numberIn } from '../config/codecs.js';
import { formatConfigErrors } from '../config/errors.js';
import type { SuiteEvaluation, SuiteItemResult } from '../evaluate/index.js';
import type { MetricsRow } from '@rlflow/eval';

const fraction = numberIn(0, 1);
const difference = numberIn(-1, 1);

const ChangeCodec = closed({
  before: fraction,
  after: fraction,
  change: difference,
  ci95: new t.Type<readonly [number, number], readonly [number, number], unknown>(
    '[low, high] with −1 ≤ low ≤ high ≤ 1',
    (u): u is readonly [number, number] => Array.isArray(u) && u.length === 2 && u.every((x) => difference.is(x)) && (u[0] as number) <= (u[1] as number),
    (u, c) => (Array.isArray(u) && u.length === 2 && u.every((x) => difference.is(x)) && (u[0] as number) <= (u[1] as number) ? t.success(u as unknown as readonly [number, number]) : t.failure(u, c)),
    t.identity,
  ),
});

const SliceCodec = closed({ greedy: ChangeCodec, sampled: ChangeCodec });

const EvaluationCodec = closed({ step: integerAtLeast(0), greedy: fraction, sampled: fraction });

const list = <A>(item: t.Type<A, A, unknown>): t.Type<readonly A[], readonly A[], unknown> => t.readonlyArray(item) as unknown as t.Type<readonly A[], readonly A[], unknown>;

export const DemoReportCodec = closed({
  seconds: numberIn(0, Number.MAX_VALUE),
  steps: integerAtLeast(1),
  heldOut: t.record(t.string, SliceCodec) as unknown as t.Type<Readonly<Record<string, t.TypeOf<typeof SliceCodec>>>, Readonly<Record<string, t.TypeOf<typeof SliceCodec>>>, unknown>,
  evaluations: list(EvaluationCodec),
  mechanisms: closed({
    reuse: list(integerAtLeast(1)),
    clipFrac: list(fraction),
    epsHighMean: list(numberIn(0, 10)),
    rejectedGroups: list(integerAtLeast(0)),
  }),
  checkpoint: nonEmptyString,
});

export type DemoReport = t.TypeOf<typeof DemoReportCodec>;
export type DemoChange = t.TypeOf<typeof ChangeCodec>;

/** `report.json` decoded, or every problem with its path. */
export const decodeDemoReport = (u: unknown): E.Either<string[], DemoReport> => E.mapLeft(formatConfigErrors)(DemoReportCodec.decode(u));

/** Per-problem scores of the items that `keep` selects: 0/1 greedy, the fraction correct of the k sampled answers. */
export const problemScores = (evaluation: SuiteEvaluation, keep: (item: SuiteItemResult) => boolean): number[] => {
  const k = evaluation.decoding.samples;
  const scores: number[] = [];
  for (let i = 0; i < evaluation.items.length; i += k) {
    const answers = evaluation.items.slice(i, i + k);
    if (keep(answers[0]!)) scores.push(answers.filter((a) => a.correct).length / k);
  }
  return scores;
};

/** Before, after and the paired change with its 95% interval, over the problems `keep` selects. */
export const pairedChange = (before: SuiteEvaluation, after: SuiteEvaluation, keep: (item: SuiteItemResult) => boolean): DemoChange => {
  const a = problemScores(before, keep);
  const b = problemScores(after, keep);
  const d = unwrap(pairedDifference(a, b));
  return { before: unsafeMean(a), after: unsafeMean(b), change: d.mean, ci95: [d.low, d.high] };
};

export interface HeldOutPair {
  readonly greedy: SuiteEvaluation;
  readonly sampled: SuiteEvaluation;
}

/** The slices of the report: `all`, `level <L>` when there are several levels, then each family. */
export const heldOutSlices = (evaluation: SuiteEvaluation): ReadonlyArray<readonly [string, (item: SuiteItemResult) => boolean]> => [
  ['all', () => true],
  ...(evaluation.byLevel.length > 1 ? evaluation.byLevel.map(({ level }) => [`level ${level}`, (item: SuiteItemResult) => item.level === level] as const) : []),
  ...evaluation.byFamily.map(({ family }) => [family, (item: SuiteItemResult) => item.family === family] as const),
];

export const heldOutChanges = (before: HeldOutPair, after: HeldOutPair): DemoReport['heldOut'] =>
  Object.fromEntries(
    heldOutSlices(before.greedy).map(([name, keep]) => [name, { greedy: pairedChange(before.greedy, after.greedy, keep), sampled: pairedChange(before.sampled, after.sampled, keep) }]),
  );

const column = (rows: readonly MetricsRow[], key: string): number[] =>
  rows.map((row) => {
    const value = row[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`metrics row of step ${row.step}: ${key} is ${JSON.stringify(value)}, expected a finite number`);
    return value;
  });

/** The mechanisms over the steps, from the run's metrics rows (one per step, in order). */
export const mechanismsOf = (rows: readonly MetricsRow[]): DemoReport['mechanisms'] => ({
  reuse: column(rows, 'curriculum/reuse'),
  clipFrac: column(rows, 'actor/pg_clipfrac'),
  epsHighMean: column(rows, 'clip/eps_high_mean'),
  rejectedGroups: column(rows, 'curriculum/rejected_groups'),
});

/** Held-out accuracy at every evaluation: the warm start at step 0, then each row that holds one. */
export const evaluationsOf = (warmStart: HeldOutPair, rows: readonly MetricsRow[]): DemoReport['evaluations'] => [
  { step: 0, greedy: warmStart.greedy.overall.accuracy, sampled: warmStart.sampled.overall.accuracy },
  ...rows
    .filter((row) => typeof row['eval/accuracy'] === 'number')
    .map((row) => ({ step: row.step, greedy: column([row], 'eval/accuracy')[0]!, sampled: column([row], 'eval/sampled_accuracy')[0]! })),
];
