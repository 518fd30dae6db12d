/**
 * The change of a per-problem score between two evaluations of the same problems (before and
 * after training), with its uncertainty from the pairing:
 *
 *   dᵢ = afterᵢ − beforeᵢ,  d̄ = Σdᵢ/n,  SE = s_d/√n  (s_d the Bessel-corrected std of the dᵢ),
 *   95% interval d̄ ± 1.96·SE  (normal approximation; for 0/1 scores d̄/SE is McNemar's statistic
 *   up to the n/(n−1) factor).
 *
 * Pairing removes the spread of problem difficulty from the noise, which an unpaired comparison
 * of two accuracies would count twice. Scores are per problem: 0/1 for a greedy answer, the
 * fraction correct of its k answers for a sampled one.
 */
import * as E from 'fp-ts/lib/Either.js';
import { allFinite, guarded, inRange, sameLength, type StageError } from '@rlflow/core';
import { unsafeMean, unsafeVariance } from './summary.js';

export interface PairedDifference {
  readonly n: number;
  /** Mean of after − before. */
  readonly mean: number;
  /** Standard error of the mean difference. */
  readonly se: number;
  /** The 95% interval [mean − 1.96·SE, mean + 1.96·SE]. */
  readonly low: number;
  readonly high: number;
}

const Z95 = 1.959963984540054;

export const pairedDifference = (before: ArrayLike<number>, after: ArrayLike<number>): E.Either<StageError, PairedDifference> =>
  guarded(
    [
      sameLength('stats.paired', 'after', after, 'before', before.length),
      inRange('stats.paired', 'before.length', before.length, { min: 2 }),
      allFinite('stats.paired', 'before', before),
      allFinite('stats.paired', 'after', after),
    ],
    () => {
      const d = Float64Array.from({ length: before.length }, (_, i) => after[i]! - before[i]!);
      const mean = unsafeMean(d);
      const se = Math.sqrt(unsafeVariance(d, 1) / d.length);
      return { n: d.length, mean, se, low: mean - Z95 * se, high: mean + Z95 * se };
    },
  );
