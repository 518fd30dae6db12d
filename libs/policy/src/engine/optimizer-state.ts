/**
 * The TensorFlow.js engine's optimizer state: the gradient accumulated by forward-backward passes
 * since the last step, AdamW's moments per parameter, and the count of applied steps
 * (AdamW: Loshchilov & Hutter 2019, Algorithm 2; the update itself is optimizer.ts):
 *
 *   accumulate   G ← G + ∇θ(Σ w·logp + Σ u·H)           (one call per micro-batch and request)
 *   step         n = ‖G‖₂;  n not finite → refuse, G ← 0, nothing applied
 *                s = min(1, c/(n + 1e-6)) (c = 0: s = 1);  AdamW(θ, s·G, η, t);  G ← 0;  t ← t + 1
 *
 * t counts applied steps only, so a refused step leaves the bias corrections where they were.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as tf from '@tensorflow/tfjs-core';
import { inRange, StageError, validate } from '@rlflow/core';
import type { AdamWParams, OptimStepResult } from '@rlflow/engine';
import type { PolicyConfig } from '../config.js';
import { adamWUpdate, clipScale, readGlobalNorm, type AdamSlot } from '../optimizer.js';
import { decays, paramSpecs } from '../params.js';

const STAGE = 'engine.tfjs.optimStep';

const below1 =
  (field: string, x: number) =>
  (): StageError | undefined =>
    x < 1 ? undefined : new StageError(STAGE, field, null, 'out-of-range', `is ${x}, expected a number in [0, 1)`);

export const validateAdamW = (p: AdamWParams): E.Either<StageError, void> =>
  validate(
    inRange(STAGE, 'learningRate', p.learningRate, { min: 0 }),
    inRange(STAGE, 'beta1', p.beta1, { min: 0 }),
    below1('beta1', p.beta1),
    inRange(STAGE, 'beta2', p.beta2, { min: 0 }),
    below1('beta2', p.beta2),
    inRange(STAGE, 'eps', p.eps, { min: 0, exclusiveMin: true }),
    inRange(STAGE, 'weightDecay', p.weightDecay, { min: 0 }),
    inRange(STAGE, 'maxGradNorm', p.maxGradNorm, { min: 0 }),
  );

/** AdamW moments and the step count as plain arrays. */
export interface MomentState {
  readonly step: number;
  readonly m: ReadonlyMap<string, Float32Array>;
  readonly v: ReadonlyMap<string, Float32Array>;
}

/** Every tensor of `tensors` read back as plain arrays, keyed as given. */
export const readTensors = async (tensors: ReadonlyMap<string, tf.Tensor>): Promise<Map<string, Float32Array>> => {
  const out = new Map<string, Float32Array>();
  for (const [name, t] of tensors) out.set(name, Float32Array.from((await t.data()) as Float32Array));
  return out;
};

export class OptimizerState {
  private readonly slots: ReadonlyMap<string, AdamSlot>;
  private accumulated: Map<string, tf.Tensor> | undefined;
  private stepCount = 0;

  constructor(config: PolicyConfig, variables: ReadonlyMap<string, tf.Variable>) {
    const slots = new Map<string, AdamSlot>();
    for (const spec of paramSpecs(config)) {
      const param = variables.get(spec.name)!;
      slots.set(spec.name, {
        param,
        m: tf.tidy(() => tf.variable(tf.zerosLike(param), false)),
        v: tf.tidy(() => tf.variable(tf.zerosLike(param), false)),
        decay: decays(spec),
      });
    }
    this.slots = slots;
  }

  /** Applied optimizer steps. */
  get steps(): number {
    return this.stepCount;
  }

  get hasGradient(): boolean {
    return this.accumulated !== undefined;
  }

  /** Adds gradients keyed by variable name (as `tf.variableGrads` returns them) into G; takes ownership of `grads`. */
  accumulate(grads: tf.NamedTensorMap): void {
    const previous = this.accumulated;
    const next = new Map<string, tf.Tensor>();
    for (const [name, slot] of this.slots) {
      const g = grads[slot.param.name] ?? tf.zerosLike(slot.param);
      const before = previous?.get(name);
      if (before === undefined) {
        next.set(name, g);
      } else {
        next.set(name, tf.add(before, g));
        before.dispose();
        g.dispose();
      }
    }
    this.accumulated = next;
  }

  clearGradient(): void {
    if (this.accumulated !== undefined) for (const g of this.accumulated.values()) g.dispose();
    this.accumulated = undefined;
  }

  /** G as plain arrays keyed by parameter name (zeros when nothing is accumulated). */
  async gradient(): Promise<Map<string, Float32Array>> {
    if (this.accumulated !== undefined) return readTensors(this.accumulated);
    return new Map([...this.slots].map(([name, slot]) => [name, new Float32Array(slot.param.size)]));
  }

  /** Applies G with AdamW (after the global-norm clip) and clears it; a non-finite norm is refused with nothing applied. */
  async step(params: AdamWParams): Promise<E.Either<StageError, OptimStepResult>> {
    const checked = validateAdamW(params);
    if (E.isLeft(checked)) return checked;
    const gradients = this.accumulated;
    if (gradients === undefined) {
      return E.left(new StageError(STAGE, 'gradient', null, 'empty', 'nothing is accumulated since the last step: call forwardBackward first'));
    }
    try {
      const norm = await readGlobalNorm([...gradients.values()]);
      if (!Number.isFinite(norm)) {
        return E.left(new StageError(STAGE, 'gradNorm', null, 'not-finite', `is ${norm}: the accumulated gradient is not finite; it was cleared and no update was applied`));
      }
      const scale = clipScale(norm, params.maxGradNorm);
      const coefficients = { beta1: params.beta1, beta2: params.beta2, epsilon: params.eps, weightDecay: params.weightDecay };
      for (const [name, slot] of this.slots) adamWUpdate(coefficients, slot, gradients.get(name)!, scale, params.learningRate, this.stepCount);
      this.stepCount++;
      return E.right({ steps: this.stepCount, gradNorm: norm, clipScale: scale });
    } finally {
      this.clearGradient();
    }
  }

  async exportMoments(): Promise<MomentState> {
    const m = new Map<string, tf.Tensor>();
    const v = new Map<string, tf.Tensor>();
    for (const [name, slot] of this.slots) {
      m.set(name, slot.m);
      v.set(name, slot.v);
    }
    return { step: this.stepCount, m: await readTensors(m), v: await readTensors(v) };
  }

  /** Replaces the moments and the step count (sizes already checked against the config); clears G. */
  restore(state: MomentState): void {
    this.clearGradient();
    for (const [name, slot] of this.slots) {
      tf.tidy(() => {
        slot.m.assign(tf.tensor(state.m.get(name)!, slot.param.shape, 'float32'));
        slot.v.assign(tf.tensor(state.v.get(name)!, slot.param.shape, 'float32'));
      });
    }
    this.stepCount = state.step;
  }

  dispose(): void {
    this.clearGradient();
    for (const slot of this.slots.values()) {
      slot.m.dispose();
      slot.v.dispose();
    }
  }
}
