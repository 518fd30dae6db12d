/**
 * The batch stage of an outcome-advantage estimator (docs/algorithms.md §1): runs the kernel on the
 * batch's rewards, group ids and lengths and fills `advantages` (one per sequence, broadcast to
 * its tokens by the losses).
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Batch, Stage } from '@rlflow/core';
import type { AdvantageKernel } from './kernel.js';

export const advantageStage =
  (estimator: AdvantageKernel): Stage<Batch, Batch> =>
  (batch) =>
    E.map((advantages: Float64Array) => ({ ...batch, advantages }))(
      estimator({ rewards: batch.rewards, groupIds: batch.groupIds, lengths: batch.lengths }),
    );
