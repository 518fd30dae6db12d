/**
 * Adaptive sample reuse: K follows the measured policy drift instead of the clock (an rlflow
 * design on top of docs/algorithms.md §8; the control rule is additive-increase / multiplicative-
 * decrease, as in TCP congestion control and PPO's adaptive-KL coefficient, Schulman et al. 2017 §4).
 *
 * After each step, with the approximate KL and clip fraction that step's K produced:
 *
 *   ρ = max(|approxKl| / targetKl, clipFrac / targetClipFrac)        (drift relative to target)
 *   k = clamp(K, K_min, K_max)
 *   ρ > 1            → K' = max(K_min, min(k − 1, floor(backoff · k)))   (over target: back off fast)
 *   ρ ≤ raiseBelow   → K' = min(K_max, k + 1)                           (well under: one more pass)
 *   otherwise        → K' = k                                           (inside the band: hold)
 *
 * Defaults: targetKl 0.01, targetClipFrac 0.2, raiseBelow 0.5, backoff 0.5; the run starts at
 * K_min. K' always lies in [K_min, K_max], rises by one under low drift until K_max, falls by at
 * least one (and by half with the default backoff) under high drift until K_min, and depends only
 * on its inputs.
 */
import { StageError, guarded, inRange, type Check, type Stage } from '@rlflow/core';
import { integerIn } from './checks.js';
import { reuseBoundsChecks } from './reuse.js';

const STAGE = 'curriculum.adaptive';

export const ADAPTIVE_DEFAULTS = { targetKl: 0.01, targetClipFrac: 0.2, raiseBelow: 0.5, backoff: 0.5 } as const;

export interface AdaptiveReuseParams {
  readonly schedule: 'adaptive';
  readonly kMin: number;
  readonly kMax: number;
  /** The |approxKl| a step may reach before K backs off. */
  readonly targetKl?: number;
  /** The clip fraction a step may reach before K backs off. */
  readonly targetClipFrac?: number;
  /** K rises only while the drift ratio ρ is at most this fraction of the target. */
  readonly raiseBelow?: number;
  /** The factor K is multiplied by (at least one less) when the drift exceeds the target. */
  readonly backoff?: number;
}

/** The policy drift a step measured: StepSummary's approxKl and clipFrac. */
export interface Drift {
  readonly approxKl: number;
  readonly clipFrac: number;
}

/** The drift ratio ρ: 1 means exactly at target. */
export const driftRatio = (params: AdaptiveReuseParams, drift: Drift): number =>
  Math.max(
    Math.abs(drift.approxKl) / (params.targetKl ?? ADAPTIVE_DEFAULTS.targetKl),
    drift.clipFrac / (params.targetClipFrac ?? ADAPTIVE_DEFAULTS.targetClipFrac),
  );

/** The checks on the adaptive schedule's parameters. */
export const adaptiveReuseChecks = (params: AdaptiveReuseParams): Check[] => {
  const { targetKl, targetClipFrac, raiseBelow, backoff } = { ...ADAPTIVE_DEFAULTS, ...params };
  return [
    () =>
      params.schedule === 'adaptive'
        ? undefined
        : new StageError(STAGE, 'schedule', null, 'invalid', `is "${String(params.schedule)}", expected "adaptive"`),
    ...reuseBoundsChecks(STAGE, params.kMin, params.kMax),
    inRange(STAGE, 'targetKl', targetKl, { min: 0, exclusiveMin: true }),
    inRange(STAGE, 'targetClipFrac', targetClipFrac, { min: 0, max: 1, exclusiveMin: true }),
    inRange(STAGE, 'raiseBelow', raiseBelow, { min: 0, max: 1 }),
    inRange(STAGE, 'backoff', backoff, { min: 0, max: 1 }),
  ];
};

/** The next K from the current K and the drift it produced. */
export const adaptReuse =
  (params: AdaptiveReuseParams): Stage<{ readonly reuse: number; readonly drift: Drift }, number> =>
  ({ reuse, drift }) =>
    guarded(
      [
        ...adaptiveReuseChecks(params),
        integerIn(STAGE, 'reuse', reuse, { min: 1 }),
        inRange(STAGE, 'approxKl', drift.approxKl, {}),
        inRange(STAGE, 'clipFrac', drift.clipFrac, { min: 0, max: 1 }),
      ],
      () => {
        const { kMin, kMax } = params;
        const backoff = params.backoff ?? ADAPTIVE_DEFAULTS.backoff;
        const k = Math.min(Math.max(reuse, kMin), kMax);
        const rho = driftRatio(params, drift);
        if (rho > 1) return Math.max(kMin, Math.min(k - 1, Math.floor(backoff * k)));
        if (rho <= (params.raiseBelow ?? ADAPTIVE_DEFAULTS.raiseBelow)) return Math.min(kMax, k + 1);
        return k;
      },
    );
