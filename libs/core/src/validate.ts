/**
 * Input checks shared by every stage. Each check returns the first problem it finds as a
 * `StageError` (or `undefined`), so a stage can list its checks and report the first that fails.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from './errors.js';
import type { Matrix } from './matrix.js';

export type Check = () => StageError | undefined;

/** Runs the checks in order; the first failure is the result. */
export const validate = (...checks: readonly Check[]): E.Either<StageError, void> => {
  for (const check of checks) {
    const err = check();
    if (err !== undefined) return E.left(err);
  }
  return E.right(undefined);
};

/** Runs `checks`, then `compute` when they all pass. */
export const guarded = <A>(checks: readonly Check[], compute: () => A): E.Either<StageError, A> =>
  E.map(compute)(validate(...checks));

export const sameLength =
  (stage: string, field: string, xs: ArrayLike<unknown>, refField: string, expected: number): Check =>
  () =>
    xs.length === expected
      ? undefined
      : new StageError(stage, field, null, 'length-mismatch', `has length ${xs.length}, expected ${expected} (the length of ${refField})`);

export const nonEmpty =
  (stage: string, field: string, xs: ArrayLike<unknown>): Check =>
  () =>
    xs.length > 0 ? undefined : new StageError(stage, field, null, 'empty', 'is empty');

export const allFinite =
  (stage: string, field: string, xs: ArrayLike<number>): Check =>
  () => {
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(xs[i])) return new StageError(stage, field, i, 'not-finite', `is ${xs[i]}, expected a finite number`);
    }
    return undefined;
  };

export const allNonNegativeIntegers =
  (stage: string, field: string, xs: ArrayLike<number>): Check =>
  () => {
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      if (!Number.isInteger(x)) return new StageError(stage, field, i, 'not-integer', `is ${x}, expected a non-negative integer`);
      if (x < 0) return new StageError(stage, field, i, 'negative', `is ${x}, expected a non-negative integer`);
    }
    return undefined;
  };

export const allBinary =
  (stage: string, field: string, xs: ArrayLike<number>): Check =>
  () => {
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      if (x !== 0 && x !== 1) return new StageError(stage, field, i, 'not-binary', `is ${x}, expected 0 or 1`);
    }
    return undefined;
  };

/** A scalar parameter: finite and inside [min, max] (either bound optional, `exclusiveMin` for > min). */
export const inRange =
  (
    stage: string,
    field: string,
    x: number,
    range: { readonly min?: number; readonly max?: number; readonly exclusiveMin?: boolean },
  ): Check =>
  () => {
    const { min, max, exclusiveMin = false } = range;
    const below = min !== undefined && (exclusiveMin ? !(x > min) : !(x >= min));
    const above = max !== undefined && !(x <= max);
    if (!Number.isFinite(x) || below || above) {
      const lo = min === undefined ? '(-inf' : `${exclusiveMin ? '(' : '['}${min}`;
      const hi = max === undefined ? 'inf)' : `${max}]`;
      return new StageError(stage, field, null, 'out-of-range', `is ${x}, expected a number in ${lo}, ${hi}`);
    }
    return undefined;
  };

/** What an integer in `range` reads as: `an integer ≥ 1`, `an integer in [0, 5]`, `an integer ≤ 9`, `an integer`. */
export const describeIntegerRange = ({ min, max }: { readonly min?: number; readonly max?: number }): string =>
  min !== undefined && max !== undefined ? `an integer in [${min}, ${max}]` : min !== undefined ? `an integer ≥ ${min}` : max !== undefined ? `an integer ≤ ${max}` : 'an integer';

/**
 * A scalar parameter that must be a (safe) integer inside [min, max] (either bound optional): a
 * value outside the range or not finite is `out-of-range`, one inside it but fractional `not-integer`.
 */
export const integerInRange =
  (stage: string, field: string, x: number, range: { readonly min?: number; readonly max?: number } = {}): Check =>
  () => {
    const { min, max } = range;
    const inside = Number.isFinite(x) && (min === undefined || x >= min) && (max === undefined || x <= max);
    if (inside && Number.isSafeInteger(x)) return undefined;
    return new StageError(stage, field, null, inside ? 'not-integer' : 'out-of-range', `is ${x}, expected ${describeIntegerRange(range)}`);
  };

export const matrixFinite =
  (stage: string, field: string, m: Matrix): Check =>
  () => {
    const { data, cols } = m;
    for (let i = 0; i < data.length; i++) {
      const x = data[i]!;
      if (x - x !== 0) return new StageError(stage, field, [Math.floor(i / cols), i % cols], 'not-finite', `is ${x}, expected a finite number`);
    }
    return undefined;
  };

export const matrixBinary =
  (stage: string, field: string, m: Matrix): Check =>
  () => {
    const { data, cols } = m;
    for (let i = 0; i < data.length; i++) {
      const x = data[i]!;
      if (x !== 0 && x !== 1) return new StageError(stage, field, [Math.floor(i / cols), i % cols], 'not-binary', `is ${x}, expected 0 or 1`);
    }
    return undefined;
  };

export const sameShape =
  (stage: string, field: string, m: Matrix, refField: string, ref: Matrix): Check =>
  () =>
    m.rows === ref.rows && m.cols === ref.cols
      ? undefined
      : new StageError(
          stage,
          field,
          null,
          'length-mismatch',
          `has shape [${m.rows}, ${m.cols}], expected [${ref.rows}, ${ref.cols}] (the shape of ${refField})`,
        );
