/**
 * REINFORCE++-baseline advantage (docs/algorithms.md §1; Hu 2025, "REINFORCE++", §3 and its
 * group-baseline variant):
 *
 *   a_i = r_i − mean_g(r)            (a_i = r_i for a group of one; 0 in a constant group)
 *   broadcast a_i to the L_i tokens of sequence i, then whiten over every token of the batch:
 *   A_i = (a_i − μ) / sqrt(σ² + eps),   eps = 1e-8 by default
 *   μ = Σ_i L_i a_i / N,   σ² = Σ_i L_i (a_i − μ)² / (N − 1),   N = Σ_i L_i   (σ² = 0 when N = 1)
 *
 * One advantage per sequence is returned (the value each of its tokens carries). When every token
 * carries the same value, μ is that value exactly and the tokens get 0. A batch without tokens
 * (every length 0) is an error; with eps = 0 a zero denominator gives 0.
 */
import { StageError, guarded, inRange, type Check } from '@rlflow/core';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { finiteOutput, present, rewardsAndGroups, tokenLengths } from './checks.js';
import { centreByGroup } from './drgrpo.js';
import { compensatedSum } from './groups.js';
import type { AdvantageKernel } from './kernel.js';

export const REINFORCEPP_EPS = 1e-8;
const STAGE = 'advantage.reinforcepp_baseline';

export interface ReinforceppBaselineParams {
  readonly eps?: number;
}

const someTokens =
  (lengths: ArrayLike<number>): Check =>
  () => {
    for (let i = 0; i < lengths.length; i++) if (lengths[i]! > 0) return undefined;
    return new StageError(STAGE, 'lengths', null, 'empty', 'has no tokens (every length is 0); whitening needs at least one');
  };

/** Token-weighted mean and unbiased variance of the per-sequence values. */
const tokenMoments = (values: Float64Array, lengths: ArrayLike<number>): { mean: number; variance: number } => {
  const tokens = compensatedSum(lengths);
  let first: number | undefined;
  let constant = true;
  for (let i = 0; i < values.length; i++) {
    if (lengths[i]! === 0) continue;
    if (first === undefined) first = values[i]!;
    else if (values[i] !== first) constant = false;
  }
  if (constant) return { mean: first!, variance: 0 };
  const mean = compensatedSum(values, undefined, lengths) / tokens;
  const squares = values.map((a) => (a - mean) * (a - mean));
  return { mean, variance: tokens > 1 ? compensatedSum(squares, undefined, lengths) / (tokens - 1) : 0 };
};

export const reinforceppBaseline =
  ({ eps = REINFORCEPP_EPS }: ReinforceppBaselineParams = {}): AdvantageKernel =>
  ({ rewards, groupIds, lengths }) =>
    pipe(
      guarded(
        [
          inRange(STAGE, 'eps', eps, { min: 0 }),
          ...rewardsAndGroups(STAGE, rewards, groupIds),
          present(STAGE, 'lengths', lengths, 'reinforcepp_baseline whitens over tokens and needs the length of each sequence'),
          ...(lengths === undefined ? [] : [...tokenLengths(STAGE, lengths, 'rewards', rewards.length), someTokens(lengths)]),
        ],
        () => {
          const tokensPer = lengths!;
          const centred = centreByGroup(rewards, groupIds);
          const { mean, variance } = tokenMoments(centred, tokensPer);
          const scale = Math.sqrt(variance + eps);
          // An overflowed variance would quietly give 0; NaN here is reported by finiteOutput below.
          return centred.map((a) => (scale === 0 ? 0 : Number.isFinite(scale) ? (a - mean) / scale : Number.NaN));
        },
      ),
      E.chain((out) => finiteOutput(STAGE, 'advantages', out)),
    );
