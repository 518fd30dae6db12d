/**
 * Statistics of a training curve: values v₁…vₙ logged at strictly increasing steps s₁…sₙ.
 *
 * - Final value: the mean of the last ⌈f·n⌉ points (f = 0.1 by default, at least one point), so one
 *   noisy last step does not decide it.
 * - Steps to a fraction q of the final value: the first logged step whose value — after a trailing
 *   moving average over w points (w = 1 by default: the raw curve) — reaches the threshold
 *   q·final (`baseline: 'zero'`) or v₁ + q·(final − v₁) (`baseline: 'initial'`, the fraction of the
 *   improvement). "Reaches" means ≥ when the final value lies above the start, ≤ when below.
 *   `null` when the curve never reaches it.
 * - Area under the curve: the trapezoid rule Σ (sᵢ₊₁ − sᵢ)(vᵢ + vᵢ₊₁)/2, divided by sₙ − s₁, i.e.
 *   the step-weighted mean value over training (one point: its value).
 * - Curve variance, two definitions: `differences` — the population variance of the step-to-step
 *   changes Δᵢ = vᵢ₊₁ − vᵢ (for white noise of variance σ² around a smooth trend this is ≈ 2σ²;
 *   a straight line scores 0); `residuals` — the population variance of vᵢ minus the centred
 *   moving average of window w (odd, shrunk at the ends).
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError, validate, type Check } from '@rlflow/core';
import { unsafeMean, unsafeVariance } from './summary.js';

export interface Curve {
  readonly steps: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

const checkCurve =
  (stage: string, curve: Curve): Check =>
  () => {
    const { steps, values } = curve;
    if (values.length === 0) return new StageError(stage, 'values', null, 'empty', 'is empty');
    if (steps.length !== values.length) {
      return new StageError(stage, 'steps', null, 'length-mismatch', `has length ${steps.length}, expected ${values.length} (the length of values)`);
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) return new StageError(stage, 'values', i, 'not-finite', `is ${values[i]}, expected a finite number`);
      if (!Number.isFinite(steps[i])) return new StageError(stage, 'steps', i, 'not-finite', `is ${steps[i]}, expected a finite number`);
      if (i > 0 && !(steps[i]! > steps[i - 1]!)) {
        return new StageError(stage, 'steps', i, 'invalid', `is ${steps[i]}, expected more than the previous step ${steps[i - 1]}`);
      }
    }
    return undefined;
  };

const checkFraction = (stage: string, field: string, x: number, min: number, max: number, exclusiveMin: boolean): Check => () =>
  Number.isFinite(x) && (exclusiveMin ? x > min : x >= min) && x <= max
    ? undefined
    : new StageError(stage, field, null, 'out-of-range', `is ${x}, expected a number in ${exclusiveMin ? '(' : '['}${min}, ${max}]`);

const checkWindow = (stage: string, w: number): Check => () =>
  Number.isInteger(w) && w >= 1 ? undefined : new StageError(stage, 'window', null, 'out-of-range', `is ${w}, expected an integer ≥ 1`);

const tailCount = (n: number, tailFraction: number): number => Math.max(1, Math.ceil(tailFraction * n));

const run = <A>(checks: readonly Check[], compute: () => A): E.Either<StageError, A> => E.map(compute)(validate(...checks));

export interface FinalValueOptions {
  /** Fraction of the points, from the end, averaged (default 0.1). */
  readonly tailFraction?: number;
}

export const unsafeFinalValue = (values: ArrayLike<number>, tailFraction = 0.1): number =>
  unsafeMean(Array.from(values).slice(values.length - tailCount(values.length, tailFraction)));

export const finalValue =
  (options: FinalValueOptions = {}) =>
  (curve: Curve): E.Either<StageError, number> => {
    const tail = options.tailFraction ?? 0.1;
    return run([checkCurve('final-value', curve), checkFraction('final-value', 'tailFraction', tail, 0, 1, true)], () => unsafeFinalValue(curve.values, tail));
  };

/** The trailing moving average over w points (fewer at the start), each window summed afresh so w = 1 is the curve itself. */
export const trailingMovingAverage = (values: ArrayLike<number>, w: number): Float64Array => {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const from = Math.max(0, i - w + 1);
    out[i] = unsafeMean(Array.prototype.slice.call(values, from, i + 1) as number[]);
  }
  return out;
};

export interface StepsToFractionOptions {
  /** q (default 0.9). */
  readonly fraction?: number;
  /** 'zero': threshold q·final; 'initial': v₁ + q·(final − v₁). Default 'zero'. */
  readonly baseline?: 'zero' | 'initial';
  readonly tailFraction?: number;
  /** Trailing moving-average window applied before the threshold test (default 1). */
  readonly window?: number;
}

export const stepsToFraction =
  (options: StepsToFractionOptions = {}) =>
  (curve: Curve): E.Either<StageError, number | null> => {
    const q = options.fraction ?? 0.9;
    const tail = options.tailFraction ?? 0.1;
    const w = options.window ?? 1;
    return run(
      [checkCurve('steps-to-fraction', curve), checkFraction('steps-to-fraction', 'fraction', q, 0, 1, false), checkFraction('steps-to-fraction', 'tailFraction', tail, 0, 1, true), checkWindow('steps-to-fraction', w)],
      () => {
        const final = unsafeFinalValue(curve.values, tail);
        const start = curve.values[0]!;
        const threshold = options.baseline === 'initial' ? start + q * (final - start) : q * final;
        const rising = final >= (options.baseline === 'initial' ? start : 0);
        const smoothed = trailingMovingAverage(curve.values, w);
        for (let i = 0; i < smoothed.length; i++) {
          if (rising ? smoothed[i]! >= threshold : smoothed[i]! <= threshold) return curve.steps[i]!;
        }
        return null;
      },
    );
  };

/** Trapezoid area under the curve divided by the step span (the step-weighted mean value). */
export const normalizedAuc = (curve: Curve): E.Either<StageError, number> =>
  run([checkCurve('auc', curve)], () => {
    const { steps, values } = curve;
    if (values.length === 1) return values[0]!;
    let area = 0;
    for (let i = 0; i + 1 < values.length; i++) area += ((steps[i + 1]! - steps[i]!) * (values[i]! + values[i + 1]!)) / 2;
    return area / (steps[steps.length - 1]! - steps[0]!);
  });

/** The centred moving average over w points (w odd), the window shrunk symmetrically at the ends. */
export const centredMovingAverage = (values: ArrayLike<number>, w: number): Float64Array => {
  const half = Math.floor(w / 2);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const reach = Math.min(half, i, values.length - 1 - i);
    let sum = 0;
    for (let j = i - reach; j <= i + reach; j++) sum += values[j]!;
    out[i] = sum / (2 * reach + 1);
  }
  return out;
};

export type CurveVarianceMethod = { readonly method: 'differences' } | { readonly method: 'residuals'; readonly window: number };

export const curveVariance =
  (method: CurveVarianceMethod = { method: 'differences' }) =>
  (curve: Curve): E.Either<StageError, number> => {
    const checks: Check[] = [checkCurve('curve-variance', curve)];
    if (method.method === 'residuals') {
      checks.push(() =>
        Number.isInteger(method.window) && method.window >= 1 && method.window % 2 === 1
          ? undefined
          : new StageError('curve-variance', 'window', null, 'out-of-range', `is ${method.window}, expected an odd integer ≥ 1`),
      );
    } else {
      checks.push(() =>
        curve.values.length >= 2 ? undefined : new StageError('curve-variance', 'values', null, 'empty', 'has one point; differences need at least two'),
      );
    }
    return run(checks, () => {
      const values = curve.values;
      if (method.method === 'differences') {
        const diffs = Array.from({ length: values.length - 1 }, (_, i) => values[i + 1]! - values[i]!);
        return unsafeVariance(diffs, 0);
      }
      const smooth = centredMovingAverage(values, method.window);
      return unsafeVariance(
        Array.from({ length: values.length }, (_, i) => values[i]! - smooth[i]!),
        0,
      );
    });
  };
