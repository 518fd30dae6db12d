/**
 * Every test file of `npm test` leaves TensorFlow.js's live tensor count as it found it (the
 * suites share worker processes, `isolate: false` in vitest.config.ts, so a file's leftover
 * tensors would show in the next file's counts): a file that ends with more or fewer tensors
 * than it began with fails, naming the counts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll } from 'vitest';

let atStart = 0;

beforeAll(() => {
  atStart = tf.engine().state.numTensors;
});

afterAll(() => {
  const atEnd = tf.engine().state.numTensors;
  if (atEnd !== atStart) throw new Error(`this test file left ${atEnd - atStart} live TensorFlow.js tensors behind (${atStart} at its start, ${atEnd} at its end): dispose what it creates`);
});
