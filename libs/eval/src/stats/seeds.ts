/**
 * Across-seed aggregation of one per-run number (final reward, AUC, …): n, mean, sample standard
 * deviation (n − 1) and a seeded percentile-bootstrap confidence interval of the mean
 * (`bootstrap.ts`). With few seeds the bootstrap interval is narrow-biased (it cannot be wider
 * than the spread of the seeds); report n beside it.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { StageError } from '@rlflow/core';
import { bootstrapCi, type ConfidenceInterval } from './bootstrap.js';
import { summarize, type SampleSummary } from './summary.js';

export interface SeedAggregate extends SampleSummary {
  readonly ci: ConfidenceInterval;
}

export const aggregateSeeds =
  (options: { readonly seed: number; readonly resamples?: number; readonly confidence?: number }) =>
  (values: ArrayLike<number>): E.Either<StageError, SeedAggregate> =>
    pipe(
      summarize(values, 'per-seed values'),
      E.chain((summary) =>
        E.map((ci: ConfidenceInterval) => ({ ...summary, ci }))(
          bootstrapCi({ seed: options.seed, resamples: options.resamples ?? 10_000, confidence: options.confidence ?? 0.95 })(values),
        ),
      ),
    );
