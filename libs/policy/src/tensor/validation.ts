/**
 * Input checks of the tensor forms (docs/algorithms.md §2–§6, §10), the same rules as
 * @rlflow/clipping's plain checks, on float32 tensors: per-token tensors share one [B, T] shape
 * and are finite, masks are 0/1, clip bounds broadcast to [B, T] and lie in their range. Each
 * check names the stage, the field and the index of the first offending value.
 */
import * as tf from '@tensorflow/tfjs-core';
import { StageError, inRange, type Check } from '@rlflow/core';
import { describeRange, outside, type Range } from '@rlflow/clipping';
import { detached } from './stop-gradient.js';

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
