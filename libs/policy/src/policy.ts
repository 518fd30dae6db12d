/**
 * The policy: the model's parameters as tfjs variables owned by one object, with plain-array
 * inputs and outputs at its boundary (callers never own a tensor). Every public method leaves
 * `tf.memory().numTensors` as it found it; `dispose` releases the variables.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as tf from '@tensorflow/tfjs-core';
import { matrix, Rng, type Matrix, type StageError } from '@rlflow/core';
import { geometry, type PolicyConfig } from './config.js';
import { generateWith, generateWithAsync, type GenerateOptions, type Generation, type PromptInput } from './generate.js';
import { blackenedPatches, validateSequences } from './inputs.js';
import { buildLayout, patchify, responseMask, type LayoutInput } from './layout.js';
import { teacherForced, type ParamTensors, type TeacherForced } from './model.js';
import { initialWeights, paramSpecs } from './params.js';
import { validateSampling, type SamplingParams } from './sampling.js';

/** Blacken image patches independently with `probability`, drawn from `Rng.fromSeed(seed)` (PAPO). */
export interface PatchMasking {
  readonly probability: number;
  readonly seed: number;
}

export interface LogProbOptions {
  /** Pad the outputs to this width (default: the longest response). */
  readonly responseWidth?: number;
  /** Sequences per forward pass (default: all at once). */
  readonly microBatchSize?: number;
  /** Score the sequences with randomly blackened image patches. */
  readonly maskedImages?: PatchMasking;
}

export interface LogProbs {
  /** Per-token log-probs of the response tokens, [B, T]; 0 where mask is 0. */
  readonly logp: Matrix;
  /** Per-token entropy of the next-token distribution, [B, T]; 0 where mask is 0. */
  readonly entropy: Matrix;
  /** 1 for a real response token, [B, T]. */
  readonly mask: Matrix;
}

/** Blackened-patch flags [B, I] for `batch` sequences, or undefined without masking. */
export const patchFlags = (config: PolicyConfig, batch: number, masking: PatchMasking | undefined): Uint8Array | undefined => {
  if (masking === undefined) return undefined;
  const rng = Rng.fromSeed(masking.seed);
  return blackenedPatches(batch, geometry(config).imageTokens, masking.probability, () => rng.next());
};

/** Teacher-forced outputs of rows `rows` of `sequences` as tensors (inside the caller's tidy scope). */
export const teacherForcedRows = (
  params: ParamTensors,
  config: PolicyConfig,
  sequences: readonly LayoutInput[],
  rows: readonly number[],
  responseWidth: number,
  flags: Uint8Array | undefined,
): TeacherForced => {
  const picked = rows.map((r) => sequences[r]!);
  const layout = buildLayout(config, picked, responseWidth);
  const imageTokens = geometry(config).imageTokens;
  const rowFlags =
    flags === undefined
      ? undefined
      : Uint8Array.from(rows.flatMap((r) => Array.from(flags.subarray(r * imageTokens, (r + 1) * imageTokens))));
  const patches = tf.tensor2d(
    patchify(
      config,
      picked.map((s) => s.image),
      rowFlags,
    ),
    [imageTokens * picked.length, geometry(config).patchDim],
  );
  return teacherForced(params, config, { layout, patches }, responseMask(layout));
};

/** Consecutive row ranges of at most `size` rows. */
export const chunks = (count: number, size: number): number[][] => {
  const out: number[][] = [];
  for (let start = 0; start < count; start += size) out.push(Array.from({ length: Math.min(size, count - start) }, (_, i) => start + i));
  return out;
};

/** Teacher-forced log-probs and entropies as plain matrices (inputs already validated). */
export const logProbsWith = (
  params: ParamTensors,
  config: PolicyConfig,
  sequences: readonly LayoutInput[],
  options: LogProbOptions = {},
): LogProbs => {
  const batch = sequences.length;
  const width = options.responseWidth ?? Math.max(0, ...sequences.map((s) => s.responseTokens?.length ?? 0));
  const logp = new Float64Array(batch * width);
  const entropy = new Float64Array(batch * width);
  const mask = new Float64Array(batch * width);
  sequences.forEach((s, b) => mask.fill(1, b * width, b * width + Math.min(s.responseTokens?.length ?? 0, width)));
  if (width > 0) {
    const flags = patchFlags(config, batch, options.maskedImages);
    for (const rows of chunks(batch, options.microBatchSize ?? batch)) {
      const [lp, ent] = tf.tidy(() => {
        const out = teacherForcedRows(params, config, sequences, rows, width, flags);
        return [out.logp, out.entropy];
      });
      const lpValues = lp!.dataSync();
      const entValues = ent!.dataSync();
      lp!.dispose();
      ent!.dispose();
      logp.set(lpValues, rows[0]! * width);
      entropy.set(entValues, rows[0]! * width);
    }
  }
  return { logp: matrix(batch, width, logp), entropy: matrix(batch, width, entropy), mask: matrix(batch, width, mask) };
};

let policyCount = 0;

export class Policy {
  /** The model's parameters in `paramSpecs` order; the engine's own handle, not for callers to dispose. */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  private disposed = false;

  private constructor(
    readonly config: PolicyConfig,
    weights: ReadonlyMap<string, Float32Array>,
  ) {
    const id = policyCount++;
    const variables = new Map<string, tf.Variable>();
    for (const spec of paramSpecs(config)) {
      const values = weights.get(spec.name);
      if (values === undefined) throw new Error(`policy weights: ${spec.name} is missing`);
      variables.set(
        spec.name,
        tf.tidy(() => tf.variable(tf.tensor(values, [...spec.shape], 'float32'), true, `policy${id}/${spec.name}`)),
      );
    }
    this.variables = variables;
  }

  /** A policy initialised deterministically from `seed`. */
  static create(config: PolicyConfig, seed: number): Policy {
    return new Policy(config, initialWeights(config, seed));
  }

  /** A policy with the given weights (names and sizes as in `paramSpecs`). */
  static fromWeights(config: PolicyConfig, weights: ReadonlyMap<string, Float32Array>): Policy {
    return new Policy(config, weights);
  }

  /** Samples responses for `prompts`; the same seed on the same backend gives the same samples. */
  generate(prompts: readonly PromptInput[], sampling: SamplingParams, seed: number, options?: GenerateOptions): E.Either<StageError, Generation> {
    return E.map(() => generateWith(this.variables, this.config, prompts, sampling, seed, options))(this.checkGenerate(prompts, sampling));
  }

  /** `generate`, reading logits asynchronously: the same samples, on every backend (webgpu reads back only asynchronously). */
  async generateAsync(prompts: readonly PromptInput[], sampling: SamplingParams, seed: number, options?: GenerateOptions): Promise<E.Either<StageError, Generation>> {
    const checked = this.checkGenerate(prompts, sampling);
    return E.isLeft(checked) ? checked : E.right(await generateWithAsync(this.variables, this.config, prompts, sampling, seed, options));
  }

  /** Teacher-forced log-probs and entropies of the given responses. */
  logProbs(sequences: readonly LayoutInput[], options?: LogProbOptions): E.Either<StageError, LogProbs> {
    this.assertLive();
    return E.map(() => logProbsWith(this.variables, this.config, sequences, options))(validateSequences('policy.logProbs', this.config, sequences, true));
  }

  /** A copy of the current weights. */
  weights(): Map<string, Float32Array> {
    this.assertLive();
    const out = new Map<string, Float32Array>();
    for (const [name, v] of this.variables) out.set(name, Float32Array.from(v.dataSync() as Float32Array));
    return out;
  }

  /** An independent policy with the same weights. */
  clone(): Policy {
    return new Policy(this.config, this.weights());
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables.values()) v.dispose();
  }

  private checkGenerate(prompts: readonly PromptInput[], sampling: SamplingParams): E.Either<StageError, unknown> {
    this.assertLive();
    return E.flatMap(() => validateSampling(sampling, this.config.maxResponseTokens))(validateSequences('policy.generate', this.config, prompts, false));
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('policy: used after dispose()');
  }
}

export const createPolicy = (config: PolicyConfig, seed: number): Policy => Policy.create(config, seed);

/** Frozen parameter tensors (a reference policy for KL terms): no gradients, own lifetime. */
export class FrozenParams {
  readonly tensors: ReadonlyMap<string, tf.Tensor>;

  constructor(
    readonly config: PolicyConfig,
    weights: ReadonlyMap<string, Float32Array>,
  ) {
    const tensors = new Map<string, tf.Tensor>();
    for (const spec of paramSpecs(config)) {
      const values = weights.get(spec.name);
      if (values === undefined) throw new Error(`reference weights: ${spec.name} is missing`);
      tensors.set(spec.name, tf.keep(tf.tensor(values, [...spec.shape], 'float32')));
    }
    this.tensors = tensors;
  }

  weights(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, t] of this.tensors) out.set(name, Float32Array.from(t.dataSync() as Float32Array));
    return out;
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
  }
}
