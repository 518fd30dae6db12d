/**
 * AAAC clip bounds, tensor form (float32): `ã = tanh(A/κ)`,
 * `epsHigh = epsHigh0 + δ_high·max(ã, 0)`, `epsLow = epsLow0·(1 − δ_low·max(−ã, 0))`,
 * elementwise over an advantages tensor of any shape ([B, T], or [B, 1] per sequence, which the
 * policy losses broadcast over the tokens).
 *
 * Reference: docs/algorithms.md §4. The advantages tensor is the caller's; the two bound tensors
 * returned are the caller's to dispose.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { guarded, type StageError } from '@rlflow/core';
import { AAAC_DEFAULTS, aaacParamChecks, type AaacParams } from '@rlflow/clipping';
import { tensorFinite } from '../validation.js';

export interface ClipBoundsTensors {
  readonly epsLow: tf.Tensor;
  readonly epsHigh: tf.Tensor;
}

export const aaacTensor =
  (params: Partial<AaacParams> = {}) =>
  (advantages: tf.Tensor): E.Either<StageError, ClipBoundsTensors> => {
    const p: AaacParams = { ...AAAC_DEFAULTS, ...params };
    return guarded([...aaacParamChecks('clip.aaac', p), tensorFinite('clip.aaac', 'advantages', advantages)], () =>
      tf.tidy(() => {
        const a = tf.tanh(tf.div(advantages, p.kappa));
        return {
          epsLow: tf.mul(tf.sub(1, tf.mul(p.deltaLow, tf.relu(tf.neg(a)))), p.epsLow0),
          epsHigh: tf.add(p.epsHigh0, tf.mul(p.deltaHigh, tf.relu(a))),
        };
      }),
    );
  };
