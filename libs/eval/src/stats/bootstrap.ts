/**
 * Percentile bootstrap confidence interval (Efron & Tibshirani 1993, §13.3): draw B resamples of
 * size n with replacement, compute the statistic θ*_b of each, and take the α/2 and 1 − α/2
 * quantiles (definition 7, see `summary.ts`) of θ*₁…θ*_B as the interval for confidence 1 − α.
 * Resampling indices come from the seeded core `Rng`, so an interval is reproducible from its seed.
 */
import * as E from 'fp-ts/lib/Either.js';
import { allFinite, guarded, inRange, nonEmpty, Rng, type StageError } from '@rlflow/core';
import { unsafeMean, unsafeQuantileSorted } from './summary.js';

export interface BootstrapOptions {
  /** Number of resamples B (default 10 000). */
  readonly resamples?: number;
  /** Confidence level 1 − α (default 0.95). */
  readonly confidence?: number;
  readonly seed: number;
  /** The statistic (default: the mean). */
  readonly statistic?: (sample: Float64Array) => number;
}

export interface ConfidenceInterval {
  /** The statistic of the original sample. */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  readonly confidence: number;
  readonly resamples: number;
}

export const bootstrapCi =
  (options: BootstrapOptions) =>
  (xs: ArrayLike<number>): E.Either<StageError, ConfidenceInterval> => {
    const resamples = options.resamples ?? 10_000;
    const confidence = options.confidence ?? 0.95;
    const statistic = options.statistic ?? unsafeMean;
    return guarded(
      [
        nonEmpty('bootstrap', 'values', xs),
        allFinite('bootstrap', 'values', xs),
        inRange('bootstrap', 'confidence', confidence, { min: 0, max: 1, exclusiveMin: true }),
        inRange('bootstrap', 'resamples', Number.isInteger(resamples) ? resamples : Number.NaN, { min: 1 }),
      ],
      () => {
        const sample = Float64Array.from(xs);
        const n = sample.length;
        const rng = Rng.fromSeed(options.seed);
        const stats = new Float64Array(resamples);
        const draw = new Float64Array(n);
        for (let b = 0; b < resamples; b++) {
          for (let i = 0; i < n; i++) draw[i] = sample[rng.int(n)]!;
          stats[b] = statistic(draw);
        }
        stats.sort();
        const alpha = 1 - confidence;
        return {
          estimate: statistic(sample),
          lower: unsafeQuantileSorted(stats, alpha / 2),
          upper: unsafeQuantileSorted(stats, 1 - alpha / 2),
          confidence,
          resamples,
        };
      },
    );
  };
