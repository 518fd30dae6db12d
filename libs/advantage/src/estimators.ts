/**
 * The registry of outcome-advantage estimators (docs/algorithms.md §1), keyed by the name a config
 * uses, in the manner of verl's `core_algos.py`:
 *
 *   grpo                  A_i = (r_i − mean_g r) / (std_g r + eps)
 *   drgrpo                A_i = r_i − mean_g r
 *   rloo                  A_i = r_i − (Σ_g r − r_i)/(n − 1)
 *   reinforcepp_baseline  a_i = r_i − mean_g r, whitened over the batch's tokens
 *
 * `eps` is read by grpo and reinforcepp_baseline; drgrpo and rloo have no parameters.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';
import { drgrpo } from './drgrpo.js';
import { grpo } from './grpo.js';
import type { AdvantageKernel } from './kernel.js';
import { reinforceppBaseline } from './reinforcepp-baseline.js';
import { rloo } from './rloo.js';

export interface AdvantageEstimatorParams {
  readonly eps?: number;
}

export interface AdvantageEstimator {
  readonly create: (params?: AdvantageEstimatorParams) => AdvantageKernel;
}

/** The registry: its keys are the names a config may use (add an estimator here and nowhere else). */
export const advantageEstimators = {
  grpo: { create: (params = {}) => grpo(params) },
  drgrpo: { create: () => drgrpo() },
  rloo: { create: () => rloo() },
  reinforcepp_baseline: { create: (params = {}) => reinforceppBaseline(params) },
} as const satisfies Readonly<Record<string, AdvantageEstimator>>;

export type AdvantageEstimatorName = keyof typeof advantageEstimators;

/** The registry's names, in its order. */
export const advantageEstimatorNames = Object.keys(advantageEstimators) as readonly AdvantageEstimatorName[];

export const isAdvantageEstimatorName = (name: string): name is AdvantageEstimatorName => Object.hasOwn(advantageEstimators, name);

/** The kernel a config string names, or a StageError listing the known names. */
export const advantageEstimator = (name: string, params: AdvantageEstimatorParams = {}): E.Either<StageError, AdvantageKernel> =>
  isAdvantageEstimatorName(name)
    ? E.right(advantageEstimators[name].create(params))
    : E.left(
        new StageError('advantage', 'estimator', null, 'invalid', `is "${name}", expected one of ${advantageEstimatorNames.join(', ')}`),
      );
