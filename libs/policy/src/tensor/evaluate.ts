/**
 * Runs a tensor loss under tfjs autodiff and reads it back: the value of every scalar it
 * returns (`loss` and its metrics) and `∂loss/∂logp`, computed by `tf.valueAndGrad`, as plain
 * numbers. Every tensor it makes is disposed before it returns, so `tf.memory().numTensors` is
 * unchanged; a StageError from the loss comes back as a Left.
 *
 * Reference: docs/algorithms.md §5 ("the golden cases check both the loss value and ∂loss/∂logp").
 */
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { isStageError, type StageError } from '@rlflow/core';

type ScalarOutputs = { readonly loss: tf.Scalar } & { readonly [name: string]: tf.Scalar | undefined };

export type Evaluated<R> = { readonly [K in keyof R]: R[K] extends tf.Scalar ? number : number | undefined };

export interface LossAndGradient<R> {
  readonly values: Evaluated<R>;
  /** ∂loss/∂logp, row-major [B, T], float32. */
  readonly gradLogp: Float32Array;
}

export const lossAndGradient =
  <R extends ScalarOutputs>(lossOf: (logp: tf.Tensor2D) => E.Either<StageError, R>) =>
  (logp: tf.Tensor2D): E.Either<StageError, LossAndGradient<R>> => {
    const values: Record<string, number> = {};
    try {
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor2D) => {
        const out = lossOf(x);
        if (E.isLeft(out)) throw out.left;
        for (const [name, t] of Object.entries(out.right)) if (t !== undefined) values[name] = t.dataSync()[0]!;
        return out.right.loss;
      })(logp);
      const gradLogp = Float32Array.from(grad.dataSync());
      value.dispose();
      grad.dispose();
      return E.right({ values: values as Evaluated<R>, gradLogp });
    } catch (error) {
      if (isStageError(error)) return E.left(error);
      throw error;
    }
  };
