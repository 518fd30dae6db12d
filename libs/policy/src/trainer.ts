/**
 * The training step. The caller builds the loss from the engine's differentiable per-token
 * log-probs and entropies (the clipping library's losses, an SFT cross-entropy, PAPO terms);
 * the engine runs the forward pass, differentiates the loss with respect to the policy's
 * parameters, accumulates over micro-batches, clips the global gradient norm and applies AdamW
 * (optimizer.ts).
 *
 * Micro-batching: the step's sequences are cut, in order, into micro-batches whose padded size
 * rows × (image tokens + prompt width + response width) stays within `microBatchTokens`. The
 * loss closure is called once per micro-batch with that micro-batch's rows; the gradient of the
 * step is the sum of the micro-batch gradients, i.e. the gradient of Σ_micro-batches loss. A loss
 * that is a mean over the whole batch therefore divides by the whole batch's normaliser (the
 * closure gets `rows` to pick its per-row data and knows the batch it was built for).
 *
 * A frozen copy of the initial policy (the KL reference) exists only when `klCoef` ≠ 0.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as tf from '@tensorflow/tfjs-core';
import { inRange, StageError, validate } from '@rlflow/core';
import { geometry } from './config.js';
import { validateSequences } from './inputs.js';
import type { SequenceInput } from './layout.js';
import { adamWUpdate, clipScale, globalNorm, learningRate, type AdamSlot, type OptimizerConfig } from './optimizer.js';
import { decays, paramSpecs } from './params.js';
import { FrozenParams, logProbsWith, patchFlags, teacherForcedRows, type LogProbOptions, type LogProbs, type PatchMasking, type Policy } from './policy.js';

export interface TrainerOptions {
  readonly optimizer: OptimizerConfig;
  /** Padded tokens per micro-batch (rows × sequence length); 0 puts the whole batch in one. */
  readonly microBatchTokens: number;
  /** Coefficient of the KL term the caller's loss uses; a frozen reference copy is made only when it is ≠ 0. */
  readonly klCoef: number;
}

export interface LossInputs {
  /** Log-probs of the micro-batch's response tokens, [b, T] (T = the step's response width); 0 beyond each row's length. */
  readonly logp: tf.Tensor2D;
  /** Entropies of the next-token distributions, [b, T]; 0 beyond each row's length. */
  readonly entropy: tf.Tensor2D;
  /** The same rows scored with blackened image patches (PAPO), when the step asked for them. */
  readonly masked?: { readonly logp: tf.Tensor2D; readonly entropy: tf.Tensor2D };
  /** Indices of the micro-batch's rows among the step's sequences. */
  readonly rows: readonly number[];
}

/** Builds the micro-batch's loss; called inside the engine's scope, so the tensors it creates are freed by the engine. */
export type LossFn = (inputs: LossInputs) => tf.Scalar;

export interface StepOptions {
  /** Response width T of the logp handed to the loss (default: the longest response). */
  readonly responseWidth?: number;
  /** Also score every sequence with blackened image patches (PAPO). */
  readonly maskedImages?: PatchMasking;
}

export interface StepResult {
  /** 0-based index of the step just taken. */
  readonly step: number;
  /** Σ over micro-batches of the loss closure's value. */
  readonly loss: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Factor the gradients were scaled by (1 when within the bound). */
  readonly clipScale: number;
  readonly learningRate: number;
  readonly microBatches: number;
  /** Padded tokens processed (forward passes × rows × sequence length). */
  readonly tokens: number;
}

/** Everything needed to resume a trainer exactly, as plain arrays. */
export interface TrainerState {
  readonly options: TrainerOptions;
  /** Steps taken so far. */
  readonly step: number;
  readonly m: ReadonlyMap<string, Float32Array>;
  readonly v: ReadonlyMap<string, Float32Array>;
  readonly reference?: ReadonlyMap<string, Float32Array>;
}

/** Row ranges of consecutive sequences whose padded size stays within `budget` tokens (at least one row each). */
export const microBatches = (
  promptLengths: readonly number[],
  imageTokens: number,
  responseWidth: number,
  budget: number,
): number[][] => {
  const out: number[][] = [];
  let current: number[] = [];
  let widest = 0;
  promptLengths.forEach((len, row) => {
    const nextWidest = Math.max(widest, len);
    if (budget > 0 && current.length > 0 && (current.length + 1) * (imageTokens + nextWidest + responseWidth) > budget) {
      out.push(current);
      current = [];
      widest = len;
    } else {
      widest = nextWidest;
    }
    current.push(row);
  });
  if (current.length > 0) out.push(current);
  return out;
};

export const validateTrainerOptions = (options: TrainerOptions): E.Either<StageError, void> =>
  validate(
    inRange('policy.trainer', 'microBatchTokens', options.microBatchTokens, { min: 0 }),
    inRange('policy.trainer', 'klCoef', options.klCoef, {}),
  );

export class Trainer {
  private readonly slots: ReadonlyMap<string, AdamSlot>;
  private readonly reference: FrozenParams | undefined;
  private stepCount: number;
  private disposed = false;

  constructor(
    readonly policy: Policy,
    readonly options: TrainerOptions,
    state?: TrainerState,
  ) {
    const config = policy.config;
    const slots = new Map<string, AdamSlot>();
    for (const spec of paramSpecs(config)) {
      const param = policy.variables.get(spec.name)!;
      const m = state?.m.get(spec.name);
      const v = state?.v.get(spec.name);
      const size = param.size;
      slots.set(spec.name, {
        param,
        m: tf.tidy(() => tf.variable(tf.tensor(m ?? new Float32Array(size), param.shape), false)),
        v: tf.tidy(() => tf.variable(tf.tensor(v ?? new Float32Array(size), param.shape), false)),
        decay: decays(spec),
      });
    }
    this.slots = slots;
    this.stepCount = state?.step ?? 0;
    this.reference = options.klCoef !== 0 ? new FrozenParams(config, state?.reference ?? policy.weights()) : undefined;
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  get hasReference(): boolean {
    return this.reference !== undefined;
  }

  /** One optimizer step on `sequences` with the loss `loss`. */
  step(sequences: readonly SequenceInput[], loss: LossFn, options: StepOptions = {}): E.Either<StageError, StepResult> {
    this.assertLive();
    const config = this.policy.config;
    const checked = validateSequences('policy.step', config, sequences, true);
    if (E.isLeft(checked)) return checked;
    const width = options.responseWidth ?? Math.max(0, ...sequences.map((s) => s.responseTokens?.length ?? 0));
    const { imageTokens } = geometry(config);
    const batches = microBatches(
      sequences.map((s) => s.promptTokens.length),
      imageTokens,
      width,
      this.options.microBatchTokens,
    );
    const flags = patchFlags(config, sequences.length, options.maskedImages);
    const params = this.policy.variables;
    const varList = [...params.values()];
    let summed: Map<string, tf.Tensor> | undefined;
    let lossTotal = 0;
    let tokens = 0;
    try {
      for (const rows of batches) {
        const promptWidth = Math.max(...rows.map((r) => sequences[r]!.promptTokens.length));
        tokens += rows.length * (imageTokens + promptWidth + width) * (flags === undefined ? 1 : 2);
        const { value, grads } = tf.variableGrads(() => {
          const plain = teacherForcedRows(params, config, sequences, rows, width, undefined);
          const masked = flags === undefined ? undefined : teacherForcedRows(params, config, sequences, rows, width, flags);
          return loss(masked === undefined ? { ...plain, rows } : { ...plain, masked, rows });
        }, varList);
        lossTotal += value.dataSync()[0]!;
        value.dispose();
        summed = this.accumulate(summed, grads);
      }
      const gradients = summed!;
      const norm = globalNorm([...gradients.values()]);
      if (!Number.isFinite(norm)) {
        return E.left(new StageError('policy.step', 'gradNorm', null, 'not-finite', `is ${norm}: the loss or its gradient is not finite; no update was applied`));
      }
      const scale = clipScale(norm, this.options.optimizer.maxGradNorm);
      const lr = learningRate(this.options.optimizer, this.stepCount);
      for (const [name, slot] of this.slots) adamWUpdate(this.options.optimizer, slot, gradients.get(name)!, scale, lr, this.stepCount);
      const result: StepResult = {
        step: this.stepCount,
        loss: lossTotal,
        gradNorm: norm,
        clipScale: scale,
        learningRate: lr,
        microBatches: batches.length,
        tokens,
      };
      this.stepCount++;
      return E.right(result);
    } finally {
      if (summed !== undefined) for (const g of summed.values()) g.dispose();
    }
  }

  /** Teacher-forced log-probs under the frozen reference policy; an error when there is none (klCoef = 0). */
  referenceLogProbs(sequences: readonly SequenceInput[], options?: LogProbOptions): E.Either<StageError, LogProbs> {
    this.assertLive();
    const reference = this.reference;
    if (reference === undefined) {
      return E.left(new StageError('policy.referenceLogProbs', 'klCoef', null, 'invalid', 'is 0, so the trainer keeps no reference policy'));
    }
    return E.map(() => logProbsWith(reference.tensors, this.policy.config, sequences, options))(
      validateSequences('policy.referenceLogProbs', this.policy.config, sequences, true),
    );
  }

  /** The optimizer state (and reference weights) as plain arrays, for checkpoints. */
  exportState(): TrainerState {
    this.assertLive();
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const [name, slot] of this.slots) {
      m.set(name, Float32Array.from(slot.m.dataSync() as Float32Array));
      v.set(name, Float32Array.from(slot.v.dataSync() as Float32Array));
    }
    const base = { options: this.options, step: this.stepCount, m, v };
    return this.reference === undefined ? base : { ...base, reference: this.reference.weights() };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const slot of this.slots.values()) {
      slot.m.dispose();
      slot.v.dispose();
    }
    this.reference?.dispose();
  }

  /** Adds one micro-batch's gradients (keyed by variable name) into the running sums keyed by parameter name. */
  private accumulate(summed: Map<string, tf.Tensor> | undefined, grads: tf.NamedTensorMap): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, slot] of this.slots) {
      const g = grads[slot.param.name] ?? tf.zerosLike(slot.param);
      const previous = summed?.get(name);
      if (previous === undefined) {
        out.set(name, g);
      } else {
        out.set(name, tf.add(previous, g));
        previous.dispose();
        g.dispose();
      }
    }
    return out;
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('trainer: used after dispose()');
  }
}

export const createTrainer = (policy: Policy, options: TrainerOptions, state?: TrainerState): E.Either<StageError, Trainer> =>
  E.map(() => new Trainer(policy, options, state))(validateTrainerOptions(options));
