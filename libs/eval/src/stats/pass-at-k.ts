/**
 * pass@k and avg@k over n sampled answers per problem, c of them correct.
 *
 * pass@k, the unbiased estimator of Chen et al. 2021 ("Evaluating Large Language Models Trained on
 * Code", §2.1, eq. 1): pass@k = 1 − C(n − c, k) / C(n, k), computed as the paper's numerically stable
 * product 1 − ∏_{i = n−c+1}^{n} (1 − k/i) (which is 1 when n − c < k). The mean over problems is the
 * benchmark's pass@k.
 *
 * avg@k: the expected accuracy of one answer when k are sampled per problem, mean over problems of
 * c/n (with n = k samples, the fraction correct; equal to pass@1).
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';

export interface SampleCounts {
  /** Answers sampled for the problem. */
  readonly n: number;
  /** How many of them are correct. */
  readonly c: number;
}

const checkCounts = (stage: string, counts: readonly SampleCounts[], k: number | undefined): StageError | undefined => {
  if (counts.length === 0) return new StageError(stage, 'problems', null, 'empty', 'is empty');
  if (k !== undefined && (!Number.isInteger(k) || k < 1)) return new StageError(stage, 'k', null, 'out-of-range', `is ${k}, expected an integer ≥ 1`);
  for (let i = 0; i < counts.length; i++) {
    const { n, c } = counts[i]!;
    if (!Number.isInteger(n) || n < 1) return new StageError(stage, 'problems.n', i, 'not-integer', `is ${n}, expected an integer ≥ 1`);
    if (!Number.isInteger(c) || c < 0 || c > n) return new StageError(stage, 'problems.c', i, 'out-of-range', `is ${c}, expected an integer in [0, n = ${n}]`);
    if (k !== undefined && k > n) return new StageError(stage, 'problems.n', i, 'out-of-range', `is ${n}, fewer samples than k = ${k}`);
  }
  return undefined;
};

/** pass@k of one problem; n, c, k are checked by the callers. */
export const unsafePassAtK = (n: number, c: number, k: number): number => {
  if (n - c < k) return 1;
  let product = 1;
  for (let i = n - c + 1; i <= n; i++) product *= 1 - k / i;
  return 1 - product;
};

/** pass@k of one problem with n samples, c correct. */
export const passAtK = (n: number, c: number, k: number): E.Either<StageError, number> => {
  const problem = checkCounts('pass@k', [{ n, c }], k);
  return problem === undefined ? E.right(unsafePassAtK(n, c, k)) : E.left(problem);
};

/** The mean pass@k over problems. */
export const meanPassAtK =
  (k: number) =>
  (problems: readonly SampleCounts[]): E.Either<StageError, number> => {
    const problem = checkCounts('pass@k', problems, k);
    if (problem !== undefined) return E.left(problem);
    return E.right(problems.reduce((sum, p) => sum + unsafePassAtK(p.n, p.c, k), 0) / problems.length);
  };

/** avg@k: the mean over problems of the fraction of their samples that are correct. */
export const avgAtK = (problems: readonly SampleCounts[]): E.Either<StageError, number> => {
  const problem = checkCounts('avg@k', problems, undefined);
  if (problem !== undefined) return E.left(problem);
  return E.right(problems.reduce((sum, p) => sum + p.c / p.n, 0) / problems.length);
};

/** Counts from per-problem correctness flags (one array of k booleans per problem). */
export const countsFromFlags = (flags: ReadonlyArray<readonly boolean[]>): SampleCounts[] =>
  flags.map((samples) => ({ n: samples.length, c: samples.filter(Boolean).length }));
