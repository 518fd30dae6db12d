/**
 * Summary statistics of a sample x₁…xₙ: mean x̄ = Σxᵢ/n, sample standard deviation
 * s = √(Σ(xᵢ − x̄)² / (n − 1)) (Bessel-corrected; undefined for n = 1, reported as `null`), and the
 * linear-interpolation quantile of a sorted sample (Hyndman & Fan 1996, definition 7; numpy's default):
 * Q(p) = x₍ⱼ₎ + (h − j)(x₍ⱼ₊₁₎ − x₍ⱼ₎) with h = (n − 1)p, j = ⌊h⌋ (0-based).
 */
import * as E from 'fp-ts/lib/Either.js';
import { allFinite, guarded, inRange, nonEmpty, type StageError } from '@rlflow/core';

/**
 * Σxᵢ/n as x₁ + Σ(xᵢ − x₁)/n, the shifted sum compensated (Neumaier), so a constant sample gives
 * exactly its value and long samples do not lose digits.
 */
export const unsafeMean = (xs: ArrayLike<number>): number => {
  const shift = xs[0]!;
  let sum = 0;
  let compensation = 0;
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i]! - shift;
    const t = sum + x;
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return shift + (sum + compensation) / xs.length;
};

export const mean = (xs: ArrayLike<number>, field = 'values'): E.Either<StageError, number> =>
  guarded([nonEmpty('mean', field, xs), allFinite('mean', field, xs)], () => unsafeMean(xs));

/** Σ(xᵢ − x̄)² / (n − ddof) for a non-empty finite sample with n > ddof. */
export const unsafeVariance = (xs: ArrayLike<number>, ddof: 0 | 1): number => {
  const m = unsafeMean(xs);
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += (xs[i]! - m) ** 2;
  return sum / (xs.length - ddof);
};

export interface SampleSummary {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1 in the denominator); `null` for a single value. */
  readonly std: number | null;
  readonly min: number;
  readonly max: number;
}

export const summarize = (xs: ArrayLike<number>, field = 'values'): E.Either<StageError, SampleSummary> =>
  guarded([nonEmpty('summarize', field, xs), allFinite('summarize', field, xs)], () => {
    const values = Array.from(xs);
    return {
      n: values.length,
      mean: unsafeMean(values),
      std: values.length > 1 ? Math.sqrt(unsafeVariance(values, 1)) : null,
      min: Math.min(...values),
      max: Math.max(...values),
    };
  });

/** Q(p) of an ascending sorted, non-empty sample (definition 7). */
export const unsafeQuantileSorted = (sorted: ArrayLike<number>, p: number): number => {
  const h = (sorted.length - 1) * p;
  const j = Math.floor(h);
  const lo = sorted[j]!;
  const hi = sorted[Math.min(j + 1, sorted.length - 1)]!;
  return lo + (h - j) * (hi - lo);
};

export const quantile = (xs: ArrayLike<number>, p: number, field = 'values'): E.Either<StageError, number> =>
  guarded([nonEmpty('quantile', field, xs), allFinite('quantile', field, xs), inRange('quantile', 'p', p, { min: 0, max: 1 })], () =>
    unsafeQuantileSorted(
      Float64Array.from(xs).sort(),
      p,
    ),
  );
