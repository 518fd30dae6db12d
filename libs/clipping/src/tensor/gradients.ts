/**
 * Gradient functions for the kernels the clipping losses differentiate through, registered in
 * tfjs-core's global gradient registry: d(a±b) = da ± db, d(a·b) = b·da + a·db,
 * d(a/b) = da/b − a·db/b², d(−x) = −dx, d(eˣ) = eˣ·dx, d(expm1 x) = eˣ·dx,
 * d(tanh x) = (1 − tanh²x)·dx, d(x²) = 2x·dx, d(sign x) = 0,
 * d max(a,b) = [a ≥ b]·da + [a < b]·db, d min(a,b) = [a ≤ b]·da + [a > b]·db,
 * d clip(x, lo, hi) = [lo ≤ x ≤ hi]·dx, d select(c, t, e) = c·dt + (1−c)·de, d Σx = broadcast(dy),
 * and zero for comparisons.
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

const zeroGradient = (kernelName: string, inputs: readonly string[]): tf.GradConfig => ({
  kernelName,
  inputsToSave: [...inputs],
  gradFunc: (_dy, saved): GradMap => Object.fromEntries(inputs.map((name, i) => [name, () => tf.cast(tf.zerosLike(saved[i]!), 'float32')])),
});

const configs: readonly tf.GradConfig[] = [
  binary(tf.Add, (dy) => ({ a: () => dy, b: () => dy })),
  binary(tf.Sub, (dy) => ({ a: () => dy, b: () => tf.neg(dy) })),
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
      const expandedShape = x.shape.slice();
      const { axis } = attrs as { axis: number | number[] };
      for (const a of tf.util.parseAxisParam(axis, x.shape)) expandedShape[a] = 1;
      const derivative = tf.mul(tf.reshape(dy as tf.Tensor, expandedShape), tf.ones(x.shape, 'float32'));
      return { x: () => derivative };
    },
  },
  zeroGradient(tf.GreaterEqual, ['a', 'b']),
  zeroGradient(tf.Greater, ['a', 'b']),
  zeroGradient(tf.LessEqual, ['a', 'b']),
  zeroGradient(tf.Less, ['a', 'b']),
];

/** Registers each gradient above whose kernel has none yet; idempotent. */
export const registerClippingGradients = (): void => {
  for (const config of configs) {
    if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
  }
};

registerClippingGradients();
