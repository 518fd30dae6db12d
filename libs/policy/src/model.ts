/**
 * The forward pass of the built-in vision-language policy (docs/architecture.md, "Default model").
 *
 *   image tokens  e = Enc(patches·W_p + b_p + pos_img) · W_proj + b_proj + E[<image>]
 *   decoder input x_0 = [e ; E[text ids]] + P[positions]
 *   each block    x ← x + Attn(RMSNorm(x)),  x ← x + MLP(RMSNorm(x))   (pre-norm, GPT-2 order)
 *   MLP           relu(x·W_up + b_up)·W_down + b_down
 *   logits        RMSNorm(x)·W_head + m   (m = −1e9 for ids the policy never emits: padding, <image>)
 *
 * Enc is the same block without the causal mask over the image tokens. Attention is causal
 * over the whole row (image, prompt, response) with padding columns masked (see layout.ts).
 * Activations are time-major rows: row s·B + b is column s of sequence b.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerKernelGradients } from './tensor/gradients.js';
import { geometry, type PolicyConfig } from './config.js';
import { attentionBias, type Layout } from './layout.js';
import { attentionBlock, attentionForward, embed, linear, normLinear, tokenEntropy, tokenLogProb, type AttentionShape } from './ops.js';
import { IMAGE_ID, UNGENERATABLE_IDS } from './tokenizer.js';

// The kernels the forward pass records on the tape outside the custom ops of ops.ts.
registerKernelGradients();

export type ParamTensors = ReadonlyMap<string, tf.Tensor>;

export const param = <R extends tf.Rank>(params: ParamTensors, name: string): tf.Tensor<R> => {
  const found = params.get(name);
  if (found === undefined) throw new Error(`policy parameter ${name} is missing`);
  return found as tf.Tensor<R>;
};

/** Keys and values of one attention layer for the KV cache, each [G, S, d_h] with G = B·heads. */
export interface LayerKv {
  readonly k: tf.Tensor3D;
  readonly v: tf.Tensor3D;
}

export const attentionShape = (config: PolicyConfig, seq: number, batch: number): AttentionShape => ({
  seq,
  batch,
  heads: config.heads,
  headDim: geometry(config).headDim,
});

/** The attention sub-layer of a block before its output projection: RMSNorm, Q/K/V, attention; [N, D] → [N, D]. */
export type AttentionSubLayer = (x: tf.Tensor2D, gain: tf.Tensor1D, wqkv: tf.Tensor2D, bqkv: tf.Tensor1D) => tf.Tensor2D;

/** One pre-norm transformer block on token rows x [N, D] around `attention`: the residuals, the output projection and the MLP are row-wise. */
export const residualBlock = (params: ParamTensors, config: PolicyConfig, prefix: string, x: tf.Tensor2D, attention: AttentionSubLayer): tf.Tensor2D => {
  const mixed = attention(x, param(params, `${prefix}.norm1`), param(params, `${prefix}.attn.qkv.w`), param(params, `${prefix}.attn.qkv.b`));
  const x1 = tf.add(x, linear(mixed, param(params, `${prefix}.attn.out.w`), param(params, `${prefix}.attn.out.b`))) as tf.Tensor2D;
  const up = normLinear(x1, param(params, `${prefix}.norm2`), param(params, `${prefix}.mlp.up.w`), param(params, `${prefix}.mlp.up.b`), config.normEps, true);
  return tf.add(x1, linear(up, param(params, `${prefix}.mlp.down.w`), param(params, `${prefix}.mlp.down.b`))) as tf.Tensor2D;
};

/**
 * One pre-norm transformer block on x [S·B, D]; `bias` [S, G, S] is the attention mask (null:
 * none). With `kv` given (prefill, no gradient) the layer's keys and values are pushed to it in
 * the cache layout [G, S, d_h].
 */
export const block = (
  params: ParamTensors,
  config: PolicyConfig,
  prefix: string,
  x: tf.Tensor2D,
  bias: tf.Tensor3D | null,
  shape: AttentionShape,
  kv?: LayerKv[],
): tf.Tensor2D =>
  residualBlock(params, config, prefix, x, (xIn, gain, wqkv, bqkv) => {
    if (kv === undefined) return attentionBlock(xIn, gain, wqkv, bqkv, bias, shape, config.normEps);
    const forward = attentionForward(xIn, gain, wqkv, bqkv, bias, shape, config.normEps);
    kv.push({ k: tf.transpose(forward.k, [1, 0, 2]), v: tf.transpose(forward.v, [1, 0, 2]) });
    return forward.out;
  });

/** Image prefix tokens [I·B, D] (time-major) from patches [I·B, patchDim]. */
export const encodeImages = (params: ParamTensors, config: PolicyConfig, patches: tf.Tensor2D, batch: number): tf.Tensor2D => {
  const g = geometry(config);
  const d = config.dModel;
  const embedded = linear(patches, param(params, 'image.patch.w'), param(params, 'image.patch.b'));
  const positioned = tf.add(tf.reshape(embedded, [g.imageTokens, batch, d]), tf.reshape(param(params, 'image.positions'), [g.imageTokens, 1, d]));
  let x = tf.reshape(positioned, [g.imageTokens * batch, d]) as tf.Tensor2D;
  const shape = attentionShape(config, g.imageTokens, batch);
  for (let l = 0; l < config.encoderLayers; l++) x = block(params, config, `encoder.${l}`, x, null, shape);
  const projected = normLinear(x, param(params, 'encoder.norm'), param(params, 'image.proj.w'), param(params, 'image.proj.b'), config.normEps);
  const imageType = embed(tf.tensor1d([IMAGE_ID], 'int32'), param(params, 'embed.tokens'));
  return tf.add(projected, imageType) as tf.Tensor2D;
};

/** Token + position embeddings of text ids [N] at positions [N]. */
export const embedTokens = (params: ParamTensors, ids: tf.Tensor1D, positions: tf.Tensor1D): tf.Tensor2D =>
  tf.add(embed(ids, param(params, 'embed.tokens')), embed(positions, param(params, 'embed.positions'))) as tf.Tensor2D;

export interface ForwardInputs {
  readonly layout: Layout;
  /** [I·B, patchDim], time-major. */
  readonly patches: tf.Tensor2D;
}

/** Hidden states [S·B, D] after the last decoder block (before the final norm); collects each layer's K/V into `kv` when given. */
export const forwardHidden = (params: ParamTensors, config: PolicyConfig, inputs: ForwardInputs, kv?: LayerKv[]): tf.Tensor2D => {
  const { layout } = inputs;
  const { batch, seq, imageTokens } = layout;
  const image = encodeImages(params, config, inputs.patches, batch);
  const textRows = (seq - imageTokens) * batch;
  const textIds = tf.tensor1d(layout.textIds, 'int32');
  const textPositions = tf.tensor1d(layout.positions.subarray(imageTokens * batch), 'int32');
  const text = textRows === 0 ? null : embed(textIds, param(params, 'embed.tokens'));
  const imagePositions = tf.tensor1d(layout.positions.subarray(0, imageTokens * batch), 'int32');
  const tokens = text === null ? image : tf.concat([image, text], 0);
  const allPositions = text === null ? imagePositions : tf.concat([imagePositions, textPositions], 0);
  let x = tf.add(tokens, embed(allPositions as tf.Tensor1D, param(params, 'embed.positions'))) as tf.Tensor2D;
  const heads = tf.zeros([1, 1, config.heads, 1]);
  const bias = tf.reshape(tf.add(tf.tensor4d(attentionBias(layout), [seq, batch, 1, seq]), heads), [seq, batch * config.heads, seq]) as tf.Tensor3D;
  const shape = attentionShape(config, seq, batch);
  for (let l = 0; l < config.decoderLayers; l++) x = block(params, config, `decoder.${l}`, x, bias, shape, kv);
  return x;
};

/** The fixed logit offsets m [V]: −1e9 for ids the policy never emits. */
export const vocabBias = (config: PolicyConfig): tf.Tensor1D => {
  const values = new Float32Array(config.vocabSize);
  for (const id of UNGENERATABLE_IDS) values[id] = -1e9;
  return tf.tensor1d(values);
};

/** Logits [N, V] of hidden rows [N, D]. */
export const headLogits = (params: ParamTensors, config: PolicyConfig, hidden: tf.Tensor2D): tf.Tensor2D =>
  tf.add(normLinear(hidden, param(params, 'decoder.norm'), param(params, 'head.w'), null, config.normEps), vocabBias(config)) as tf.Tensor2D;

/** Per-token log-prob of `targets` and entropy of the full distribution, from logits [N, V]; each [N]. */
export const tokenLogProbs = (logits: tf.Tensor2D, targets: tf.Tensor1D): { logp: tf.Tensor1D; entropy: tf.Tensor1D } => ({
  logp: tokenLogProb(logits, targets),
  entropy: tokenEntropy(logits),
});

export interface TeacherForced {
  /** Log-prob of each response token, [B, T]; 0 beyond a row's length. */
  readonly logp: tf.Tensor2D;
  /** Entropy of the next-token distribution at each response position, [B, T]; 0 beyond a row's length. */
  readonly entropy: tf.Tensor2D;
}

/**
 * Teacher-forced log-probs and entropies of the response tokens: the distribution at response
 * position t comes from column I+P−1+t (the last prompt token for t = 0).
 */
export const teacherForced = (
  params: ParamTensors,
  config: PolicyConfig,
  inputs: ForwardInputs,
  mask: Float32Array,
): TeacherForced => {
  const { layout } = inputs;
  const { batch, responseWidth: width, imageTokens, promptWidth } = layout;
  const d = config.dModel;
  const hidden = forwardHidden(params, config, inputs);
  const first = imageTokens + promptWidth - 1;
  const rows = tf.slice(hidden, [first * batch, 0], [width * batch, d]);
  const logits = headLogits(params, config, rows);
  const targets = tf.tensor1d(layout.textIds.subarray(promptWidth * batch), 'int32');
  const { logp, entropy } = tokenLogProbs(logits, targets);
  const maskTensor = tf.tensor2d(mask, [batch, width]);
  const perRow = (t: tf.Tensor1D): tf.Tensor2D => tf.mul(tf.transpose(tf.reshape(t, [width, batch])), maskTensor) as tf.Tensor2D;
  return { logp: perRow(logp), entropy: perRow(entropy) };
};
