/**
 * The teacher-forced forward pass over a packed batch (shared-prefix.ts): each group's image and
 * prompt once, every row's response against its group's prefix keys and values.
 *
 *   prefix rows   x_p [S_p·U, D]:  the plain block (model.ts) over the U prefixes
 *   suffix rows   x_s [T·B, D]:    q_s·[K_p(u(b)) ; K_s(b)]ᵀ + bias, softmax, ·[V_p(u(b)) ; V_s(b)]
 *   broadcast     K_p(u(b)) = gather of the group's prefix keys (and values) to its G rows
 *   gradient      ∂/∂K_p(u) = Σ_{b : u(b) = u} ∂/∂K_p(u(b))  (the suffix part, summed over the
 *                 group's rows) + the prefix queries' own part; likewise V_p
 *
 * Everything else in a block (projections, MLP, residuals) is row-wise and runs once over all
 * S_p·U + T·B rows. The first response position reads the last prefix row of its group
 * (`embed`: a one-hot product whose gradient sums over the group). The log-probs and the
 * parameter gradient equal the plain path's up to float rounding (tested).
 */
import * as tf from '@tensorflow/tfjs-core';
import { geometry, type PolicyConfig } from './config.js';
import { attentionBias, patchify, type LayoutInput } from './layout.js';
import { encodeImages, headLogits, param, residualBlock, tokenLogProbs, type ParamTensors, type TeacherForced } from './model.js';
import { attend, attendGrad, customOp, embed, oneHotFloat, qkvProject, qkvProjectGrad, type HeadShape } from './ops.js';
import { teacherForcedRows } from './policy.js';
import { buildPackedLayout, prefixGroups, sharesPrefixes, suffixAttentionBias, type PackedLayout } from './shared-prefix.js';

/** The sizes of a packed batch's attention. */
interface PackedShape extends HeadShape {
  /** S_p, U, T, B. */
  readonly prefixSeq: number;
  readonly groups: number;
  readonly suffixSeq: number;
  readonly batch: number;
}

/** Each row's group as int32 ids [B] and as one-hot rows E [B, U] (float32) with Eᵀ. */
interface GroupIndex {
  readonly groupOf: tf.Tensor1D;
  readonly oneHot: tf.Tensor2D;
  readonly oneHotT: tf.Tensor2D;
}

const groupIndex = (groupOf: Int32Array, groups: number): GroupIndex => {
  const ids = tf.tensor1d(groupOf, 'int32');
  // A one-hot needs depth ≥ 2; one group is a column of ones.
  const oneHot = groups === 1 ? tf.ones([groupOf.length, 1]) : oneHotFloat(ids, groups);
  return { groupOf: ids, oneHot: oneHot as tf.Tensor2D, oneHotT: tf.transpose(oneHot) as tf.Tensor2D };
};

/**
 * Y[j, b, :] = Σ_u E[b, u]·X[j, u, :] for X [S, U, F] as one plain product E·X' with X' = X laid
 * out [U, S·F] (tfjs-backend-wasm's gather runs element by element; its matmul is XNNPACK).
 * With Eᵀ instead of E it sums rows over their groups, the gradient of the broadcast.
 */
const mixRows = (x: tf.Tensor, seq: number, features: number, mixer: tf.Tensor2D): tf.Tensor3D => {
  const [to, from] = mixer.shape;
  const laidOut = tf.reshape(tf.transpose(tf.reshape(x, [seq, from, features]), [1, 0, 2]), [from, seq * features]);
  return tf.transpose(tf.reshape(tf.matMul(mixer, laidOut), [to, seq, features]), [1, 0, 2]);
};

/** Keys or values of the prefixes [S_p, U·h, d_h] for every row's group, [S_p, B·h, d_h]. */
const broadcastToRows = (x: tf.Tensor3D, s: PackedShape, index: GroupIndex): tf.Tensor3D =>
  tf.reshape(mixRows(x, s.prefixSeq, s.heads * s.headDim, index.oneHot), [s.prefixSeq, s.batch * s.heads, s.headDim]);

/** The gradient of `broadcastToRows`: [S_p, B·h, d_h] summed over the rows of each group, [S_p, U·h, d_h]. */
const sumOverGroups = (dx: tf.Tensor3D, s: PackedShape, oneHotT: tf.Tensor2D): tf.Tensor3D =>
  tf.reshape(mixRows(dx, s.prefixSeq, s.heads * s.headDim, oneHotT), [s.prefixSeq, s.groups * s.heads, s.headDim]);

/**
 * The attention sub-layer over packed rows x [S_p·U + T·B, D] with its gradient; `prefixBias`
 * [S_p, U·h, S_p], `suffixBias` [T, B·h, S_p + T].
 */
const packedAttention = (s: PackedShape, prefixBias: tf.Tensor3D, suffixBias: tf.Tensor3D, index: GroupIndex, eps: number) => {
  const d = s.heads * s.headDim;
  const prefixRows = s.prefixSeq * s.groups;
  const suffixRows = s.suffixSeq * s.batch;
  const split = (z: tf.Tensor2D): [tf.Tensor3D, tf.Tensor3D] => [
    tf.reshape(tf.slice(z, [0, 0], [prefixRows, d]), [s.prefixSeq, s.groups * s.heads, s.headDim]),
    tf.reshape(tf.slice(z, [prefixRows, 0], [suffixRows, d]), [s.suffixSeq, s.batch * s.heads, s.headDim]),
  ];
  const rowsOf = (prefixPart: tf.Tensor3D, suffixPart: tf.Tensor3D): tf.Tensor2D =>
    tf.concat([tf.reshape(prefixPart, [prefixRows, d]), tf.reshape(suffixPart, [suffixRows, d])], 0) as tf.Tensor2D;
  return (x: tf.Tensor2D, gain: tf.Tensor1D, wqkv: tf.Tensor2D, bqkv: tf.Tensor1D): tf.Tensor2D =>
    customOp(([xIn, gIn, wIn, bIn], save) => {
      const { xHat, r, qkv } = qkvProject(xIn as tf.Tensor2D, gIn as tf.Tensor1D, wIn as tf.Tensor2D, bIn as tf.Tensor1D, s, eps);
      const [[qp, qs], [kp, ks], [vp, vs]] = qkv.map(split) as [[tf.Tensor3D, tf.Tensor3D], [tf.Tensor3D, tf.Tensor3D], [tf.Tensor3D, tf.Tensor3D]];
      const kAll = tf.concat([broadcastToRows(kp, s, index), ks], 0);
      const vAll = tf.concat([broadcastToRows(vp, s, index), vs], 0);
      const prefix = attend(qp, kp, vp, prefixBias);
      const suffix = attend(qs, kAll, vAll, suffixBias);
      // Eᵀ is saved: tensors of the enclosing scope are gone when the gradient runs.
      save([xHat, r, qp, kp, vp, prefix.p, prefix.pt, qs, kAll, vAll, suffix.p, suffix.pt, gIn!, wIn!, bIn!, index.oneHotT]);
      return {
        value: rowsOf(prefix.out, suffix.out),
        gradFunc: (dy, saved) => {
          const [xh, rs] = saved as [tf.Tensor2D, tf.Tensor2D];
          const [qp2, kp2, vp2, pp, ppt, qs2, kAll2, vAll2, sp, spt] = saved.slice(2, 12) as tf.Tensor3D[] as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
          const [gs, ws, bs, oneHotT] = saved.slice(12) as [tf.Tensor1D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];
          const [dOp, dOs] = split(dy as tf.Tensor2D);
          const suffixGrad = attendGrad(dOs, qs2, kAll2, vAll2, { p: sp, pt: spt });
          const prefixGrad = attendGrad(dOp, qp2, kp2, vp2, { p: pp, pt: ppt });
          const fromSuffix = (g: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] => [
            sumOverGroups(tf.slice(g, [0, 0, 0], [s.prefixSeq, s.batch * s.heads, s.headDim]), s, oneHotT),
            tf.slice(g, [s.prefixSeq, 0, 0], [s.suffixSeq, s.batch * s.heads, s.headDim]),
          ];
          const [dKpShared, dKs] = fromSuffix(suffixGrad.dK);
          const [dVpShared, dVs] = fromSuffix(suffixGrad.dV);
          const dZ = [
            rowsOf(prefixGrad.dQ, suffixGrad.dQ),
            rowsOf(tf.add(prefixGrad.dK, dKpShared), dKs),
            rowsOf(tf.add(prefixGrad.dV, dVpShared), dVs),
          ];
          return qkvProjectGrad(dZ, xh, rs, gs, ws, bs, s);
        },
      };
    })(x, gain, wqkv, bqkv) as tf.Tensor2D;
};

/** [S, B, 1, S'] bias values broadcast over heads to [S, B·h, S']. */
const headsBias = (values: Float32Array, seq: number, batch: number, heads: number, keys: number): tf.Tensor3D =>
  tf.reshape(tf.add(tf.tensor4d(values, [seq, batch, 1, keys]), tf.zeros([1, 1, heads, 1])), [seq, batch * heads, keys]);

/** Teacher-forced log-probs and entropies [B, T] of a packed batch; `patches` are the U prefixes' [I·U, patchDim]. */
export const teacherForcedPacked = (params: ParamTensors, config: PolicyConfig, packed: PackedLayout, patches: tf.Tensor2D): TeacherForced => {
  const { prefix, batch, responseWidth: width, groups } = packed;
  const d = config.dModel;
  const u = prefix.batch;
  const sp = prefix.seq;
  const shape: PackedShape = { heads: config.heads, headDim: geometry(config).headDim, prefixSeq: sp, groups: u, suffixSeq: width, batch };
  const index = groupIndex(groups.groupOf, u);
  const image = encodeImages(params, config, patches, u);
  const embedIds = (ids: Int32Array): tf.Tensor2D => embed(tf.tensor1d(ids, 'int32'), param(params, 'embed.tokens'));
  const parts = [image, ...(prefix.promptWidth > 0 ? [embedIds(prefix.textIds)] : []), embedIds(packed.suffixIds)];
  const positions = new Int32Array(packed.rows);
  positions.set(prefix.positions);
  positions.set(packed.suffixPositions, sp * u);
  let x = tf.add(tf.concat(parts, 0), embed(tf.tensor1d(positions, 'int32'), param(params, 'embed.positions'))) as tf.Tensor2D;
  const prefixBias = headsBias(attentionBias(prefix), sp, u, config.heads, sp);
  const suffixBias = headsBias(suffixAttentionBias(packed), width, batch, config.heads, sp + width);
  const attention = packedAttention(shape, prefixBias, suffixBias, index, config.normEps);
  for (let l = 0; l < config.decoderLayers; l++) x = residualBlock(params, config, `decoder.${l}`, x, attention);
  // Response position 0 is predicted from the group's last prefix column, position t ≥ 1 from response column t − 1.
  // (A one-hot needs depth ≥ 2: one group gets an unused zero row.)
  const lastPrefix = tf.slice(x, [(sp - 1) * u, 0], [u, d]);
  const first = embed(index.groupOf, u === 1 ? tf.concat([lastPrefix, tf.zeros([1, d])], 0) : lastPrefix);
  const rows = width === 1 ? first : tf.concat([first, tf.slice(x, [sp * u, 0], [(width - 1) * batch, d])], 0);
  const { logp, entropy } = tokenLogProbs(headLogits(params, config, rows), tf.tensor1d(packed.suffixIds, 'int32'));
  const mask = new Float32Array(batch * width);
  packed.responseLengths.forEach((len, b) => mask.fill(1, b * width, b * width + len));
  const maskTensor = tf.tensor2d(mask, [batch, width]);
  const perRow = (t: tf.Tensor1D): tf.Tensor2D => tf.mul(tf.transpose(tf.reshape(t, [width, batch])), maskTensor) as tf.Tensor2D;
  return { logp: perRow(logp), entropy: perRow(entropy) };
};

/**
 * Teacher-forced outputs of rows `rows` of `sequences` (inside the caller's tidy scope), packed
 * by shared prefix when some rows share one (else the plain path, `teacherForcedRows`), with the
 * token rows computed.
 */
export const teacherForcedShared = (
  params: ParamTensors,
  config: PolicyConfig,
  sequences: readonly LayoutInput[],
  rows: readonly number[],
  responseWidth: number,
  flags: Uint8Array | undefined,
): TeacherForced & { readonly tokens: number } => {
  const { imageTokens, patchDim } = geometry(config);
  const picked = rows.map((r) => sequences[r]!);
  const rowFlags = flags === undefined ? undefined : Uint8Array.from(rows.flatMap((r) => Array.from(flags.subarray(r * imageTokens, (r + 1) * imageTokens))));
  const groups = prefixGroups(picked, imageTokens, rowFlags);
  if (!sharesPrefixes(groups)) {
    const promptWidth = Math.max(...picked.map((s) => s.promptTokens.length));
    return { ...teacherForcedRows(params, config, sequences, rows, responseWidth, flags), tokens: rows.length * (imageTokens + promptWidth + responseWidth) };
  }
  const packed = buildPackedLayout(config, picked, groups, responseWidth);
  const repFlags =
    rowFlags === undefined ? undefined : Uint8Array.from(groups.representatives.flatMap((r) => Array.from(rowFlags.subarray(r * imageTokens, (r + 1) * imageTokens))));
  const patches = tf.tensor2d(
    patchify(
      config,
      groups.representatives.map((r) => picked[r]!.image),
      repFlags,
    ),
    [imageTokens * groups.representatives.length, patchDim],
  );
  return { ...teacherForcedPacked(params, config, packed, patches), tokens: packed.rows };
};
