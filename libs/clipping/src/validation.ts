/**
 * Input checks shared by the clipping stages, on top of `@rlflow/core`'s: per-token matrices
 * share one [B, T] shape and are finite, masks are 0/1, clip bounds lie in their range (scalars
 * or per-token matrices), and the tensor forms' shapes and values obey the same rules. Each
 * check names the stage, the field and the index of the first offending value.
 */
import * as tf from '@tensorflow/tfjs-core';
import { StageError, inRange, matrixBinary, matrixFinite, sameShape, type Check, type Matrix } from '@rlflow/core';
import { detached } from './tensor/stop-gradient.js';

export interface Range {
  readonly min?: number;
  readonly max?: number;
}

const describeRange = ({ min, max }: Range): string => `[${min ?? '-inf'}, ${max ?? 'inf'}]`;
const outside = (x: number, { min, max }: Range): boolean =>
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

// ----- tensor forms -----

const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** `t` is rank 2 with exactly the shape of `ref`. */
export const tensorSameShape =
  (stage: string, field: string, t: tf.Tensor, refName: string, ref: tf.Tensor): Check =>
  () =>
    t.rank === 2 && ref.rank === 2 && tf.util.arraysEqual(t.shape, ref.shape)
      ? undefined
      : new StageError(stage, field, null, 'length-mismatch', `has shape ${shapeText(t.shape)}, expected ${shapeText(ref.shape)} (the shape of ${refName})`);

/** `t` is rank 2 and its first dimension is B; its second is T or 1 (a per-sequence column). */
export const tensorRowsOrTokens =
  (stage: string, field: string, t: tf.Tensor, refName: string, ref: tf.Tensor): Check =>
  () =>
    t.rank === 2 && t.shape[0] === ref.shape[0] && (t.shape[1] === ref.shape[1] || t.shape[1] === 1)
      ? undefined
      : new StageError(
          stage,
          field,
          null,
          'length-mismatch',
          `has shape ${shapeText(t.shape)}, expected ${shapeText(ref.shape)} or [${ref.shape[0]}, 1] (from the shape of ${refName})`,
        );

/** `t` broadcasts to the [B, T] shape of `ref`: rank ≤ 2, each dimension equal or 1. */
export const tensorBroadcastsTo =
  (stage: string, field: string, t: tf.Tensor, refName: string, ref: tf.Tensor): Check =>
  () => {
    const padded = [...Array(Math.max(0, 2 - t.rank)).fill(1), ...t.shape] as number[];
    const ok = t.rank <= 2 && padded.every((d, i) => d === 1 || d === ref.shape[i]);
    return ok ? undefined : new StageError(stage, field, null, 'length-mismatch', `has shape ${shapeText(t.shape)}, which does not broadcast to ${shapeText(ref.shape)} (the shape of ${refName})`);
  };

const tensorIndex = (t: tf.Tensor, i: number): number | readonly [number, number] => {
  if (t.rank < 2) return i;
  const cols = t.shape[t.rank - 1]!;
  return [Math.floor(i / cols), i % cols];
};

/**
 * A value check on a tensor: `probe` is a reduction that is exactly 0 when every value passes
 * (one pass on the device); only when it is not are the values read to find the first one that
 * fails `bad`. Probes propagate NaN, so a NaN never passes. The probe runs as one `detached` node:
 * inside a tf.grad its kernels are not taped, so a check that fails there (and throws out of
 * the gradient) leaves no tensors saved for a backward pass that never comes.
 */
const tensorValues =
  (
    stage: string,
    field: string,
    t: tf.Tensor,
    kind: 'not-finite' | 'not-binary' | 'out-of-range',
    probe: (x: tf.Tensor) => tf.Scalar,
    bad: (x: number) => boolean,
    expected: string,
  ): Check =>
  () => {
    if (tf.tidy(() => detached((x) => probe(tf.cast(x, 'float32')))(t).dataSync()[0]) === 0) return undefined;
    const data = t.dataSync();
    for (let i = 0; i < data.length; i++) {
      const x = data[i]!;
      if (bad(x)) return new StageError(stage, field, tensorIndex(t, i), kind, `is ${x}, expected ${expected}`);
    }
    return undefined;
  };

/** Σ x·0: 0 for finite values, NaN as soon as one is ±Inf or NaN. */
const finiteProbe = (x: tf.Tensor): tf.Scalar => tf.sum(tf.mul(x, 0));

export const tensorFinite = (stage: string, field: string, t: tf.Tensor): Check =>
  tensorValues(stage, field, t, 'not-finite', finiteProbe, (x) => !Number.isFinite(x), 'a finite number');

export const tensorBinary = (stage: string, field: string, t: tf.Tensor): Check =>
  tensorValues(stage, field, t, 'not-binary', (x) => tf.sum(tf.abs(tf.mul(x, tf.sub(1, x)))), (x) => x !== 0 && x !== 1, '0 or 1');

export const tensorInRange = (stage: string, field: string, t: tf.Tensor, range: Range): Check =>
  tensorValues(
    stage,
    field,
    t,
    'out-of-range',
    (x) => {
      const below = range.min === undefined ? tf.scalar(0) : tf.sum(tf.relu(tf.sub(range.min, x)));
      const above = range.max === undefined ? tf.scalar(0) : tf.sum(tf.relu(tf.sub(x, range.max)));
      return tf.add(tf.add(below, above), finiteProbe(x));
    },
    (x) => outside(x, range),
    `a number in ${describeRange(range)}`,
  );

/** A clip bound for a tensor form: a number, or a tensor broadcasting to [B, T] with values in range. */
export const tensorBoundChecks = (stage: string, field: string, bound: number | tf.Tensor, refName: string, ref: tf.Tensor, range: Range): Check[] =>
  typeof bound === 'number'
    ? [inRange(stage, field, bound, range)]
    : [tensorBroadcastsTo(stage, field, bound, refName, ref), tensorInRange(stage, field, bound, range)];

/** Checks for per-token tensor inputs: shapes first (the mask too), then finite values and a 0/1 mask. */
export const tensorTokenInputChecks = (stage: string, values: ReadonlyArray<readonly [string, tf.Tensor]>, mask?: tf.Tensor): Check[] => {
  const [first, ...rest] = values;
  if (first === undefined) return [];
  const [refName, ref] = first;
  const rank2: Check = () =>
    ref.rank === 2 ? undefined : new StageError(stage, refName, null, 'length-mismatch', `has rank ${ref.rank}, expected a [B, T] tensor`);
  const shaped: Array<readonly [string, tf.Tensor]> = mask === undefined ? rest : [...rest, ['mask', mask]];
  return [
    rank2,
    ...shaped.map(([name, t]) => tensorSameShape(stage, name, t, refName, ref)),
    ...values.map(([name, t]) => tensorFinite(stage, name, t)),
    ...(mask === undefined ? [] : [tensorBinary(stage, 'mask', mask)]),
  ];
};
