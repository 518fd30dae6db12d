/**
 * The clip-bounds stage: `Batch → Batch` filling `clipBounds` with a kernel's per-token bounds
 * computed from the per-sequence `advantages` broadcast over the mask's [B, T] shape
 * (`A[i, t] = A_i`).
 *
 * Reference: docs/algorithms.md §4; docs/architecture.md "The flow" (advantage → split/shape → clip bounds).
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { StageError, allFinite, broadcastRows, validate, type Batch, type Stage } from '@rlflow/core';
import type { ClipBoundsKernel } from './bounds.js';
import { perRowLength } from './validation.js';

export const clipBoundsStage =
  (kernel: ClipBoundsKernel): Stage<Batch, Batch> =>
  (batch) => {
    const { advantages, mask } = batch;
    if (advantages === undefined) {
      return E.left(new StageError('clip.bounds', 'advantages', null, 'invalid', 'is missing: compute advantages before clip bounds'));
    }
    return pipe(
      validate(perRowLength('clip.bounds', 'advantages', advantages, 'mask', mask), allFinite('clip.bounds', 'advantages', advantages)),
      E.chain(() => kernel(broadcastRows(advantages, mask.cols))),
      E.map((clipBounds): Batch => ({ ...batch, clipBounds })),
    );
  };
