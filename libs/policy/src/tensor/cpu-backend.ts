/**
 * The plain-JS tfjs backend for tests and golden cases: deterministic, needs nothing but
 * JavaScript. The library's tensor code itself talks only to `@tensorflow/tfjs-core`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

export const useCpuBackend = async (): Promise<void> => {
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  await tf.ready();
};
