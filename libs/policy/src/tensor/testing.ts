/**
 * Helpers for the tensor forms' tests: plain [B, T] inputs as tensors, the number of tensors a
 * call leaves behind, and a tensor policy loss evaluated under autodiff on plain inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { unwrap } from '@rlflow/core';
import type { PolicyLossInput } from '@rlflow/clipping';
import { toTensor2D } from './convert.js';
import { lossAndGradient, type Evaluated } from './evaluate.js';
import type { PolicyLossTensor } from './losses/policy/registry.js';
import type { PolicyLossTensorParams, PolicyLossTensors } from './losses/policy/types.js';

/** The four inputs as float32 tensors, the caller's to dispose. */
export const tensorsOf = (input: PolicyLossInput) => ({
  logp: toTensor2D(input.logp),
  oldLogp: toTensor2D(input.oldLogp),
  advantages: toTensor2D(input.advantages),
  mask: toTensor2D(input.mask),
});

/** Runs `f` and returns how many tensors it left behind. */
export const leakedBy = (f: () => void): number => {
  const before = tf.memory().numTensors;
  f();
  return tf.memory().numTensors - before;
};

/** The tensor form on plain inputs: values of loss and metrics, and ∂loss/∂logp by autodiff. */
export const tensorEvaluation = (
  loss: PolicyLossTensor,
  params: PolicyLossTensorParams,
  input: PolicyLossInput,
): { readonly values: Evaluated<PolicyLossTensors>; readonly gradLogp: Float32Array } => {
  const t = tensorsOf(input);
  try {
    return unwrap(lossAndGradient((logp) => loss.tensor(params)({ ...t, logp }))(t.logp));
  } finally {
    tf.dispose([t.logp, t.oldLogp, t.advantages, t.mask]);
  }
};
