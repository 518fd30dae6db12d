/**
 * Dr. GRPO advantage (docs/algorithms.md §1; Liu et al. 2025, "Understanding R1-Zero-Like Training", §3.1):
 *
 *   A_i = r_i − mean_g(r)
 *
 * No std normalisation. A group of one sample has A_i = r_i; a group whose rewards are all equal
 * gets 0 for every member.
 */
import { guarded } from '@rlflow/core';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { finiteOutput, rewardsAndGroups } from './checks.js';
import { advantagesByGroup, meanOver } from './groups.js';
import type { AdvantageKernel } from './kernel.js';

const STAGE = 'advantage.drgrpo';

/** r_i − mean_g(r) per sequence (r_i for a group of one, 0 in a constant group), unchecked. */
export const centreByGroup = (rewards: ArrayLike<number>, groupIds: ArrayLike<number>): Float64Array => {
  return advantagesByGroup(rewards, groupIds, (members) => {
    const mean = meanOver(rewards, members);
    return (i) => rewards[i]! - mean;
  });
};

export const drgrpo =
  (): AdvantageKernel =>
  ({ rewards, groupIds }) =>
    pipe(
      guarded(rewardsAndGroups(STAGE, rewards, groupIds), () => centreByGroup(rewards, groupIds)),
      E.chain((out) => finiteOutput(STAGE, 'advantages', out)),
    );
