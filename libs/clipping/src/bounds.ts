/**
 * Clip bounds: per-token `epsLow`, `epsHigh` ([B, T]) for the clipped ratio
 * `clamp(ratio, 1 − epsLow, 1 + epsHigh)`. A kernel computes them from the per-token advantages.
 *
 * Reference: docs/algorithms.md §4.
 */
import type * as E from 'fp-ts/lib/Either.js';
import type { Matrix, StageError } from '@rlflow/core';

export interface ClipBounds {
  readonly epsLow: Matrix;
  readonly epsHigh: Matrix;
}

/** Per-token bounds from per-token advantages ([B, T] in, two [B, T] out). */
export type ClipBoundsKernel = (advantages: Matrix) => E.Either<StageError, ClipBounds>;

/** Range of a lower bound: the clipped ratio's floor 1 − epsLow stays in [0, 1]. */
export const EPS_LOW_RANGE = { min: 0, max: 1 } as const;
/** Range of an upper bound. */
export const EPS_HIGH_RANGE = { min: 0 } as const;
