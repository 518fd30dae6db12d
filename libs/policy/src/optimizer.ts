/**
 * AdamW (Loshchilov & Hutter 2019, Algorithm 2) with global-norm gradient clipping and a
 * warm-up + constant/cosine learning-rate schedule.
 *
 *   clip        g ← g · min(1, c / (‖g‖₂ + 1e-6)),  ‖g‖₂ over all parameters together (c = 0: no clip)
 *   moments     m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
 *   update      θ ← θ − η_t · ( m/(1−β₁ᵗ) / (√(v/(1−β₂ᵗ)) + ε) + λ·θ )   (λ only for matrices)
 *   schedule    (learningRateAt, @rlflow/engine) η_t = η·(t+1)/W for t < W;  then η (constant) or
 *               η·(r + (1−r)·½(1 + cos(π·p))),  p = (t−W)/max(1, T−W) clamped to [0, 1]
 *
 * t is the 0-based index of the step being taken (the bias corrections use t+1).
 */
import * as t from 'io-ts';
import { LEARNING_RATE_SCHEDULES } from '@rlflow/engine';
import { literalUnion, NonNegativeInt, NonNegativeNumber, PositiveInt, PositiveNumber } from '@rlflow/core';
import * as tf from '@tensorflow/tfjs-core';
import { addMany } from './tensor/add-many.js';

const UnitInterval = t.refinement(t.number, (n) => n >= 0 && n < 1, 'NumberIn[0,1)');
const Fraction = t.refinement(t.number, (n) => n >= 0 && n <= 1, 'NumberIn[0,1]');

export const OptimizerConfigCodec = t.type({
  learningRate: PositiveNumber,
  beta1: UnitInterval,
  beta2: UnitInterval,
  epsilon: PositiveNumber,
  weightDecay: NonNegativeNumber,
  warmupSteps: NonNegativeInt,
  schedule: literalUnion(LEARNING_RATE_SCHEDULES),
  /** Steps of the whole run (the cosine schedule's horizon). */
  totalSteps: PositiveInt,
  /** Final learning rate of the cosine schedule as a fraction of `learningRate`. */
  minLearningRateRatio: Fraction,
  /** Global gradient-norm bound; 0 disables clipping. */
  maxGradNorm: NonNegativeNumber,
});

export type OptimizerConfig = t.TypeOf<typeof OptimizerConfigCodec>;

export const defaultOptimizerConfig: OptimizerConfig = {
  learningRate: 1e-4,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0.01,
  warmupSteps: 0,
  schedule: 'constant',
  totalSteps: 1000,
  minLearningRateRatio: 0.1,
  maxGradNorm: 1,
};


/** The factor applied to every gradient for a global norm `norm` (1 when within the bound). */
export const clipScale = (norm: number, maxNorm: number): number => (maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1);

/** ‖g‖₂ over all gradients, read back asynchronously (backends that cannot read synchronously). */
export const readGlobalNorm = async (grads: readonly tf.Tensor[]): Promise<number> => {
  const norm = tf.tidy(() => tf.sqrt(addMany(grads.map((g) => tf.sum(tf.mul(g, g))))));
  try {
    return (await norm.data())[0]!;
  } finally {
    norm.dispose();
  }
};

/** The moment and weight-decay coefficients an AdamW update uses. */
export type AdamWCoefficients = Pick<OptimizerConfig, 'beta1' | 'beta2' | 'epsilon' | 'weightDecay'>;

export interface AdamSlot {
  readonly param: tf.Variable;
  readonly m: tf.Variable;
  readonly v: tf.Variable;
  readonly decay: boolean;
}

/** One AdamW update of `slot` with gradient `grad` (already summed over micro-batches), in place. */
export const adamWUpdate = (config: AdamWCoefficients, slot: AdamSlot, grad: tf.Tensor, scale: number, lr: number, step: number): void => {
  tf.tidy(() => {
    const g = scale === 1 ? grad : tf.mul(grad, scale);
    const m = tf.add(tf.mul(slot.m, config.beta1), tf.mul(g, 1 - config.beta1));
    const v = tf.add(tf.mul(slot.v, config.beta2), tf.mul(tf.mul(g, g), 1 - config.beta2));
    const mHat = tf.div(m, 1 - config.beta1 ** (step + 1));
    const vHat = tf.div(v, 1 - config.beta2 ** (step + 1));
    const adam = tf.div(mHat, tf.add(tf.sqrt(vHat), config.epsilon));
    const update = slot.decay && config.weightDecay > 0 ? tf.add(adam, tf.mul(slot.param, config.weightDecay)) : adam;
    slot.m.assign(m);
    slot.v.assign(v);
    slot.param.assign(tf.sub(slot.param, tf.mul(update, lr)));
  });
};
