/**
 * RLOO leave-one-out advantage (ALGORITHMS.md §1; Ahmadian et al. 2024, "Back to Basics", §3.2):
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
import { compensatedSum, groupMembers, isConstantOver } from './groups.js';
import type { AdvantageKernel } from './kernel.js';

const STAGE = 'advantage.rloo';

export const rloo =
  (): AdvantageKernel =>
  ({ rewards, groupIds }) =>
    pipe(
      guarded(rewardsAndGroups(STAGE, rewards, groupIds), () => {
        const out = new Float64Array(rewards.length);
        for (const members of groupMembers(groupIds)) {
          if (members.length === 1) {
            out[members[0]!] = rewards[members[0]!]!;
            continue;
          }
          if (isConstantOver(rewards, members)) continue;
          const total = compensatedSum(rewards, members);
          const others = members.length - 1;
          for (const i of members) out[i] = rewards[i]! - (total - rewards[i]!) / others;
        }
        return out;
      }),
      E.chain((out) => finiteOutput(STAGE, 'advantages', out)),
    );
