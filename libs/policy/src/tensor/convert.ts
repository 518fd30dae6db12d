/**
 * Conversions between plain [B, T] matrices (float64) and float32 tensors. A tensor made here
 * is the caller's to dispose.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Matrix } from '@rlflow/core';

export const toTensor2D = (m: Matrix): tf.Tensor2D => tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols], 'float32');

/** A float64 copy of a [B, T] tensor's values (a synchronous read). */
export const matrixFromTensor = (t: tf.Tensor2D): Matrix => ({ rows: t.shape[0], cols: t.shape[1], data: Float64Array.from(t.dataSync()) });
