/**
 * Tensor plumbing: stop-gradient, the gradient registrations (tfjs-core semantics), conversions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpuBackend } from './cpu-backend.js';
import { matrixFromTensor, toTensor2D } from './convert.js';
import { registerKernelGradients } from './gradients.js';
import { detached, stopGradient } from './stop-gradient.js';
import { leakedBy } from './testing.js';

beforeAll(useCpuBackend);

describe('stop-gradient', () => {
  it('keeps the value and zeroes the derivative', () => {
    const x = tf.tensor1d([1, -2, 3]);
    const leaked = leakedBy(() => {
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.add(tf.mul(v, 2), tf.mul(stopGradient(v), 5))))(x);
      expect(Array.from(g.dataSync())).toEqual([2, 2, 2]);
      const y = stopGradient(x);
      expect(Array.from(y.dataSync())).toEqual([1, -2, 3]);
      tf.dispose([g, y]);
    });
    x.dispose();
    expect(leaked).toBe(0);
  });

  it('detached(f) computes f with no gradient through anything inside it', () => {
    const x = tf.tensor1d([0.5, 1]);
    const leaked = leakedBy(() => {
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, detached((u) => tf.exp(u))(v))))(x);
      expect(Array.from(g.dataSync()).map((d) => Number(d.toFixed(5)))).toEqual([Math.exp(0.5), Math.exp(1)].map((d) => Number(d.toFixed(5))));
      g.dispose();
    });
    x.dispose();
    expect(leaked).toBe(0);
  });
});

describe('gradient registrations', () => {
  it('differentiate the kernels the losses use, the same way as tfjs-core', () => {
    const x = tf.tensor1d([-1, 0.5, 2]);
    const leaked = leakedBy(() => {
      const g = tf.grad((v: tf.Tensor) =>
        tf.sum(tf.add(tf.maximum(v, 0.5), tf.add(tf.minimum(v, 0.5), tf.add(tf.clipByValue(v, -0.5, 1), tf.add(tf.tanh(v), tf.addN([tf.div(tf.expm1(v), 2), v, v])))))),
      )(x);
      const expected = [-1, 0.5, 2].map(
        (v) => (v >= 0.5 ? 1 : 0) + (v <= 0.5 ? 1 : 0) + (v >= -0.5 && v <= 1 ? 1 : 0) + (1 - Math.tanh(v) ** 2) + Math.exp(v) / 2 + 2,
      );
      Array.from(g.dataSync()).forEach((d, i) => expect(d).toBeCloseTo(expected[i]!, 5));
      g.dispose();
    });
    x.dispose();
    expect(leaked).toBe(0);
  });

  it('do not replace a gradient someone else registered', () => {
    const before = tf.getGradient(tf.Exp);
    registerKernelGradients();
    expect(tf.getGradient(tf.Exp)).toBe(before);
  });
});

describe('conversions', () => {
  it('round-trip a matrix through a float32 tensor', () => {
    const m = { rows: 2, cols: 2, data: Float64Array.from([0.5, -1, 2, 0]) };
    const t = toTensor2D(m);
    expect(t.shape).toEqual([2, 2]);
    expect(matrixFromTensor(t)).toEqual(m);
    t.dispose();
  });
});
