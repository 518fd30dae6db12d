/**
 * AAAC, Advantage-Aware Adaptive Clipping (ACPO): per-token bounds modulated by the
 * normalized advantage,
 *
 *   ã = tanh(A / κ)
 *   epsHigh = epsHigh0 + δ_high · max(ã, 0)
 *   epsLow  = epsLow0 · (1 − δ_low · max(−ã, 0))
 *
 * widening the upper bound for high-advantage tokens and narrowing the lower one for
 * destructive (negative-advantage) tokens. With δ_high = δ_low = 0 it is exactly `fixed`; the
 * bounds are monotone in A and lie in [epsLow0(1 − δ_low), epsLow0] and [epsHigh0, epsHigh0 + δ_high].
 *
 * Reference: docs/algorithms.md §4 (the paper leaves the form open; this definition is the contract).
 */
import { guarded, inRange, matrixFinite, type Check } from '@rlflow/core';
import { EPS_HIGH_RANGE, EPS_LOW_RANGE, type ClipBoundsKernel } from './bounds.js';

export interface AaacParams {
  readonly epsLow0: number;
  readonly epsHigh0: number;
  readonly deltaLow: number;
  readonly deltaHigh: number;
  readonly kappa: number;
}

export const AAAC_DEFAULTS: AaacParams = { epsLow0: 0.2, epsHigh0: 0.28, deltaLow: 0.5, deltaHigh: 0.12, kappa: 1 };

export const aaacParamChecks = (stage: string, p: AaacParams): Check[] => [
  inRange(stage, 'epsLow0', p.epsLow0, EPS_LOW_RANGE),
  inRange(stage, 'epsHigh0', p.epsHigh0, EPS_HIGH_RANGE),
  inRange(stage, 'deltaLow', p.deltaLow, { min: 0, max: 1 }),
  inRange(stage, 'deltaHigh', p.deltaHigh, { min: 0 }),
  inRange(stage, 'kappa', p.kappa, { min: 0, exclusiveMin: true }),
];

/** The bounds of one advantage value. */
export const aaacBound = (p: AaacParams, advantage: number): { readonly epsLow: number; readonly epsHigh: number } => {
  const a = Math.tanh(advantage / p.kappa);
  return { epsLow: p.epsLow0 * (1 - p.deltaLow * Math.max(-a, 0)), epsHigh: p.epsHigh0 + p.deltaHigh * Math.max(a, 0) };
};

/** The AAAC kernel; parameters not given take the §4 defaults. */
export const aaac =
  (params: Partial<AaacParams> = {}): ClipBoundsKernel =>
  (advantages) => {
    const p: AaacParams = { ...AAAC_DEFAULTS, ...params };
    return guarded([...aaacParamChecks('clip.aaac', p), matrixFinite('clip.aaac', 'advantages', advantages)], () => {
      const n = advantages.data.length;
      const epsLow = new Float64Array(n);
      const epsHigh = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const a = Math.tanh(advantages.data[i]! / p.kappa);
        epsLow[i] = p.epsLow0 * (1 - p.deltaLow * Math.max(-a, 0));
        epsHigh[i] = p.epsHigh0 + p.deltaHigh * Math.max(a, 0);
      }
      return {
        epsLow: { rows: advantages.rows, cols: advantages.cols, data: epsLow },
        epsHigh: { rows: advantages.rows, cols: advantages.cols, data: epsHigh },
      };
    });
  };
