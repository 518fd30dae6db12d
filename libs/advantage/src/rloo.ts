/**
 * RLOO leave-one-out advantage (docs/algorithms.md §1; Ahmadian et al. 2024, "Back to Basics", §3.2):
 *
 *   A_i = r_i − (Σ_g r − r_i) / (n − 1)
 *
 * The baseline of each sample is the mean reward of the other samples of its group. A group of
 * one sample has A_i = r_i; a group whose rewards are all equal gets 0 for every member.
 */
import { guarded } from '@rlflow/core';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { finiteOutput, rewardsAndGroups } from './checks.js';
import { advantagesByGroup, compensatedSum } from './groups.js';
import type { AdvantageKernel } from './kernel.js';

const STAGE = 'advantage.rloo';

export const rloo =
  (): AdvantageKernel =>
  ({ rewards, groupIds }) =>
    pipe(
      guarded(rewardsAndGroups(STAGE, rewards, groupIds), () =>
        advantagesByGroup(rewards, groupIds, (members) => {
          const total = compensatedSum(rewards, members);
          return (i) => rewards[i]! - (total - rewards[i]!) / (members.length - 1);
        }),
      ),
      E.chain((out) => finiteOutput(STAGE, 'advantages', out)),
    );
