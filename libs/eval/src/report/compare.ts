/**
 * Per-run and per-algorithm figures for `rlflow compare` (definitions in `stats/curve.ts`):
 *
 * - final reward: mean of `reward/mean` over the last 10% of logged steps;
 * - final accuracy: the same over `eval/accuracy` when the run logs it, else `reward/accuracy`;
 * - AUC: trapezoid area under `reward/mean` divided by the step span;
 * - steps to 90%: first step where the trailing moving average of `reward/mean` over
 *   max(1, round(n/20)) points reaches 0.9 × final reward;
 * - reward-curve variance: population variance of the step-to-step changes of `reward/mean`.
 *
 * Across the seeds of an algorithm: mean, sample standard deviation, and for the final reward a
 * seeded 95% percentile-bootstrap interval of the mean (`stats/seeds.ts`).
 */
import * as E from 'fp-ts/lib/Either.js';
import { curveVariance, finalValue, normalizedAuc, stepsToFraction, type Curve } from '../stats/curve.js';
import { aggregateSeeds, type SeedAggregate } from '../stats/seeds.js';
import { summarize, type SampleSummary } from '../stats/summary.js';
import { metricCurve, type RunData } from './run.js';

export const REWARD_KEY = 'reward/mean';
export const EVAL_ACCURACY_KEY = 'eval/accuracy';
export const TRAIN_ACCURACY_KEY = 'reward/accuracy';

export interface RunSummary {
  readonly dir: string;
  readonly algorithm: string;
  readonly seed: number | null;
  /** Logged steps with a finite reward. */
  readonly points: number;
  readonly lastStep: number | null;
  readonly finalReward: number | null;
  readonly finalAccuracy: number | null;
  /** Which metric the final accuracy is taken from, when any. */
  readonly accuracyKey: string | null;
  readonly auc: number | null;
  readonly stepsTo90: number | null;
  readonly rewardVariance: number | null;
}

export interface AlgorithmSummary {
  readonly algorithm: string;
  readonly runs: readonly RunSummary[];
  readonly finalReward: SeedAggregate | null;
  readonly finalAccuracy: SampleSummary | null;
  readonly accuracyKeys: readonly string[];
  readonly auc: SampleSummary | null;
  /** Over the runs that reached 90% of their final reward. */
  readonly stepsTo90: SampleSummary | null;
  readonly stepsTo90Reached: number;
  readonly rewardVariance: SampleSummary | null;
}

export interface Comparison {
  readonly algorithms: readonly AlgorithmSummary[];
  readonly notes: readonly string[];
}

const orNull = <A>(result: E.Either<Error, A>): A | null => (E.isRight(result) ? result.right : null);

export const stepsTo90Window = (points: number): number => Math.max(1, Math.round(points / 20));

/** The figures of one run; a metric the run lacks gives `null` and a note. */
export const summarizeRun = (run: RunData): { readonly summary: RunSummary; readonly notes: readonly string[] } => {
  const notes: string[] = [];
  const reward = metricCurve(run.rows, REWARD_KEY);
  if (reward.nonFinite > 0) notes.push(`${run.dir}: ${reward.nonFinite} non-finite ${REWARD_KEY} value(s) skipped`);
  if (reward.values.length === 0) notes.push(`${run.dir}: no ${REWARD_KEY} values`);
  const evalAccuracy = metricCurve(run.rows, EVAL_ACCURACY_KEY);
  const trainAccuracy = metricCurve(run.rows, TRAIN_ACCURACY_KEY);
  const [accuracyKey, accuracy]: [string | null, Curve | null] =
    evalAccuracy.values.length > 0 ? [EVAL_ACCURACY_KEY, evalAccuracy] : trainAccuracy.values.length > 0 ? [TRAIN_ACCURACY_KEY, trainAccuracy] : [null, null];
  if (accuracy === null) notes.push(`${run.dir}: neither ${EVAL_ACCURACY_KEY} nor ${TRAIN_ACCURACY_KEY}`);
  const hasReward = reward.values.length > 0;
  return {
    summary: {
      dir: run.dir,
      algorithm: run.algorithm,
      seed: run.seed,
      points: reward.values.length,
      lastStep: hasReward ? reward.steps[reward.steps.length - 1]! : null,
      finalReward: hasReward ? orNull(finalValue()(reward)) : null,
      finalAccuracy: accuracy === null ? null : orNull(finalValue()(accuracy)),
      accuracyKey,
      auc: hasReward ? orNull(normalizedAuc(reward)) : null,
      stepsTo90: hasReward ? orNull(stepsToFraction({ fraction: 0.9, window: stepsTo90Window(reward.values.length) })(reward)) : null,
      rewardVariance: reward.values.length >= 2 ? orNull(curveVariance()(reward)) : null,
    },
    notes,
  };
};

const present = (values: ReadonlyArray<number | null>): number[] => values.filter((v): v is number => v !== null);

/** Groups runs by algorithm (in order of first appearance) and aggregates each group across its seeds. */
export const compareRuns = (runs: readonly RunData[], options: { readonly seed: number; readonly resamples?: number }): Comparison => {
  const notes: string[] = runs.flatMap((run) => run.notes);
  const summaries = runs.map((run) => {
    const { summary, notes: runNotes } = summarizeRun(run);
    notes.push(...runNotes);
    return summary;
  });
  const groups = new Map<string, RunSummary[]>();
  for (const summary of summaries) groups.set(summary.algorithm, [...(groups.get(summary.algorithm) ?? []), summary]);
  const algorithms = [...groups.entries()].map(([algorithm, group]): AlgorithmSummary => {
    const seeds = group.map((run) => run.seed);
    const repeated = seeds.filter((seed, i) => seed !== null && seeds.indexOf(seed) !== i);
    if (repeated.length > 0) notes.push(`${algorithm}: seed(s) ${[...new Set(repeated)].join(', ')} appear in more than one run`);
    const finals = present(group.map((run) => run.finalReward));
    const steps = present(group.map((run) => run.stepsTo90));
    return {
      algorithm,
      runs: group,
      finalReward: finals.length === 0 ? null : orNull(aggregateSeeds({ seed: options.seed, resamples: options.resamples ?? 10_000 })(finals)),
      finalAccuracy: orNull(summarize(present(group.map((run) => run.finalAccuracy)))),
      accuracyKeys: [...new Set(group.flatMap((run) => (run.accuracyKey === null ? [] : [run.accuracyKey])))],
      auc: orNull(summarize(present(group.map((run) => run.auc)))),
      stepsTo90: orNull(summarize(steps)),
      stepsTo90Reached: steps.length,
      rewardVariance: orNull(summarize(present(group.map((run) => run.rewardVariance)))),
    };
  });
  return { algorithms, notes };
};
