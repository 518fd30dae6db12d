/**
 * Pieces every policy loss shares (docs/algorithms.md §5): input and parameter checks, the ratio
 * `exp(clamp(logp − oldLogp, −20, 20))` with its derivative, clip bounds per token, and masked
 * means (`Σ x·mask / max(Σ mask, 1)`).
 */
import { StageError, inRange, type Check, type Matrix } from '@rlflow/core';
import { aggregationChecks, type LossAggregation } from '../aggregation.js';
import { EPS_HIGH_RANGE, EPS_LOW_RANGE } from '../bounds.js';
import { boundChecks, tokenInputChecks } from '../validation.js';
import type { PolicyLossInput, PolicyLossParams } from './types.js';

export const LOG_RATIO_LIMIT = 20;

/** `dualClipC` is null, or > 1 where dual clip applies (ppo only). */
export const dualClipCheck = (stage: string, dualClipC: number | null | undefined, allowed: boolean): Check => () => {
  if (dualClipC == null) return undefined;
  if (!allowed) return new StageError(stage, 'dualClipC', null, 'invalid', `is ${dualClipC}, but dual clip applies to ppo only (use null)`);
  return inRange(stage, 'dualClipC', dualClipC, { min: 1, exclusiveMin: true })();
};

export const policyChecks = (stage: string, input: PolicyLossInput, params: PolicyLossParams, lossAgg: LossAggregation, dualClip: boolean): Check[] => [
  ...tokenInputChecks(
    stage,
    [
      ['logp', input.logp],
      ['oldLogp', input.oldLogp],
      ['advantages', input.advantages],
    ],
    input.mask,
  ),
  ...boundChecks(stage, 'epsLow', params.epsLow, 'logp', input.logp, EPS_LOW_RANGE),
  ...boundChecks(stage, 'epsHigh', params.epsHigh, 'logp', input.logp, EPS_HIGH_RANGE),
  ...aggregationChecks(stage, lossAgg, params),
  dualClipCheck(stage, params.dualClipC, dualClip),
];

/** A bound at flat token index i. */
export const boundAt = (bound: number | Matrix, i: number): number => (typeof bound === 'number' ? bound : bound.data[i]!);

/** `boundAt` with the number-or-matrix decision taken once. */
export const boundReader = (bound: number | Matrix): ((i: number) => number) => {
  if (typeof bound === 'number') return () => bound;
  const data = bound.data;
  return (i) => data[i]!;
};

/** ratio = exp(clamp(d, −20, 20)) and dratio/dlogp (ratio inside the clamp, else 0). */
export const ratioAndDerivative = (logp: number, oldLogp: number): { readonly ratio: number; readonly dRatio: number } => {
  const d = logp - oldLogp;
  const ratio = Math.exp(Math.min(Math.max(d, -LOG_RATIO_LIMIT), LOG_RATIO_LIMIT));
  return { ratio, dRatio: d >= -LOG_RATIO_LIMIT && d <= LOG_RATIO_LIMIT ? ratio : 0 };
};

export const clamp = (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi);

/** Σ x·mask / max(Σ mask, 1) with x given per flat index. */
export const maskedMean = (mask: Matrix, x: (i: number) => number): number => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] === 1) {
      s += x(i);
      n++;
    }
  }
  return s / Math.max(n, 1);
};
