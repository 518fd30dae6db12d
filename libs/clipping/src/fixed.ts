/**
 * Fixed clip bounds: `epsLow`, `epsHigh` constants for every token (PPO 0.2/0.2; DAPO
 * clip-higher 0.2/0.28).
 *
 * Reference: docs/algorithms.md §4 (`fixed`); Schulman et al. 2017 (PPO); Yu et al. 2025 (DAPO, §3.1).
 */
import { guarded, inRange, matrixFinite } from '@rlflow/core';
import { EPS_HIGH_RANGE, EPS_LOW_RANGE, type ClipBoundsKernel } from './bounds.js';

export interface FixedParams {
  readonly epsLow: number;
  readonly epsHigh: number;
}

export const FIXED_PPO: FixedParams = { epsLow: 0.2, epsHigh: 0.2 };
export const FIXED_CLIP_HIGHER: FixedParams = { epsLow: 0.2, epsHigh: 0.28 };

export const fixed =
  ({ epsLow, epsHigh }: FixedParams): ClipBoundsKernel =>
  (advantages) =>
    guarded(
      [
        inRange('clip.fixed', 'epsLow', epsLow, EPS_LOW_RANGE),
        inRange('clip.fixed', 'epsHigh', epsHigh, EPS_HIGH_RANGE),
        matrixFinite('clip.fixed', 'advantages', advantages),
      ],
      () => ({
        epsLow: { rows: advantages.rows, cols: advantages.cols, data: new Float64Array(advantages.data.length).fill(epsLow) },
        epsHigh: { rows: advantages.rows, cols: advantages.cols, data: new Float64Array(advantages.data.length).fill(epsHigh) },
      }),
    );
