/**
 * GRPO group-normalised advantage (docs/algorithms.md §1; Shao et al. 2024, DeepSeekMath §4.1.2):
 *
 *   A_i = (r_i − mean_g(r)) / (std_g(r) + eps),   eps = 1e-6 by default
 *
 * std is the unbiased (n − 1) standard deviation of the group. A group of one sample uses mean 0
 * and std 1, so A_i = r_i / (1 + eps). A group whose rewards are all equal gets 0 for every member
 * (and so does a group whose std is 0 in float64 when eps = 0, where the quotient would be 0/0).
 */
import { inRange, guarded } from '@rlflow/core';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { finiteOutput, rewardsAndGroups } from './checks.js';
import { groupMembers, isConstantOver, meanOver, sampleVarianceOver } from './groups.js';
import type { AdvantageKernel } from './kernel.js';

export const GRPO_EPS = 1e-6;
const STAGE = 'advantage.grpo';

export interface GrpoParams {
  readonly eps?: number;
}

export const grpo =
  ({ eps = GRPO_EPS }: GrpoParams = {}): AdvantageKernel =>
  ({ rewards, groupIds }) =>
    pipe(
      guarded([inRange(STAGE, 'eps', eps, { min: 0 }), ...rewardsAndGroups(STAGE, rewards, groupIds)], () => {
        const out = new Float64Array(rewards.length);
        for (const members of groupMembers(groupIds)) {
          if (members.length === 1) {
            const i = members[0]!;
            out[i] = rewards[i]! / (1 + eps);
            continue;
          }
          if (isConstantOver(rewards, members)) continue;
          const mean = meanOver(rewards, members);
          const denominator = Math.sqrt(sampleVarianceOver(rewards, members, mean)) + eps;
          if (denominator === 0) continue;
          // An overflowed std would quietly give 0; NaN here is reported by finiteOutput below.
          for (const i of members) out[i] = Number.isFinite(denominator) ? (rewards[i]! - mean) / denominator : Number.NaN;
        }
        return out;
      }),
      E.chain((out) => finiteOutput(STAGE, 'advantages', out)),
    );
