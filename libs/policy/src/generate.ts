/**
 * Batched autoregressive sampling with a key/value cache.
 *
 * Prefill runs the full forward pass over [image | prompt] once and keeps every decoder layer's
 * keys and values ([G, S_p, d_h], G = B·heads). Each later step feeds only the previous
 * token of every row: its query attends to the prefix cache (padding keys masked) and to the
 * keys generated so far, kept in a separate small cache that grows by one column per step, so
 * no step copies the prefix cache:
 *
 *   a = softmax([q·K_pᵀ + m_p ; q·K_gᵀ] / √d_h),   o = a_p·V_p + a_g·V_g.
 *
 * Without the cache (`useCache: false`) every step re-runs the full forward pass over the
 * sequence so far (the reference the cache is tested against, and the bench's baseline).
 * Randomness: one uniform per row per step, drawn in row order whether or not the row has
 * finished, so the same seed gives the same samples. By default every row draws from one stream
 * `Rng.fromSeed(seed)`; with `samplesPerPrompt: G` the rows come in groups of G (one prompt each)
 * and group p draws from its own stream `Rng.fromSeed(promptSeed(seed, p))` (libs/engine
 * seeds.ts), so a prompt's samples do not depend on the other prompts of the batch — what lets
 * a remote engine that samples prompt by prompt (one Tinker `asample` each) give the same rows.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matrix, Rng, type Matrix } from '@rlflow/core';
import { geometry, type PolicyConfig } from './config.js';
import { buildLayout, MASKED_SCORE, patchify, type LayoutInput } from './layout.js';
import { embedTokens, forwardHidden, headLogits, param, type LayerKv, type ParamTensors } from './model.js';
import { linear, normLinear } from './ops.js';
import { promptSeed, type PromptInput } from '@rlflow/engine';
import { sampleToken, type SamplingParams } from './sampling.js';
import { sharedPrefill } from './shared-prefix-prefill.js';
import { EOS_ID } from './tokenizer.js';

/** A prompt as the engine contract has it. */
export type { PromptInput } from '@rlflow/engine';

export interface Generation {
  /** Response tokens of each row (up to and including its end-of-sequence token when it emitted one). */
  readonly tokens: number[][];
  readonly lengths: number[];
  /** True for a row that emitted end-of-sequence. */
  readonly finished: boolean[];
  /** log π(token) under the policy at temperature 1, [B, maxNewTokens]; 0 where mask is 0. */
  readonly logprobs: Matrix;
  /** log q(token) under the (temperature, top-k, top-p) distribution sampled from, [B, maxNewTokens]. */
  readonly samplerLogprobs: Matrix;
  /** 1 for a generated response token, [B, maxNewTokens]. */
  readonly mask: Matrix;
  /** Decoding steps run (≤ maxNewTokens). */
  readonly steps: number;
}

export interface GenerateOptions {
  /** Use the key/value cache (default true). */
  readonly useCache?: boolean;
  /** Prefill each shared image + prompt once (rows with the same prefix, e.g. the G samples of a prompt; default false). */
  readonly sharedPrefixes?: boolean;
  /** Receives the logits [B·V] of every step (tests compare cached and uncached decoding with it). */
  readonly onStepLogits?: (step: number, logits: Float32Array) => void;
  /** Rows come in groups of this many per prompt, each group with its own random stream (see the header). */
  readonly samplesPerPrompt?: number;
}

interface DecodeState {
  readonly prefixK: tf.Tensor3D[];
  readonly prefixV: tf.Tensor3D[];
  /** [B, 1, 1, S_p] key bias of the prefix (padding columns masked). */
  readonly prefixBias: tf.Tensor4D;
  genK: tf.Tensor3D[];
  genV: tf.Tensor3D[];
}

const prefill = (
  params: ParamTensors,
  config: PolicyConfig,
  prompts: readonly PromptInput[],
  sharedPrefixes: boolean,
): { logits: tf.Tensor2D; state: DecodeState } => {
  const layout = buildLayout(config, prompts, 0);
  const { batch, seq } = layout;
  const result = tf.tidy(() => {
    const bias = new Float32Array(batch * seq);
    for (let i = 0; i < bias.length; i++) bias[i] = layout.keyValid[i] === 1 ? 0 : MASKED_SCORE;
    const shared = sharedPrefixes ? sharedPrefill(params, config, prompts) : undefined;
    if (shared !== undefined) return { ...shared, bias: tf.tensor4d(bias, [batch, 1, 1, seq]) };
    const kv: LayerKv[] = [];
    const patches = tf.tensor2d(patchify(config, prompts.map((p) => p.image)), [layout.imageTokens * batch, geometry(config).patchDim]);
    const hidden = forwardHidden(params, config, { layout, patches }, kv);
    const last = tf.slice(hidden, [(seq - 1) * batch, 0], [batch, config.dModel]);
    return {
      logits: headLogits(params, config, last),
      ks: kv.map((x) => x.k),
      vs: kv.map((x) => x.v),
      bias: tf.tensor4d(bias, [batch, 1, 1, seq]),
    };
  });
  return { logits: result.logits, state: { prefixK: result.ks, prefixV: result.vs, prefixBias: result.bias, genK: [], genV: [] } };
};

/** One cached decoding step: feeds `tokens` at `positions`, returns next-token logits [B, V] and the grown caches. */
const decodeStep = (
  params: ParamTensors,
  config: PolicyConfig,
  state: DecodeState,
  tokens: Int32Array,
  positions: Int32Array,
): { logits: tf.Tensor2D; genK: tf.Tensor3D[]; genV: tf.Tensor3D[] } =>
  tf.tidy(() => {
    const batch = tokens.length;
    const { heads } = config;
    const { headDim } = geometry(config);
    const d = config.dModel;
    const g = batch * heads;
    const prefixLength = state.prefixK[0]!.shape[1];
    let x = embedTokens(params, tf.tensor1d(tokens, 'int32'), tf.tensor1d(positions, 'int32'));
    const genK: tf.Tensor3D[] = [];
    const genV: tf.Tensor3D[] = [];
    for (let l = 0; l < config.decoderLayers; l++) {
      const prefix = `decoder.${l}`;
      const qkv = tf.reshape(
        normLinear(x, param(params, `${prefix}.norm1`), param(params, `${prefix}.attn.qkv.w`), param(params, `${prefix}.attn.qkv.b`), config.normEps),
        [batch, 3, d],
      );
      const part = (i: number): tf.Tensor3D => tf.reshape(tf.slice(qkv, [0, i, 0], [batch, 1, d]), [g, 1, headDim]);
      const q = tf.mul(part(0), 1 / Math.sqrt(headDim)) as tf.Tensor3D;
      const kNew = part(1);
      const vNew = part(2);
      const kGen = state.genK.length === 0 ? kNew : tf.concat([state.genK[l]!, kNew], 1);
      const vGen = state.genV.length === 0 ? vNew : tf.concat([state.genV[l]!, vNew], 1);
      genK.push(kGen);
      genV.push(vGen);
      const prefixScores = tf.reshape(
        tf.add(tf.reshape(tf.matMul(q, state.prefixK[l]!, false, true), [batch, heads, 1, prefixLength]), state.prefixBias),
        [g, 1, prefixLength],
      );
      const genScores = tf.matMul(q, kGen, false, true);
      const probs = tf.softmax(tf.concat([prefixScores, genScores], 2));
      const genLength = kGen.shape[1];
      const mixed = tf.add(
        tf.matMul(tf.slice(probs, [0, 0, 0], [g, 1, prefixLength]), state.prefixV[l]!),
        tf.matMul(tf.slice(probs, [0, 0, prefixLength], [g, 1, genLength]), vGen),
      );
      const attnOut = linear(tf.reshape(mixed, [batch, d]), param(params, `${prefix}.attn.out.w`), param(params, `${prefix}.attn.out.b`));
      const x1 = tf.add(x, attnOut) as tf.Tensor2D;
      const up = normLinear(x1, param(params, `${prefix}.norm2`), param(params, `${prefix}.mlp.up.w`), param(params, `${prefix}.mlp.up.b`), config.normEps, true);
      x = tf.add(x1, linear(up, param(params, `${prefix}.mlp.down.w`), param(params, `${prefix}.mlp.down.b`))) as tf.Tensor2D;
    }
    return { logits: headLogits(params, config, x), genK, genV };
  });

/** Next-token logits [B, V] from a full forward pass over image, prompt and the tokens generated so far. */
const uncachedLogits = (params: ParamTensors, config: PolicyConfig, prompts: readonly PromptInput[], generated: readonly number[][]): tf.Tensor2D =>
  tf.tidy(() => {
    const sequences: LayoutInput[] = prompts.map((p, b) => ({ ...p, responseTokens: generated[b]! }));
    const layout = buildLayout(config, sequences);
    const patches = tf.tensor2d(patchify(config, prompts.map((p) => p.image)), [layout.imageTokens * layout.batch, geometry(config).patchDim]);
    const hidden = forwardHidden(params, config, { layout, patches });
    const last = tf.slice(hidden, [(layout.seq - 1) * layout.batch, 0], [layout.batch, config.dModel]);
    return headLogits(params, config, last);
  });

const disposeAll = (tensors: readonly tf.Tensor[]): void => tensors.forEach((t) => t.dispose());

/**
 * The decoding loop as a generator: it yields each step's logits tensor [B, V] and is resumed
 * with their values, so one loop serves a synchronous reader (`dataSync`) and an asynchronous
 * one (`await data()`, the only kind some backends have). The reader disposes what it is given.
 */
function* decode(
  params: ParamTensors,
  config: PolicyConfig,
  prompts: readonly PromptInput[],
  sampling: SamplingParams,
  seed: number,
  options: GenerateOptions,
): Generator<tf.Tensor2D, Generation, Float32Array> {
  const batch = prompts.length;
  const width = sampling.maxNewTokens;
  const stopAtEos = sampling.stopAtEos ?? true;
  const useCache = options.useCache ?? true;
  const { imageTokens } = geometry(config);
  const group = options.samplesPerPrompt ?? batch;
  const rngs = Array.from({ length: Math.ceil(batch / Math.max(1, group)) }, (_, p) => Rng.fromSeed(options.samplesPerPrompt === undefined ? seed : promptSeed(seed, p)));
  const logprobs = new Float64Array(batch * width);
  const samplerLogprobs = new Float64Array(batch * width);
  const mask = new Float64Array(batch * width);
  const generated: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(batch).fill(false);
  const finished = new Array<boolean>(batch).fill(false);
  const vocab = config.vocabSize;

  let state: DecodeState | undefined;
  let logitsTensor: tf.Tensor2D;
  if (useCache) {
    const first = prefill(params, config, prompts, options.sharedPrefixes ?? false);
    state = first.state;
    logitsTensor = first.logits;
  } else {
    logitsTensor = uncachedLogits(params, config, prompts, generated);
  }
  let steps = 0;
  try {
    for (let t = 0; t < width; t++) {
      const logits = yield logitsTensor;
      options.onStepLogits?.(t, logits);
      steps = t + 1;
      for (let b = 0; b < batch; b++) {
        const u = rngs[Math.floor(b / group)]!.next();
        const sampled = sampleToken(logits.subarray(b * vocab, (b + 1) * vocab), sampling, u);
        generated[b]!.push(sampled.token);
        if (done[b]) continue;
        logprobs[b * width + t] = sampled.logp;
        samplerLogprobs[b * width + t] = sampled.samplerLogp;
        mask[b * width + t] = 1;
        if (sampled.token === EOS_ID) {
          finished[b] = true;
          if (stopAtEos) done[b] = true;
        }
      }
      if (t === width - 1 || done.every((x) => x)) break;
      if (state !== undefined) {
        const fed = Int32Array.from(generated, (row) => row[t]!);
        const positions = Int32Array.from(prompts, (p) => imageTokens + p.promptTokens.length + t);
        const next = decodeStep(params, config, state, fed, positions);
        disposeAll(state.genK);
        disposeAll(state.genV);
        state.genK = next.genK;
        state.genV = next.genV;
        logitsTensor = next.logits;
      } else {
        logitsTensor = uncachedLogits(params, config, prompts, generated);
      }
    }
  } finally {
    if (state !== undefined) {
      disposeAll(state.prefixK);
      disposeAll(state.prefixV);
      disposeAll(state.genK);
      disposeAll(state.genV);
      state.prefixBias.dispose();
    }
  }
  const lengths = Array.from({ length: batch }, (_, b) => mask.subarray(b * width, (b + 1) * width).reduce((a, x) => a + x, 0));
  return {
    tokens: generated.map((row, b) => row.slice(0, lengths[b]!)),
    lengths,
    finished,
    logprobs: matrix(batch, width, logprobs),
    samplerLogprobs: matrix(batch, width, samplerLogprobs),
    mask: matrix(batch, width, mask),
    steps,
  };
};


/** Drives `decode`, reading every logits tensor synchronously and disposing it; the generator's cleanup runs on a failed read too. */
const decodeSync = (steps: Generator<tf.Tensor2D, Generation, Float32Array>): Generation => {
  let step = steps.next();
  while (step.done !== true) {
    const logits = step.value;
    let read: Float32Array;
    try {
      read = logits.dataSync() as Float32Array;
    } catch (error) {
      steps.return(undefined as never);
      throw error;
    } finally {
      logits.dispose();
    }
    step = steps.next(read);
  }
  return step.value;
};

/** Samples up to `maxNewTokens` tokens for every prompt (inputs already validated), reading logits synchronously. */
export const generateWith = (
  params: ParamTensors,
  config: PolicyConfig,
  prompts: readonly PromptInput[],
  sampling: SamplingParams,
  seed: number,
  options: GenerateOptions = {},
): Generation => decodeSync(decode(params, config, prompts, sampling, seed, options));

/** `generateWith`, reading logits asynchronously (`await data()`): the same tokens for the same seed. */
export const generateWithAsync = async (
  params: ParamTensors,
  config: PolicyConfig,
  prompts: readonly PromptInput[],
  sampling: SamplingParams,
  seed: number,
  options: GenerateOptions = {},
): Promise<Generation> => {
  const steps = decode(params, config, prompts, sampling, seed, options);
  let step = steps.next();
  while (step.done !== true) {
    const logits = step.value;
    let read: Float32Array;
    try {
      read = (await logits.data()) as Float32Array;
    } catch (error) {
      steps.return(undefined as never);
      throw error;
    } finally {
      logits.dispose();
    }
    step = steps.next(read);
  }
  return step.value;
};
