/**
 * The figures of a study (`study.json`), from the metrics of its runs; every statistic is
 * @rlflow/eval's (stats/curve.ts, stats/seeds.ts, stats/bootstrap.ts, report/compare.ts):
 *
 * Per run:
 * - final reward, AUC of the reward curve, steps to 90% of the final reward, reward-curve
 *   variance: `summarizeRun` of `rlflow compare` (definitions in libs/eval report/compare.ts);
 * - steps to 90% of the gain: the first step whose trailing moving average (the same window)
 *   reaches v₁ + 0.9·(final − v₁) (`stepsToFraction`, baseline 'initial') — with a warm start the
 *   reward begins near its final value, so 90% of the final value is often reached at step 1;
 * - held-out greedy accuracy and avg@k: `eval/accuracy` and `eval/sampled_accuracy` at the last
 *   step that logged them (every run evaluates at its last step);
 * - entropy: mean of `actor/entropy` over the steps, its final value (last 10%), and its floor —
 *   the minimum of its trailing moving average (the same window);
 * - response length of correct and of wrong answers: the mean over the steps of
 *   `response_length/correct_mean` and `response_length/wrong_mean` (kept groups of each step).
 *
 * Per preset, for each figure: the seeds' mean, sample std and 95% percentile-bootstrap interval of
 * the mean (`aggregateSeeds`), over the runs where the figure exists.
 *
 * Paired comparisons A vs B on a figure, over the seeds both ran (seed s of A against seed s of
 * B: same prompt pool, same held-out problems): the mean difference A − B and the relative change
 * mean(A)/mean(B) − 1, each with a 95% percentile-bootstrap interval over the seed pairs
 * (`bootstrapCi` resampling pair indices). A claim holds when the relative change's interval lies
 * on the claimed side of 0, is contradicted when it lies on the other, and is undecided otherwise.
 */
import * as E from 'fp-ts/lib/Either.js';
import {
  aggregateSeeds,
  bootstrapCi,
  finalValue,
  metricCurve,
  stepsTo90Window,
  stepsToFraction,
  summarizeRun,
  trailingMovingAverage,
  unsafeMean,
  type ConfidenceInterval,
  type RunData,
  type SeedAggregate,
} from '@rlflow/eval';

export const STUDY_FORMAT = 'rlflow-study/1';

/** The per-run figures, in the order study.md lists them. */
export const RUN_FIGURES = [
  'heldOutGreedy',
  'heldOutSampled',
  'finalReward',
  'stepsTo90',
  'stepsTo90Gain',
  'auc',
  'rewardVariance',
  'entropyMean',
  'entropyFinal',
  'entropyFloor',
  'lengthCorrect',
  'lengthWrong',
] as const;
export type RunFigure = (typeof RUN_FIGURES)[number];

export const FIGURE_LABELS: Readonly<Record<RunFigure, string>> = {
  heldOutGreedy: 'held-out greedy accuracy (final)',
  heldOutSampled: 'held-out avg@k (final)',
  finalReward: 'final reward',
  stepsTo90: 'steps to 90% of final reward',
  stepsTo90Gain: 'steps to 90% of the reward gain',
  auc: 'AUC of the reward curve',
  rewardVariance: 'reward-curve variance',
  entropyMean: 'entropy (mean over steps)',
  entropyFinal: 'entropy (final)',
  entropyFloor: 'entropy floor',
  lengthCorrect: 'length of correct answers (tokens)',
  lengthWrong: 'length of wrong answers (tokens)',
};

export type RunFigures = Readonly<Record<RunFigure, number | null>>;

export interface StudyRun extends RunFigures {
  readonly preset: string;
  readonly seed: number;
  /** The run directory relative to the study directory. */
  readonly dir: string;
  readonly steps: number;
}

export interface FigureAggregate {
  /** Runs where the figure exists (e.g. runs whose reward reached 90% of its final value). */
  readonly n: number;
  readonly of: number;
  readonly mean: number | null;
  readonly std: number | null;
  readonly ci95: readonly [number, number] | null;
}

export interface PresetSummary {
  readonly preset: string;
  readonly seeds: readonly number[];
  readonly figures: Readonly<Record<RunFigure, FigureAggregate>>;
}

export interface Claim {
  readonly a: string;
  readonly b: string;
  readonly figure: RunFigure;
  /** What the papers claim, in words. */
  readonly claim: string;
  /** The sign of the relative change A/B − 1 the claim predicts. */
  readonly direction: 'lower' | 'higher';
}

/** The comparisons the issue asks for: ACPO's convergence and variance claims (against DAPO and PAPO, as the paper makes them, and GRPO), APO's DADS and STCR claims; a pair is compared when the grid holds both presets. */
export const STUDY_CLAIMS: readonly Claim[] = [
  { a: 'acpo', b: 'dapo', figure: 'stepsTo90', claim: 'ACPO converges 23% faster than DAPO', direction: 'lower' },
  { a: 'acpo', b: 'dapo', figure: 'stepsTo90Gain', claim: 'ACPO converges 23% faster than DAPO', direction: 'lower' },
  { a: 'acpo', b: 'dapo', figure: 'rewardVariance', claim: 'ACPO trains with 37% lower variance than DAPO', direction: 'lower' },
  { a: 'acpo', b: 'papo', figure: 'stepsTo90', claim: 'ACPO converges 23% faster than PAPO', direction: 'lower' },
  { a: 'acpo', b: 'papo', figure: 'stepsTo90Gain', claim: 'ACPO converges 23% faster than PAPO', direction: 'lower' },
  { a: 'acpo', b: 'papo', figure: 'rewardVariance', claim: 'ACPO trains with 37% lower variance than PAPO', direction: 'lower' },
  { a: 'acpo', b: 'grpo', figure: 'stepsTo90', claim: 'ACPO converges faster than GRPO', direction: 'lower' },
  { a: 'acpo', b: 'grpo', figure: 'stepsTo90Gain', claim: 'ACPO converges faster than GRPO', direction: 'lower' },
  { a: 'acpo', b: 'grpo', figure: 'rewardVariance', claim: 'ACPO trains with lower variance than GRPO', direction: 'lower' },
  { a: 'apo', b: 'grpo', figure: 'lengthWrong', claim: 'APO (STCR) shortens wrong answers', direction: 'lower' },
  { a: 'apo', b: 'grpo', figure: 'entropyFloor', claim: 'APO (DADS) keeps a higher entropy floor', direction: 'higher' },
];

export type Verdict = 'holds' | 'contradicted' | 'undecided' | 'no data';

export interface Interval {
  readonly estimate: number;
  readonly ci95: readonly [number, number];
}

export interface PairedComparison extends Claim {
  /** Seeds both presets ran on which both have the figure. */
  readonly seeds: readonly number[];
  readonly difference: Interval | null;
  /** mean(A)/mean(B) − 1; null when mean(B) can be 0 in a resample (some B value ≤ 0). */
  readonly relative: Interval | null;
  readonly verdict: Verdict;
}

export interface StudySummary {
  readonly format: typeof STUDY_FORMAT;
  readonly presets: readonly string[];
  readonly seeds: readonly number[];
  readonly steps: number;
  readonly bootstrap: { readonly resamples: number; readonly seed: number };
  readonly runs: readonly StudyRun[];
  readonly summary: readonly PresetSummary[];
  readonly comparisons: readonly PairedComparison[];
  readonly notes: readonly string[];
}

export interface StudyRunData {
  readonly preset: string;
  readonly seed: number;
  readonly dir: string;
  readonly data: RunData;
}

const orNull = <A>(result: E.Either<Error, A>): A | null => (E.isRight(result) ? result.right : null);

const lastValue = (data: RunData, key: string): number | null => {
  const curve = metricCurve(data.rows, key);
  return curve.values.length === 0 ? null : curve.values[curve.values.length - 1]!;
};

const meanOf = (data: RunData, key: string): number | null => {
  const curve = metricCurve(data.rows, key);
  return curve.values.length === 0 ? null : unsafeMean(curve.values);
};

/** The figures of one run (definitions above). */
export const runFigures = (data: RunData): RunFigures => {
  const { summary } = summarizeRun(data);
  const reward = metricCurve(data.rows, 'reward/mean');
  const entropy = metricCurve(data.rows, 'actor/entropy');
  const window = stepsTo90Window(reward.values.length);
  return {
    heldOutGreedy: lastValue(data, 'eval/accuracy'),
    heldOutSampled: lastValue(data, 'eval/sampled_accuracy'),
    finalReward: summary.finalReward,
    stepsTo90: summary.stepsTo90,
    stepsTo90Gain: reward.values.length === 0 ? null : orNull(stepsToFraction({ fraction: 0.9, baseline: 'initial', window })(reward)),
    auc: summary.auc,
    rewardVariance: summary.rewardVariance,
    entropyMean: meanOf(data, 'actor/entropy'),
    entropyFinal: entropy.values.length === 0 ? null : orNull(finalValue()(entropy)),
    entropyFloor: entropy.values.length === 0 ? null : Math.min(...trailingMovingAverage(entropy.values, stepsTo90Window(entropy.values.length))),
    lengthCorrect: meanOf(data, 'response_length/correct_mean'),
    lengthWrong: meanOf(data, 'response_length/wrong_mean'),
  };
};

const aggregate = (values: readonly (number | null)[], bootstrap: { readonly seed: number; readonly resamples: number }): FigureAggregate => {
  const present = values.filter((v): v is number => v !== null);
  const aggregated: SeedAggregate | null = present.length === 0 ? null : orNull(aggregateSeeds(bootstrap)(present));
  return {
    n: present.length,
    of: values.length,
    mean: aggregated?.mean ?? null,
    std: aggregated?.std ?? null,
    ci95: aggregated === null ? null : [aggregated.ci.lower, aggregated.ci.upper],
  };
};

const interval = (ci: ConfidenceInterval | null): Interval | null => (ci === null ? null : { estimate: ci.estimate, ci95: [ci.lower, ci.upper] });

const verdictOf = (direction: Claim['direction'], relative: Interval | null, difference: Interval | null): Verdict => {
  const measure = relative ?? difference;
  if (measure === null) return 'no data';
  const [lo, hi] = measure.ci95;
  const claimedSide = direction === 'lower' ? hi < 0 : lo > 0;
  const otherSide = direction === 'lower' ? lo > 0 : hi < 0;
  return claimedSide ? 'holds' : otherSide ? 'contradicted' : 'undecided';
};

/** A vs B on one figure, paired by seed. */
export const pairedComparison = (claim: Claim, runs: readonly StudyRun[], bootstrap: { readonly seed: number; readonly resamples: number }): PairedComparison => {
  const of = (preset: string) => new Map(runs.filter((r) => r.preset === preset).map((r) => [r.seed, r[claim.figure]]));
  const [a, b] = [of(claim.a), of(claim.b)];
  const seeds = [...a.keys()].filter((s) => a.get(s) !== null && a.get(s) !== undefined && b.get(s) !== null && b.get(s) !== undefined).sort((x, y) => x - y);
  if (seeds.length === 0) return { ...claim, seeds, difference: null, relative: null, verdict: 'no data' };
  const as = seeds.map((s) => a.get(s)!);
  const bs = seeds.map((s) => b.get(s)!);
  const options = { seed: bootstrap.seed, resamples: bootstrap.resamples };
  const difference = interval(orNull(bootstrapCi(options)(as.map((x, i) => x - bs[i]!))));
  const indices = seeds.map((_, i) => i);
  const ratio = (draw: Float64Array): number => {
    let sa = 0;
    let sb = 0;
    for (const i of draw) {
      sa += as[i]!;
      sb += bs[i]!;
    }
    return sa / sb - 1;
  };
  const relative = bs.every((x) => x > 0) ? interval(orNull(bootstrapCi({ ...options, statistic: ratio })(indices))) : null;
  return { ...claim, seeds, difference, relative, verdict: verdictOf(claim.direction, relative, difference) };
};

export const DEFAULT_BOOTSTRAP = { seed: 0, resamples: 10_000 } as const;

/** The study's figures from its runs' metrics (pure). */
export const summarizeStudy = (
  plan: { readonly presets: readonly string[]; readonly seeds: readonly number[]; readonly steps: number },
  loaded: readonly StudyRunData[],
  bootstrap: { readonly seed: number; readonly resamples: number } = DEFAULT_BOOTSTRAP,
): StudySummary => {
  const notes = loaded.flatMap(({ data }) => data.notes);
  const runs: StudyRun[] = loaded.map(({ preset, seed, dir, data }) => ({
    preset,
    seed,
    dir,
    steps: data.rows.length === 0 ? 0 : data.rows[data.rows.length - 1]!.step,
    ...runFigures(data),
  }));
  const summary = plan.presets.map((preset): PresetSummary => {
    const mine = runs.filter((r) => r.preset === preset);
    const figures = Object.fromEntries(RUN_FIGURES.map((figure) => [figure, aggregate(mine.map((r) => r[figure]), bootstrap)])) as Record<RunFigure, FigureAggregate>;
    return { preset, seeds: mine.map((r) => r.seed), figures };
  });
  const comparisons = STUDY_CLAIMS.filter((c) => plan.presets.includes(c.a) && plan.presets.includes(c.b)).map((c) => pairedComparison(c, runs, bootstrap));
  for (const run of runs) if (run.heldOutSampled === null) notes.push(`${run.dir}: no eval/sampled_accuracy (set eval.samples > 0 for avg@k)`);
  return { format: STUDY_FORMAT, presets: plan.presets, seeds: plan.seeds, steps: plan.steps, bootstrap, runs, summary, comparisons, notes };
};
