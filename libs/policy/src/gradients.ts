/**
 * Gradients of the kernels the engine's forward pass and loss helpers record on the tape
 * (everything else it differentiates is a custom op in ops.ts):
 *
 *   d(a±b) = da ± db,  d(a·b) = b·da + a·db,  d(a/b) = da/b − a·db/b²  (broadcast inputs get the
 *   gradient summed over the broadcast axes),  d(−x) = −dx,  d eˣ = eˣ·dx,  d log x = dx/x,
 *   d x² = 2x·dx,  d Σx / d mean x = broadcast dy (/ count),  reshape / transpose: the inverse
 *   reshape / permutation,  slice: dy zero-padded back to the input,  concat: dy split by the
 *   inputs' sizes,  cast / identity: dy.
 *
 * Source: the semantics of tfjs-core 4.22 `src/gradients/*_grad.ts` (Apache-2.0, the TensorFlow.js
 * authors). tfjs-core's Node bundle registers no gradients (its `register_all_gradients` is an
 * ES module tree Node cannot load from `dist/`), so they are registered here. A kernel that
 * already has a gradient (registered by another library) keeps it; registering is idempotent.
 */
import * as tf from '@tensorflow/tfjs-core';

type GradMap = Record<string, () => tf.Tensor>;

const unbroadcast = (dy: tf.Tensor, inputShape: number[], outShape: number[]): tf.Tensor => {
  const axes = tf.backend_util.getReductionAxes(inputShape, outShape);
  return axes.length > 0 ? tf.reshape(tf.sum(dy, axes), inputShape) : tf.reshape(dy, inputShape);
};

const binary = (kernelName: string, derivatives: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => readonly [() => tf.Tensor, () => tf.Tensor]): tf.GradConfig => ({
  kernelName,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved): GradMap => {
    const a = saved[0]!;
    const b = saved[1]!;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const [da, db] = derivatives(dy as tf.Tensor, a, b);
    return { a: () => unbroadcast(da(), a.shape, outShape), b: () => unbroadcast(db(), b.shape, outShape) };
  },
});

/** The saved input's shape with the reduced axes set to 1. */
const keptShape = (x: tf.Tensor, axis: number | number[]): number[] => {
  const shape = x.shape.slice();
  for (const a of tf.util.parseAxisParam(axis, x.shape)) shape[a] = 1;
  return shape;
};

const configs: readonly tf.GradConfig[] = [
  binary(tf.Add, (dy) => [() => dy, () => dy]),
  binary(tf.Sub, (dy) => [() => dy, () => tf.neg(dy)]),
  binary(tf.Multiply, (dy, a, b) => [() => tf.mul(dy, b), () => tf.mul(dy, a)]),
  binary(tf.RealDiv, (dy, a, b) => [() => tf.div(dy, b), () => tf.neg(tf.div(tf.mul(dy, a), tf.square(b)))]),
  { kernelName: tf.Neg, gradFunc: (dy): GradMap => ({ x: () => tf.neg(dy as tf.Tensor) }) },
  { kernelName: tf.Exp, outputsToSave: [true], gradFunc: (dy, saved): GradMap => ({ x: () => tf.mul(dy as tf.Tensor, saved[0]!) }) },
  { kernelName: tf.Log, inputsToSave: ['x'], gradFunc: (dy, saved): GradMap => ({ x: () => tf.div(dy as tf.Tensor, saved[0]!) }) },
  { kernelName: tf.Square, inputsToSave: ['x'], gradFunc: (dy, saved): GradMap => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(saved[0]!, 2)) }) },
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
  { kernelName: tf.Reshape, inputsToSave: ['x'], gradFunc: (dy, saved): GradMap => ({ x: () => tf.reshape(dy as tf.Tensor, saved[0]!.shape) }) },
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
  { kernelName: tf.Cast, gradFunc: (dy): GradMap => ({ x: () => (dy as tf.Tensor).clone() }) },
  { kernelName: tf.Identity, gradFunc: (dy): GradMap => ({ x: () => (dy as tf.Tensor).clone() }) },
];

/** Registers each gradient above whose kernel has none yet. */
export const registerEngineGradients = (): void => {
  for (const config of configs) if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
};

registerEngineGradients();
