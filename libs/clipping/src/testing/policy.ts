/**
 * Helpers for the policy-loss tests: the ratios each loss clips and a central finite difference
 * of a plain loss.
 */
import type { Matrix } from '@rlflow/core';
import { sequenceLogRatios } from '../policy/gspo.js';
import type { PolicyLossInput } from '../policy/types.js';

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
