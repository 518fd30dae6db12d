/**
 * Helpers for the policy-loss tests: the ratios each loss clips, a central finite difference of
 * a plain loss, and the tensor form evaluated under autodiff on the same inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { unwrap, type Matrix } from '@rlflow/core';
import { sequenceLogRatios } from '../policy/gspo.js';
import type { PolicyLoss } from '../policy/registry.js';
import type { PolicyLossInput, PolicyLossParams, PolicyLossTensorParams } from '../policy/types.js';
import { lossAndGradient, type Evaluated } from '../tensor/evaluate.js';
import type { PolicyLossTensors } from '../policy/types.js';
import { tensorsOf } from './arbitraries.js';

/** The ratio each token's clip compares: exp(clamp(logp − oldLogp)) per token, or s_i for gspo. */
export const clippedRatios = (loss: 'ppo' | 'gspo' | 'cispo', input: PolicyLossInput): Float64Array => {
  if (loss === 'gspo') {
    const logS = sequenceLogRatios(input.logp, input.oldLogp, input.mask);
    return input.logp.data.map((_, i) => Math.exp(Math.min(logS[Math.floor(i / input.logp.cols)]!, 10)));
  }
  return input.logp.data.map((x, i) => Math.exp(Math.min(Math.max(x - input.oldLogp.data[i]!, -20), 20)));
};

/** Central difference of `value` with respect to each entry of `logp`. */
export const numericGradient = (value: (logp: Matrix) => number, logp: Matrix, h = 1e-6): Float64Array =>
  logp.data.map((x, i) => {
    const plus = Float64Array.from(logp.data);
    const minus = Float64Array.from(logp.data);
    plus[i] = x + h;
    minus[i] = x - h;
    return (value({ ...logp, data: plus }) - value({ ...logp, data: minus })) / (2 * h);
  });

/** The tensor form on the same inputs: values of loss and metrics, and ∂loss/∂logp by autodiff. */
export const tensorEvaluation = (
  loss: PolicyLoss,
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

export const plainEvaluation = (loss: PolicyLoss, params: PolicyLossParams, input: PolicyLossInput) => unwrap(loss.plain(params)(input));
