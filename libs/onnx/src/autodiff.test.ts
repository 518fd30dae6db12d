/**
 * The autodiff's vector-Jacobian products (autodiff.ts) against central finite differences: for
 * each op f, random inputs x, seed ḡ and direction v (fast-check seeds), with L(x) = ⟨ḡ, f(x)⟩
 * summed in float64 from the graph's own float32 f,
 *
 *   Σ_i ⟨∂L/∂x_i, v_i⟩  ≈  (L(x + h·v) − L(x − h·v)) / 2h,   h = 1e-2
 *
 * (truncation O(h²), so within 1e-2 of max(1, |value|); a wrong VJP is off by O(1)); and f(x)
 * itself equals TensorFlow.js's (cpu backend) within float32 rounding.
 */
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@rlflow/core';
import { initBackend } from '@rlflow/policy';
import { Tape } from './autodiff.js';
import { GraphBuilder, sizeOf, type Value } from './graph.js';

beforeAll(async () => {
  await initBackend('cpu');
});

interface OpCase {
  readonly name: string;
  readonly shapes: readonly (readonly number[])[];
  /** Inputs drawn in (0.5, 1.5) instead of (−1, 1) (rsqrt). */
  readonly positive?: boolean;
  readonly onnx: (t: Tape, xs: readonly Value[]) => Value;
  readonly tfjs: (xs: readonly tf.Tensor[]) => tf.Tensor;
}

const ids = [2, 0, 2, 1];

const CASES: readonly OpCase[] = [
  { name: 'matmul 2-D', shapes: [[3, 4], [4, 5]], onnx: (t, [a, b]) => t.matmul(a!, b!), tfjs: ([a, b]) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D) },
  { name: 'matmul batched', shapes: [[2, 3, 4], [2, 4, 2]], onnx: (t, [a, b]) => t.matmul(a!, b!), tfjs: ([a, b]) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D) },
  { name: 'add, broadcast', shapes: [[3, 4], [4]], onnx: (t, [a, b]) => t.add(a!, b!), tfjs: ([a, b]) => tf.add(a!, b!) },
  { name: 'sub, broadcast', shapes: [[2, 1, 4], [3, 1]], onnx: (t, [a, b]) => t.sub(a!, b!), tfjs: ([a, b]) => tf.sub(a!, b!) },
  { name: 'mul, broadcast', shapes: [[2, 3, 4], [2, 1, 4]], onnx: (t, [a, b]) => t.mul(a!, b!), tfjs: ([a, b]) => tf.mul(a!, b!) },
  { name: 'scale and addScalar', shapes: [[3, 2]], onnx: (t, [a]) => t.addScalar(t.scale(a!, -0.7), 0.3), tfjs: ([a]) => tf.add(tf.mul(a!, -0.7), 0.3) },
  { name: 'relu', shapes: [[4, 5]], onnx: (t, [a]) => t.relu(a!), tfjs: ([a]) => tf.relu(a!) },
  { name: 'rsqrt', shapes: [[3, 3]], positive: true, onnx: (t, [a]) => t.rsqrt(a!), tfjs: ([a]) => tf.rsqrt(a!) },
  { name: 'exp', shapes: [[3, 3]], onnx: (t, [a]) => t.exp(a!), tfjs: ([a]) => tf.exp(a!) },
  { name: 'sum, kept axis', shapes: [[2, 3, 4]], onnx: (t, [a]) => t.sum(a!, 1, true), tfjs: ([a]) => tf.sum(a!, 1, true) },
  { name: 'sum, dropped last axis', shapes: [[3, 4]], onnx: (t, [a]) => t.sum(a!, -1, false), tfjs: ([a]) => tf.sum(a!, -1) },
  { name: 'softmax', shapes: [[3, 5]], onnx: (t, [a]) => t.softmax(a!), tfjs: ([a]) => tf.softmax(a!) },
  { name: 'logSoftmax', shapes: [[3, 5]], onnx: (t, [a]) => t.logSoftmax(a!), tfjs: ([a]) => tf.logSoftmax(a!) },
  { name: 'transpose', shapes: [[2, 3, 4]], onnx: (t, [a]) => t.transpose(a!, [2, 0, 1]), tfjs: ([a]) => tf.transpose(a!, [2, 0, 1]) },
  // The input is used twice: its two contributions are summed.
  { name: 'reshape', shapes: [[2, 6]], onnx: (t, [a]) => t.mul(t.reshape(a!, [3, 4]), t.reshape(a!, [3, 4])), tfjs: ([a]) => tf.mul(tf.reshape(a!, [3, 4]), tf.reshape(a!, [3, 4])) },
  { name: 'slice', shapes: [[3, 6]], onnx: (t, [a]) => t.slice(a!, 1, 1, 4), tfjs: ([a]) => tf.slice(a!, [0, 1], [3, 3]) },
  { name: 'concat', shapes: [[2, 3], [2, 2]], onnx: (t, [a, b]) => t.concat([a!, b!], 1), tfjs: ([a, b]) => tf.concat([a!, b!], 1) },
  {
    name: 'gather, repeated ids, 3-D table',
    shapes: [[3, 2, 2]],
    onnx: (t, [a]) => t.gather(a!, t.g.int64s(ids)),
    tfjs: ([a]) => tf.gather(a!, tf.tensor1d(ids, 'int32')),
  },
];

/** Uniform in ±(0.1, 1) — away from relu's kink by more than h — or in (0.5, 1.5). */
const draw = (rng: Rng, shape: readonly number[], positive: boolean): Float32Array =>
  Float32Array.from({ length: sizeOf(shape) }, () => (positive ? 0.5 + rng.next() : (rng.next() < 0.5 ? -1 : 1) * (0.1 + 0.9 * rng.next())));

const STEP = 1e-2;

interface Built {
  readonly session: ort.InferenceSession;
  readonly outShape: readonly number[];
}

/** The op's graph: inputs x_i and the seed; outputs f(x) and ∂⟨ḡ, f(x)⟩/∂x_i. */
const build = async (op: OpCase): Promise<Built> => {
  const t = new Tape(new GraphBuilder());
  const xs = op.shapes.map((shape, i) => t.param(`x${i}`, shape));
  const y = op.onnx(t, xs);
  const grads = t.gradients([[y, t.g.input('seed', y.shape)]]);
  t.g.output('y', y);
  xs.forEach((x, i) => t.g.output(`grad${i}`, grads.get(x.name)!));
  return { session: await ort.InferenceSession.create(t.g.model(op.name), { intraOpNumThreads: 1 }), outShape: y.shape };
};

const evaluate = async (op: OpCase, built: Built, inputs: readonly Float32Array[], seed: Float32Array): Promise<{ y: Float32Array; grads: Float32Array[] }> => {
  const feeds: Record<string, ort.Tensor> = { seed: new ort.Tensor('float32', seed, built.outShape as number[]) };
  inputs.forEach((values, i) => (feeds[`x${i}`] = new ort.Tensor('float32', values, op.shapes[i] as number[])));
  const out = await built.session.run(feeds);
  return { y: out['y']!.data as Float32Array, grads: inputs.map((_, i) => out[`grad${i}`]!.data as Float32Array) };
};

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
};

const tfjsValue = (op: OpCase, inputs: readonly Float32Array[]): Float32Array =>
  tf.tidy(() => op.tfjs(inputs.map((values, i) => tf.tensor(values, op.shapes[i] as number[]))).dataSync() as Float32Array);

describe('autodiff VJPs against finite differences', () => {
  for (const op of CASES) {
    it(op.name, async () => {
      const built = await build(op);
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }), async (seed) => {
          const rng = Rng.fromSeed(seed);
          const x = op.shapes.map((shape) => draw(rng, shape, op.positive === true));
          const v = op.shapes.map((shape) => draw(rng, shape, false));
          const g = draw(rng, built.outShape, false);
          const at = await evaluate(op, built, x, g);
          const expected = tfjsValue(op, x);
          for (let k = 0; k < expected.length; k++) expect(Math.abs(at.y[k]! - expected[k]!), `${op.name}: f(x)[${k}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected[k]!)));
          const shifted = (sign: number): Float32Array[] => x.map((xi, i) => xi.map((value, k) => value + sign * STEP * v[i]![k]!));
          const plus = dot(g, (await evaluate(op, built, shifted(1), g)).y);
          const minus = dot(g, (await evaluate(op, built, shifted(-1), g)).y);
          const numeric = (plus - minus) / (2 * STEP);
          const analytic = at.grads.reduce((sum, grad, i) => sum + dot(grad, v[i]!), 0);
          expect(Math.abs(analytic - numeric), `${op.name}: ⟨∇L, v⟩ ${analytic} vs finite difference ${numeric}`).toBeLessThanOrEqual(1e-2 * Math.max(1, Math.abs(numeric)));
        }),
        { numRuns: 5 },
      );
      await built.session.release();
    });
  }
});
