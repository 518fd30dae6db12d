/**
 * ACPO strategic gating sampling (docs/algorithms.md §8; DAPO §3.2 dynamic sampling is the case
 * N_max = G − 1 on accuracy):
 *
 *   keep group g  ⇔  0 < #{i : r_i > τ} ≤ N_max        (defaults τ = 0.5, N_max = G − 1)
 *
 * A group that no response passes, or that too many pass, carries no learning signal (every
 * advantage is 0 under GRPO), so it is rejected and the sampler draws more prompts. When `nMax`
 * is not set each group uses its own size minus one.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError, guarded, inRange, nonEmpty, type Check, type Stage } from '@rlflow/core';
import { integerIn } from './checks.js';

const STAGE = 'curriculum.gate';
export const GATE_TAU = 0.5;

export interface GateParams {
  /** A response passes when its reward is strictly above τ. */
  readonly tau?: number;
  /** The most passing responses a kept group may have; G − 1 of each group when unset. */
  readonly nMax?: number;
}

/** The gate's predicate on one group's rewards, unchecked. */
export const passesGate =
  ({ tau = GATE_TAU, nMax }: GateParams = {}) =>
  (rewards: ArrayLike<number>): boolean => {
    let passing = 0;
    for (let i = 0; i < rewards.length; i++) if (rewards[i]! > tau) passing++;
    return passing > 0 && passing <= (nMax ?? rewards.length - 1);
  };

const groupsChecks = (tau: number, nMax: number | undefined, rewardsByGroup: ReadonlyArray<ArrayLike<number>>): Check[] => [
  inRange(STAGE, 'tau', tau, {}),
  ...(nMax === undefined ? [] : [integerIn(STAGE, 'nMax', nMax, { min: 0 })]),
  nonEmpty(STAGE, 'rewardsByGroup', rewardsByGroup),
  () => {
    for (let g = 0; g < rewardsByGroup.length; g++) {
      const rewards = rewardsByGroup[g]!;
      if (rewards.length === 0) return new StageError(STAGE, 'rewardsByGroup', g, 'empty', 'is an empty group');
      for (let i = 0; i < rewards.length; i++) {
        if (!Number.isFinite(rewards[i])) {
          return new StageError(STAGE, 'rewardsByGroup', [g, i], 'not-finite', `is ${rewards[i]}, expected a finite number`);
        }
      }
    }
    return undefined;
  },
];

/** Whether to keep each group, given the rewards of its responses. */
export const gate =
  (params: GateParams = {}): Stage<ReadonlyArray<ArrayLike<number>>, boolean[]> =>
  (rewardsByGroup) =>
    guarded(groupsChecks(params.tau ?? GATE_TAU, params.nMax, rewardsByGroup), () => rewardsByGroup.map(passesGate(params)));

/** The outcome of gating a set of groups: the kept ones and the rejected ones, each in input order. */
export interface GateOutcome<G> {
  readonly kept: readonly G[];
  readonly rejected: readonly G[];
}

/** The gate as a stage over groups of any shape that carry their rewards. */
export const gateGroups =
  <G extends { readonly rewards: ArrayLike<number> }>(params: GateParams = {}): Stage<readonly G[], GateOutcome<G>> =>
  (groups) =>
    E.map((keep: boolean[]) => ({
      kept: groups.filter((_, g) => keep[g]),
      rejected: groups.filter((_, g) => !keep[g]),
    }))(gate(params)(groups.map((group) => group.rewards)));
