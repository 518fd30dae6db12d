/**
 * Stop-gradient, `sg(x)`: the value of `x` with a zero derivative (PyTorch's `x.detach()`),
 * as used by §5 (gspo's `logp − sg(logp) + sg(log s)`, cispo's `sg(clamp(ratio))`) and §10.
 * `detached(f)(x)` computes `f(x)` as one tape node whose gradient is zero, so nothing inside
 * `f` is differentiated at all.
 *
 * Reference: docs/algorithms.md §5; tfjs-core has no stop-gradient op, so this is a `tf.customGrad`.
 */
import * as tf from '@tensorflow/tfjs-core';

export const detached =
  <T extends tf.Tensor>(f: (x: tf.Tensor) => T) =>
  (x: tf.Tensor): T =>
    tf.customGrad<T>((...inputs) => {
      const input = inputs[0] as tf.Tensor;
      return { value: f(input), gradFunc: () => tf.zeros(input.shape) };
    })(x);

/** `sg(x)`: the value of `x`, gradient zero. */
export const stopGradient = <T extends tf.Tensor>(x: T): T => detached((input) => input.clone() as T)(x);
