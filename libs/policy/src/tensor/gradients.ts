/**
 * Gradient functions of the tfjs-core kernels that rlflow differentiates through (the clipping
 * losses here, and the policy engine's forward pass outside its custom ops), registered in
 * tfjs-core's global gradient registry; the one registry of the project:
 *
 *   d(a±b) = da ± db,  d Σᵢ aᵢ (addN) = Σᵢ daᵢ,  d(a·b) = b·da + a·db,  d(a/b) = da/b − a·db/b²  (a broadcast input gets
 *   the gradient summed over its broadcast axes),  d(−x) = −dx,  d eˣ = eˣ·dx,
 *   d expm1 x = eˣ·dx,  d log x = dx/x,  d tanh x = (1 − tanh²x)·dx,  d x² = 2x·dx,
 *   d sign x = 0,  d max(a,b) = [a ≥ b]·da + [a < b]·db,  d min(a,b) = [a ≤ b]·da + [a > b]·db,
 *   d clip(x, lo, hi) = [lo ≤ x ≤ hi]·dx,  d select(c, t, e) = c·dt + (1−c)·de,
 *   d Σx / d mean x = broadcast dy (/ count),  reshape / transpose: the inverse reshape /
 *   permutation,  slice: dy zero-padded back to the input,  concat: dy split by the inputs'
 *   sizes,  cast / identity: dy,  comparisons: 0.
 *
 *
 * Source: a port of tfjs-core 4.22 `src/gradients/*_grad.ts` (Apache-2.0, the TensorFlow.js
 * authors), same semantics (ties of max/min go to the first input, clip passes its bounds).
 * tfjs-core's Node bundle registers no gradients (the umbrella `@tensorflow/tfjs` package
 * does, from ES modules Node cannot load from tfjs-core's dist), so `tf.grad` fails on the first
 * kernel without them. A kernel that already has a gradient registered keeps it.
 */
import * as tf from '@tensorflow/tfjs-core';

type GradMap = Record<string, () => tf.Tensor>;

/** Sums a broadcast gradient back to the shape of the input it came from. */
const unbroadcast = (dy: tf.Tensor, inputShape: number[], outShape: number[]): tf.Tensor => {
  const axes = tf.backend_util.getReductionAxes(inputShape, outShape);
  return axes.length > 0 ? tf.reshape(tf.sum(dy, axes), inputShape) : tf.reshape(dy, inputShape);
};

const saved2 = (saved: tf.Tensor[]): [tf.Tensor, tf.Tensor] => [saved[0]!, saved[1]!];

const binary = (
  kernelName: string,
  derivatives: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => readonly [tf.Tensor, tf.Tensor] | { a: () => tf.Tensor; b: () => tf.Tensor },
): tf.GradConfig => ({
  kernelName,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved): GradMap => {
    const [a, b] = saved2(saved);
    const dyT = dy as tf.Tensor;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const result = derivatives(dyT, a, b);
    if ('a' in result) return { a: () => unbroadcast(result.a(), a.shape, outShape), b: () => unbroadcast(result.b(), b.shape, outShape) };
    return { a: () => unbroadcast(result[0], a.shape, outShape), b: () => unbroadcast(result[1], b.shape, outShape) };
  },
});

/** The saved input's shape with the reduced axes set to 1. */
const keptShape = (x: tf.Tensor, axis: number | number[]): number[] => {
  const shape = x.shape.slice();
  for (const a of tf.util.parseAxisParam(axis, x.shape)) shape[a] = 1;
  return shape;
};

const zeroGradient = (kernelName: string, inputs: readonly string[]): tf.GradConfig => ({
  kernelName,
  inputsToSave: [...inputs],
  gradFunc: (_dy, saved): GradMap => Object.fromEntries(inputs.map((name, i) => [name, () => tf.cast(tf.zerosLike(saved[i]!), 'float32')])),
});

const configs: readonly tf.GradConfig[] = [
  binary(tf.Add, (dy) => ({ a: () => dy, b: () => dy })),
  binary(tf.Sub, (dy) => ({ a: () => dy, b: () => tf.neg(dy) })),
  {
    kernelName: tf.AddN,
    saveAllInputs: true,
    gradFunc: (dy, saved): GradMap => Object.fromEntries(saved.map((_, i) => [String(i), () => (dy as tf.Tensor).clone()])),
  },
  binary(tf.Multiply, (dy, a, b) => ({ a: () => tf.mul(dy, tf.cast(b, 'float32')), b: () => tf.mul(dy, tf.cast(a, 'float32')) })),
  binary(tf.RealDiv, (dy, a, b) => ({
    a: () => tf.div(dy, tf.cast(b, 'float32')),
    b: () => tf.neg(tf.div(tf.mul(dy, tf.cast(a, 'float32')), tf.square(tf.cast(b, 'float32')))),
  })),
  binary(tf.Maximum, (dy, a, b) => ({
    a: () => tf.mul(dy, tf.cast(tf.greaterEqual(a, b), 'float32')),
    b: () => tf.mul(dy, tf.cast(tf.less(a, b), 'float32')),
  })),
  binary(tf.Minimum, (dy, a, b) => ({
    a: () => tf.mul(dy, tf.cast(tf.lessEqual(a, b), 'float32')),
    b: () => tf.mul(dy, tf.cast(tf.greater(a, b), 'float32')),
  })),
  { kernelName: tf.Neg, gradFunc: (dy): GradMap => ({ x: () => tf.neg(dy as tf.Tensor) }) },
  { kernelName: tf.Exp, outputsToSave: [true], gradFunc: (dy, saved): GradMap => ({ x: () => tf.mul(dy as tf.Tensor, saved[0]!) }) },
  { kernelName: tf.Log, inputsToSave: ['x'], gradFunc: (dy, saved): GradMap => ({ x: () => tf.div(dy as tf.Tensor, saved[0]!) }) },
  { kernelName: tf.Expm1, inputsToSave: ['x'], gradFunc: (dy, saved): GradMap => ({ x: () => tf.mul(dy as tf.Tensor, tf.exp(saved[0]!)) }) },
  {
    kernelName: tf.Tanh,
    outputsToSave: [true],
    gradFunc: (dy, saved): GradMap => ({ x: () => tf.mul(tf.sub(tf.scalar(1), tf.square(saved[0]!)), dy as tf.Tensor) }),
  },
  {
    kernelName: tf.Square,
    inputsToSave: ['x'],
    gradFunc: (dy, saved): GradMap => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(tf.cast(saved[0]!, 'float32'), 2)) }),
  },
  { kernelName: tf.Sign, gradFunc: (dy): GradMap => ({ x: () => tf.zerosLike(dy as tf.Tensor) }) },
  { kernelName: tf.Cast, gradFunc: (dy): GradMap => ({ x: () => (dy as tf.Tensor).clone() }) },
  { kernelName: tf.Identity, gradFunc: (dy): GradMap => ({ x: () => tf.cast(dy as tf.Tensor, 'float32') }) },
  { kernelName: tf.Reshape, inputsToSave: ['x'], gradFunc: (dy, saved): GradMap => ({ x: () => tf.reshape(dy as tf.Tensor, saved[0]!.shape) }) },
  {
    kernelName: tf.ClipByValue,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs): GradMap => {
      const x = saved[0]!;
      const { clipValueMin, clipValueMax } = attrs as { clipValueMin: number; clipValueMax: number };
      const dyT = dy as tf.Tensor;
      return { x: () => tf.where(tf.logicalAnd(tf.greaterEqual(x, clipValueMin), tf.lessEqual(x, clipValueMax)), dyT, tf.zerosLike(dyT)) };
    },
  },
  {
    kernelName: tf.Select,
    inputsToSave: ['condition'],
    gradFunc: (dy, saved): GradMap => {
      const condition = saved[0]!;
      const dyT = dy as tf.Tensor;
      return {
        condition: () => tf.cast(tf.zerosLike(condition), 'float32'),
        t: () => tf.mul(dyT, tf.cast(condition, dyT.dtype)),
        e: () => tf.mul(dyT, tf.cast(tf.logicalNot(condition), dyT.dtype)),
      };
    },
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs): GradMap => {
      const x = saved[0]!;
      const { axis } = attrs as unknown as { axis: number | number[] };
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, keptShape(x, axis)), tf.ones(x.shape, 'float32')) };
    },
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs): GradMap => {
      const x = saved[0]!;
      const { axis } = attrs as unknown as { axis: number | number[] };
      const shape = keptShape(x, axis);
      const count = x.size / shape.reduce((a, b) => a * b, 1);
      return { x: () => tf.div(tf.mul(tf.reshape(dy as tf.Tensor, shape), tf.ones(x.shape, 'float32')), count) };
    },
  },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _saved, attrs): GradMap => {
      const { perm } = attrs as unknown as { perm: number[] };
      const undo = new Array<number>(perm.length);
      perm.forEach((p, i) => (undo[p] = i));
      return { x: () => tf.transpose(dy as tf.Tensor, undo) };
    },
  },
  {
    kernelName: tf.Slice,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs): GradMap => {
      const x = saved[0]!;
      const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [starts, sizes] = tf.slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
      const paddings = x.shape.map((dim, i): [number, number] => [starts[i]!, dim - starts[i]! - sizes[i]!]);
      return { x: () => tf.pad(dy as tf.Tensor, paddings) };
    },
  },
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs): GradMap => {
      const { axis } = attrs as unknown as { axis: number };
      const dim = tf.util.parseAxisParam(axis, saved[0]!.shape)[0]!;
      const parts = tf.split(dy as tf.Tensor, saved.map((t) => t.shape[dim]!), dim);
      return Object.fromEntries(parts.map((part, i) => [String(i), () => part]));
    },
  },
  zeroGradient(tf.GreaterEqual, ['a', 'b']),
  zeroGradient(tf.Greater, ['a', 'b']),
  zeroGradient(tf.LessEqual, ['a', 'b']),
  zeroGradient(tf.Less, ['a', 'b']),
];

/** Registers each gradient above whose kernel has none yet; idempotent. */
export const registerKernelGradients = (): void => {
  for (const config of configs) {
    if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
  }
};

registerKernelGradients();
