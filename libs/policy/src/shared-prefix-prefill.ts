/**
 * Prefill for generation over rows that share prefixes (shared-prefix.ts): the G samples of a
 * prompt start from the same image and prompt, so the forward pass runs over each prefix once
 * and its keys and values are gathered to the group's rows of the KV cache; decoding then runs
 * per row as before (generate.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { geometry, type PolicyConfig } from './config.js';
import { buildLayout, patchify, type LayoutInput } from './layout.js';
import { forwardHidden, headLogits, type LayerKv, type ParamTensors } from './model.js';
import { oneHotFloat } from './ops.js';
import { prefixGroups, sharesPrefixes } from './shared-prefix.js';

/**
 * Prefill for generation over rows that share prefixes: the forward pass over each group's image
 * and prompt once, then the next-token logits [B, V] and every decoder layer's keys and values in
 * the cache layout [B·h, S_p, d_h] gathered to the group's rows; undefined when no two rows share
 * a prefix (inside the caller's tidy scope).
 */
export const sharedPrefill = (
  params: ParamTensors,
  config: PolicyConfig,
  prompts: readonly LayoutInput[],
): { logits: tf.Tensor2D; ks: tf.Tensor3D[]; vs: tf.Tensor3D[] } | undefined => {
  const { imageTokens, patchDim, headDim } = geometry(config);
  const groups = prefixGroups(prompts, imageTokens);
  if (!sharesPrefixes(groups)) return undefined;
  const reps = groups.representatives.map((r) => prompts[r]!);
  const layout = buildLayout(config, reps, 0);
  const u = reps.length;
  const kv: LayerKv[] = [];
  const patches = tf.tensor2d(patchify(config, reps.map((p) => p.image)), [imageTokens * u, patchDim]);
  const hidden = forwardHidden(params, config, { layout, patches }, kv);
  // Rows are picked by one-hot products E [B, U] (XNNPACK), not by gather (element by element on wasm).
  const oneHot = u === 1 ? tf.ones([prompts.length, 1]) : oneHotFloat(tf.tensor1d(groups.groupOf, 'int32'), u);
  const last = tf.slice(hidden, [(layout.seq - 1) * u, 0], [u, config.dModel]);
  const toRows = (x: tf.Tensor3D): tf.Tensor3D =>
    tf.reshape(tf.matMul(oneHot, tf.reshape(x, [u, config.heads * layout.seq * headDim])), [prompts.length * config.heads, layout.seq, headDim]);
  return { logits: tf.matMul(oneHot, headLogits(params, config, last)), ks: kv.map((x) => toRows(x.k)), vs: kv.map((x) => toRows(x.v)) };
};
