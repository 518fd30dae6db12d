/**
 * Input checks shared by the clipping stages, on top of `@rlflow/core`'s: per-token matrices
 * share one [B, T] shape and are finite, masks are 0/1, and clip bounds lie in their range
 * (scalars or per-token matrices). Each check names the stage, the field and the index of the
 * first offending value. (The tensor forms' checks, the same rules on tensors, live with the
 * tensor forms in @rlflow/policy/tensor.)
 */
import { StageError, inRange, matrixBinary, matrixFinite, sameShape, type Check, type Matrix } from '@rlflow/core';

export interface Range {
  readonly min?: number;
  readonly max?: number;
}

/** A range as text, `[min, max]` with ±inf for a missing end. */
export const describeRange = ({ min, max }: Range): string => `[${min ?? '-inf'}, ${max ?? 'inf'}]`;
/** `x` is not finite or lies outside `range`. */
export const outside = (x: number, { min, max }: Range): boolean =>
  !Number.isFinite(x) || (min !== undefined && x < min) || (max !== undefined && x > max);

const matrixIndex = (m: Matrix, i: number): readonly [number, number] => [Math.floor(i / m.cols), i % m.cols];

/** Every entry of `m` is finite and inside `range`. */
export const matrixInRange =
  (stage: string, field: string, m: Matrix, range: Range): Check =>
  () => {
    const d = m.data;
    const min = range.min ?? Number.NEGATIVE_INFINITY;
    const max = range.max ?? Number.POSITIVE_INFINITY;
    for (let i = 0; i < d.length; i++) {
      const x = d[i]!;
      if (!(x >= min && x <= max) || x - x !== 0) {
        return new StageError(stage, field, matrixIndex(m, i), 'out-of-range', `is ${x}, expected a number in ${describeRange(range)}`);
      }
    }
    return undefined;
  };

/**
 * Checks for per-token inputs: every matrix in `values` has the shape of the first one, the mask
 * too; then every value is finite and the mask is 0/1. Shapes are checked before values.
 */
export const tokenInputChecks = (stage: string, values: ReadonlyArray<readonly [string, Matrix]>, mask?: Matrix): Check[] => {
  const [first, ...rest] = values;
  if (first === undefined) return [];
  const [refName, ref] = first;
  const shaped: Array<readonly [string, Matrix]> = mask === undefined ? rest : [...rest, ['mask', mask]];
  return [
    ...shaped.map(([name, m]) => sameShape(stage, name, m, refName, ref)),
    ...values.map(([name, m]) => matrixFinite(stage, name, m)),
    ...(mask === undefined ? [] : [matrixBinary(stage, 'mask', mask)]),
  ];
};

/** A clip bound given as one number or as a per-token matrix shaped like `ref`. */
export const boundChecks = (stage: string, field: string, bound: number | Matrix, refName: string, ref: Matrix, range: Range): Check[] =>
  typeof bound === 'number'
    ? [inRange(stage, field, bound, range)]
    : [sameShape(stage, field, bound, refName, ref), matrixInRange(stage, field, bound, range)];

/** `value` is one of `allowed` (for names that arrive from configuration as strings). */
export const oneOf =
  (stage: string, field: string, value: string, allowed: readonly string[]): Check =>
  () =>
    allowed.includes(value) ? undefined : new StageError(stage, field, null, 'invalid', `is "${value}", expected one of ${allowed.map((a) => `"${a}"`).join(', ')}`);

/** A per-sequence vector has one entry per row of `ref`. */
export const perRowLength =
  (stage: string, field: string, xs: ArrayLike<number>, refName: string, ref: { readonly rows: number }): Check =>
  () =>
    xs.length === ref.rows ? undefined : new StageError(stage, field, null, 'length-mismatch', `has length ${xs.length}, expected ${ref.rows} (the rows of ${refName})`);
