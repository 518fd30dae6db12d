/** addMany (add-many.ts): the sum of any number of tensors, exactly as one addN, without leaking tensors. */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { ADD_MANY_FAN_IN, addMany } from './add-many.js';
import { useCpuBackend } from './cpu-backend.js';

beforeAll(async () => {
  await useCpuBackend();
});

describe('addMany', () => {
  it('equals Σ of its inputs for any count, in fan-ins of at most ADD_MANY_FAN_IN, and leaks no tensor', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 60 }), (rows) => {
        const before = tf.memory().numTensors;
        const sum = tf.tidy(() => Array.from(addMany(rows.map((r) => tf.tensor1d(r))).dataSync()));
        expect(sum).toEqual([0, 1, 2].map((j) => rows.reduce((total, r) => total + r[j]!, 0)));
        expect(tf.memory().numTensors).toBe(before);
      }),
    );
    expect(ADD_MANY_FAN_IN).toBeLessThanOrEqual(7);
  });

  it('refuses an empty list', () => {
    expect(() => addMany([])).toThrow(RangeError);
  });
});
