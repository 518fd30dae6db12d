/**
 * Σᵢ tᵢ over any number of same-shape tensors, as a tree of `addN` calls of at most
 * `ADD_MANY_FAN_IN` inputs each.
 *
 * tfjs-backend-webgpu 4.22 compiles `addN` into one shader that binds every input as a storage
 * buffer; past the device's `maxStorageBuffersPerShaderStage` (8 on SwiftShader and many GPUs,
 * the WebGPU default) the pipeline is invalid, nothing is computed, and the result is whatever
 * the output buffer held — no exception (its `concat` splits its inputs for this reason; `addN`
 * does not). Seven inputs and the output fit the WebGPU minimum of 8, on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';

export const ADD_MANY_FAN_IN = 7;

export const addMany = (tensors: readonly tf.Tensor[]): tf.Tensor => {
  if (tensors.length === 0) throw new RangeError('addMany: no tensors to add');
  let level: tf.Tensor[] = [...tensors];
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += ADD_MANY_FAN_IN) {
      const group = level.slice(i, i + ADD_MANY_FAN_IN);
      next.push(group.length === 1 ? group[0]! : tf.addN(group));
    }
    level = next;
  }
  return level[0]!;
};
