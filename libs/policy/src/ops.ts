/**
 * The model's layers as tensor ops with hand-written gradients, shaped for the wasm backend.
 *
 * tfjs-backend-wasm runs a matmul through XNNPACK only when it is a plain 2-D product
 * (no transpose flags, batch 1); any other form (a transposed operand, a batch of matrices)
 * falls to a scalar loop that is 10–20× slower. Autodiff of `matMul` produces exactly those
 * forms (dX = dY·Wᵀ, dW = Xᵀ·dY), and attention is a batch of small matrix products, so:
 *
 * - `linear`: y = act(x·W + b) (act ∈ {identity, relu}); backward dX = g·transpose(W),
 *   dW = transpose(x)·g, db = Σ_rows g with g = dy ⊙ [y > 0] for relu: explicit transposes,
 *   then plain 2-D products.
 * - `normLinear`: RMSNorm (Zhang & Sennrich 2019) fused with the linear layer that always
 *   follows it in this model, the norm's gain folded into the weights (formulas at the op).
 * - `attention`: softmax(Q·Kᵀ/√d_h + bias)·V per (sequence, head) (Vaswani et al. 2017 §3.2),
 *   each batched product written as a depthwise convolution: with the G = batch×heads matrices
 *   on the channel axis, input [1, M, K, G] and filter [1, K, G, N] give output [1, M, 1, G·N]
 *   whose (g, n) entry is Σ_k A[g,m,k]·B[g,k,n] — one XNNPACK grouped-GEMM call instead of G
 *   calls or the scalar loop. Activations are time-major ([S, B, ...]) so that the attention
 *   output lands in token order without a transpose. Backward (with P the probabilities):
 *   dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − Σ_j dP⊙P), dQ = dS·K/√d_h, dK = dSᵀ·Q/√d_h.
 * - `embed`: rows of a table picked by one-hot products (the wasm backend has no gather
 *   gradient); backward dTable = onehotᵀ·dy.
 * - `tokenLogProb`: log p_a = z_a − logsumexp(z) for target a; backward dz = dy·(onehot(a) − p).
 * - `tokenEntropy`: H = −Σ_j p_j log p_j; backward dz_i = −dy·p_i·(log p_i + H).
 */
import * as tf from '@tensorflow/tfjs-core';

type Save = (tensors: tf.Tensor[]) => void;

interface Forward {
  readonly value: tf.Tensor;
  readonly gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

/** An op with a hand-written gradient: `forward(inputs, save)` returns the value and its gradient function. */
export const customOp =
  (forward: (inputs: tf.Tensor[], save: Save) => Forward) =>
  (...inputs: tf.Tensor[]): tf.Tensor =>
    tf.customGrad((...args: Array<tf.Tensor | Save>) => forward(args.slice(0, -1) as tf.Tensor[], args[args.length - 1] as Save))(...inputs);

/**
 * dW = xᵀ·g and db = Σ_rows g for x [N, in], g [N, out]. The smaller of x and g is transposed
 * (a 2-D transpose is the slow part); db comes from a row of ones appended to xᵀ, or from
 * row sums of gᵀ, so no column reduction (slow on wasm) is needed.
 */
const weightGrads = (x: tf.Tensor2D, g: tf.Tensor2D, withBias: boolean): tf.Tensor[] => {
  const [rows, inDim] = x.shape;
  const outDim = g.shape[1];
  if (inDim <= outDim) {
    const xT = tf.transpose(x);
    if (!withBias) return [tf.matMul(xT, g)];
    const full = tf.matMul(tf.concat([xT, tf.ones([1, rows])], 0), g);
    return [tf.slice(full, [0, 0], [inDim, outDim]), tf.reshape(tf.slice(full, [inDim, 0], [1, outDim]), [outDim])];
  }
  const gT = tf.transpose(g);
  const dW = tf.transpose(tf.matMul(gT, x));
  return withBias ? [dW, tf.sum(gT, 1)] : [dW];
};

/** y = act(x·W + b); x [N, in], W [in, out], b [out] or null. */
export const linear = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | null, relu = false): tf.Tensor2D => {
  const activation = relu ? 'relu' : 'linear';
  const op = customOp(([xIn, wIn, bIn], save) => {
    const y = tf.fused.matMul({ a: xIn as tf.Tensor2D, b: wIn as tf.Tensor2D, activation, ...(bIn === undefined ? {} : { bias: bIn }) });
    save(relu ? [xIn!, wIn!, y] : [xIn!, wIn!]);
    return {
      value: y,
      gradFunc: (dy, [xs, ws, ys]) => {
        const g = (relu ? tf.mul(dy, tf.step(ys!)) : dy) as tf.Tensor2D;
        const dx = tf.matMul(g, tf.transpose(ws as tf.Tensor2D));
        return [dx, ...weightGrads(xs as tf.Tensor2D, g, bIn !== undefined)];
      },
    };
  });
  return (b === null ? op(x, w) : op(x, w, b)) as tf.Tensor2D;
};

/** Row-normalised x̂ = x·r and r = (mean(x²) + ε)^(-1/2) [N, 1]. */
const rmsScale = (x: tf.Tensor2D, eps: number): { xHat: tf.Tensor2D; r: tf.Tensor2D } => {
  // x·x, not tf.square: the same values, and tfjs-backend-wasm runs Square an order of magnitude slower than Multiply.
  const r = tf.rsqrt(tf.add(tf.mean(tf.mul(x, x), -1, true), eps)) as tf.Tensor2D;
  return { xHat: tf.mul(x, r), r };
};

/** dx of x̂ = x·r given dx̂: r·(dx̂ − x̂·mean(dx̂ ⊙ x̂)). */
const rmsScaleGrad = (dxHat: tf.Tensor, xHat: tf.Tensor, r: tf.Tensor): tf.Tensor =>
  tf.mul(r, tf.sub(dxHat, tf.mul(xHat, tf.mean(tf.mul(dxHat, xHat), -1, true))));

/**
 * A linear layer on RMS-normalised input: y = act((x·r)·(g ⊙ W) + b) with r = (mean(x²) + ε)^(-1/2)
 * per row and g the norm's gain folded into W's rows (so no [N, D] gain multiply). With
 * x̂ = x·r, W' = g ⊙ W and G = ∂L/∂(pre-activation): dx̂ = G·W'ᵀ, dW' = x̂ᵀ·G,
 * dW = g ⊙ dW', dg = Σ_out W ⊙ dW', db = Σ_rows G, dx = r·(dx̂ − x̂·mean(dx̂ ⊙ x̂)).
 */
export const normLinear = (x: tf.Tensor2D, gain: tf.Tensor1D, w: tf.Tensor2D, b: tf.Tensor1D | null, eps: number, relu = false): tf.Tensor2D => {
  const activation = relu ? 'relu' : 'linear';
  const op = customOp(([xIn, gIn, wIn, bIn], save) => {
    const { xHat, r } = rmsScale(xIn as tf.Tensor2D, eps);
    const scaledW = tf.mul(tf.expandDims(gIn!, 1), wIn!) as tf.Tensor2D;
    const y = tf.fused.matMul({ a: xHat, b: scaledW, activation, ...(bIn === undefined ? {} : { bias: bIn }) });
    save(relu ? [xHat, r, gIn!, wIn!, y] : [xHat, r, gIn!, wIn!]);
    return {
      value: y,
      gradFunc: (dy, [xh, rs, gs, ws, ys]) => {
        const g = (relu ? tf.mul(dy, tf.step(ys!)) : dy) as tf.Tensor2D;
        const scaled = tf.mul(tf.expandDims(gs!, 1), ws!) as tf.Tensor2D;
        const dxHat = tf.matMul(g, tf.transpose(scaled));
        const [dScaled, db] = weightGrads(xh as tf.Tensor2D, g, bIn !== undefined);
        const dW = tf.mul(tf.expandDims(gs!, 1), dScaled!);
        const dGain = tf.sum(tf.mul(ws!, dScaled!), 1);
        const dx = rmsScaleGrad(dxHat, xh!, rs!);
        return db === undefined ? [dx, dGain, dW] : [dx, dGain, dW, db];
      },
    };
  });
  return (b === null ? op(x, gain, w) : op(x, gain, w, b)) as tf.Tensor2D;
};

/**
 * Σ_k A[g,m,k]·B[g,k,n] for G matrices: `a` laid out [M, K, G], `b` laid out [K, G, N];
 * the result is laid out [M, G, N].
 */
export const groupedMatMul = (a: tf.Tensor, b: tf.Tensor, m: number, k: number, g: number, n: number): tf.Tensor3D =>
  tf.reshape(tf.depthwiseConv2d(tf.reshape(a, [1, m, k, g]) as tf.Tensor4D, tf.reshape(b, [1, k, g, n]) as tf.Tensor4D, 1, 'valid'), [m, g, n]);

/** Heads and their width: what the Q/K/V projections and the attention scale depend on. */
export interface HeadShape {
  readonly heads: number;
  readonly headDim: number;
}

export interface AttentionShape extends HeadShape {
  /** Sequence length (queries = keys). */
  readonly seq: number;
  readonly batch: number;
}

/**
 * The effective Q/K/V projections of a block: W' = g ⊙ W ⊙ c and b' = b ⊙ c with the
 * column scale c = 1/√d_h on the query columns and 1 elsewhere (the attention scale folded
 * into the small weights instead of the [N, D] queries), split into three [D, D] blocks.
 */
const qkvWeights = (gain: tf.Tensor, wqkv: tf.Tensor, bqkv: tf.Tensor, columnScale: tf.Tensor): { w: tf.Tensor2D[]; b: tf.Tensor1D[] } => {
  const d = wqkv.shape[0]!;
  const w = tf.mul(tf.mul(tf.expandDims(gain, 1), wqkv), columnScale) as tf.Tensor2D;
  const b = tf.mul(bqkv, columnScale) as tf.Tensor1D;
  return {
    w: [0, 1, 2].map((i) => tf.slice(w, [0, i * d], [d, d])),
    b: [0, 1, 2].map((i) => tf.slice(b, [i * d], [d])),
  };
};

const columnScaleOf = (s: HeadShape): tf.Tensor1D => {
  const d = s.heads * s.headDim;
  const values = new Float32Array(3 * d).fill(1);
  values.fill(1 / Math.sqrt(s.headDim), 0, d);
  return tf.tensor1d(values);
};

/** x̂ = RMSNorm(x) (gain folded into the weights) and the token rows [N, D] of q (scaled), k, v. */
export const qkvProject = (
  x: tf.Tensor2D,
  gain: tf.Tensor1D,
  wqkv: tf.Tensor2D,
  bqkv: tf.Tensor1D,
  s: HeadShape,
  eps: number,
): { xHat: tf.Tensor2D; r: tf.Tensor2D; qkv: tf.Tensor2D[] } => {
  const { xHat, r } = rmsScale(x, eps);
  const { w, b } = qkvWeights(gain, wqkv, bqkv, columnScaleOf(s));
  return { xHat, r, qkv: [0, 1, 2].map((i) => tf.fused.matMul({ a: xHat, b: w[i]!, bias: b[i]! }) as tf.Tensor2D) };
};

/**
 * Gradients of `qkvProject` from dZ = ∂L/∂(q, k, v) in token rows [N, D]: dx̂ = Σ_{q,k,v} dZ·W'ᵀ,
 * dW' = x̂ᵀ·dZ, db' = Σ_rows dZ, mapped back through W' = g ⊙ W ⊙ c: dW = g ⊙ c ⊙ dW',
 * db = c ⊙ db', dg = Σ_cols (W ⊙ c) ⊙ dW'; returns [dx, dGain, dW, db].
 */
export const qkvProjectGrad = (dZ: readonly tf.Tensor2D[], xHat: tf.Tensor2D, r: tf.Tensor2D, gain: tf.Tensor1D, wqkv: tf.Tensor2D, bqkv: tf.Tensor1D, s: HeadShape): tf.Tensor[] => {
  const rows = xHat.shape[0];
  const d = s.heads * s.headDim;
  const columnScale = columnScaleOf(s);
  const { w } = qkvWeights(gain, wqkv, bqkv, columnScale);
  const dxHat = tf.addN(dZ.map((dz, i) => tf.matMul(dz, tf.transpose(w[i]!))));
  const xHatT = tf.concat([tf.transpose(xHat), tf.ones([1, rows])], 0);
  const full = tf.concat(dZ.map((dz) => tf.matMul(xHatT, dz)), 1);
  const dScaled = tf.slice(full, [0, 0], [d, 3 * d]);
  const dbScaled = tf.reshape(tf.slice(full, [d, 0], [1, 3 * d]), [3 * d]);
  const dW = tf.mul(tf.mul(tf.expandDims(gain, 1), dScaled), columnScale);
  const dGain = tf.sum(tf.mul(tf.mul(wqkv, columnScale), dScaled), 1);
  return [rmsScaleGrad(dxHat, xHat, r), dGain, dW, tf.mul(dbScaled, columnScale)];
};

/** Attention of G = sequences × heads groups: queries [S_q, G, d_h] over keys and values [S_k, G, d_h]. */
export interface Attended {
  /** Probabilities [S_q, G, S_k] and the same laid out [S_q, S_k, G]. */
  readonly p: tf.Tensor3D;
  readonly pt: tf.Tensor3D;
  /** P·v, [S_q, G, d_h]. */
  readonly out: tf.Tensor3D;
}

/** P = softmax(q·kᵀ + bias), out = P·v per group; `bias` [S_q, G, S_k] holds 0 or −1e9 (null: none). */
export const attend = (q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, bias: tf.Tensor3D | null): Attended => {
  const [sq, g, dh] = q.shape;
  const sk = k.shape[0];
  const scores = groupedMatMul(tf.transpose(q, [0, 2, 1]), tf.transpose(k, [2, 1, 0]), sq, dh, g, sk);
  const p = tf.softmax(bias === null ? scores : tf.add(scores, bias)) as tf.Tensor3D;
  const pt = tf.transpose(p, [0, 2, 1]);
  return { p, pt, out: groupedMatMul(pt, v, sq, sk, g, dh) };
};

/**
 * Gradients of `attend` from dO [S_q, G, d_h]: dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − Σ_j dP⊙P),
 * dQ = dS·K, dK = dSᵀ·Q.
 */
export const attendGrad = (dO: tf.Tensor3D, q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, a: Pick<Attended, 'p' | 'pt'>): { dQ: tf.Tensor3D; dK: tf.Tensor3D; dV: tf.Tensor3D } => {
  const [sq, g, dh] = q.shape;
  const sk = k.shape[0];
  const dV = groupedMatMul(tf.transpose(a.pt, [1, 0, 2]), dO, sk, sq, g, dh);
  const dP = groupedMatMul(tf.transpose(dO, [0, 2, 1]), tf.transpose(v, [2, 1, 0]), sq, dh, g, sk);
  const dS = tf.mul(a.p, tf.sub(dP, tf.sum(tf.mul(dP, a.p), -1, true)));
  const dSt = tf.transpose(dS, [0, 2, 1]);
  return { dQ: groupedMatMul(dSt, k, sq, sk, g, dh), dK: groupedMatMul(tf.transpose(dSt, [1, 0, 2]), q, sk, sq, g, dh), dV };
};

/** Everything the attention sub-layer computes on the way forward (kept for its gradient). */
export interface AttentionForward {
  readonly out: tf.Tensor2D;
  readonly xHat: tf.Tensor2D;
  readonly r: tf.Tensor2D;
  /** Scaled queries, keys, values, each [S, G, d_h]. */
  readonly q: tf.Tensor3D;
  readonly k: tf.Tensor3D;
  readonly v: tf.Tensor3D;
  /** Probabilities [S_i, G, S_j] and the same laid out [S_i, S_j, G]. */
  readonly p: tf.Tensor3D;
  readonly pt: tf.Tensor3D;
}

/**
 * Forward pass of the attention sub-layer before its output projection:
 * x̂ = RMSNorm(x) (gain folded into the weights), q|k|v = x̂·W'_{q|k|v} + b'_{q|k|v},
 * P = softmax(q·kᵀ + bias) per (sequence, head), out = P·v, in token rows [S·B, D].
 * `bias` [S, G, S] (G = B·heads, sequence-major) holds 0 for allowed pairs and −1e9 otherwise;
 * null allows every pair.
 */
export const attentionForward = (
  x: tf.Tensor2D,
  gain: tf.Tensor1D,
  wqkv: tf.Tensor2D,
  bqkv: tf.Tensor1D,
  bias: tf.Tensor3D | null,
  s: AttentionShape,
  eps: number,
): AttentionForward => {
  const g = s.batch * s.heads;
  const { xHat, r, qkv } = qkvProject(x, gain, wqkv, bqkv, s, eps);
  const [q, k, v] = qkv.map((z) => tf.reshape(z, [s.seq, g, s.headDim]) as tf.Tensor3D);
  const { p, pt, out } = attend(q!, k!, v!, bias);
  return { out: tf.reshape(out, [s.seq * s.batch, s.heads * s.headDim]) as tf.Tensor2D, xHat, r, q: q!, k: k!, v: v!, p, pt };
};

/**
 * The attention sub-layer (RMSNorm, Q/K/V projections, multi-head attention; the output
 * projection is a separate `linear`) with its gradient: `attendGrad`, then `qkvProjectGrad`
 * (the queries' dQ is taken w.r.t. the scaled queries, the scale sits in W').
 */
export const attentionBlock = (
  x: tf.Tensor2D,
  gain: tf.Tensor1D,
  wqkv: tf.Tensor2D,
  bqkv: tf.Tensor1D,
  bias: tf.Tensor3D | null,
  s: AttentionShape,
  eps: number,
): tf.Tensor2D => {
  const g = s.batch * s.heads;
  const rows = s.seq * s.batch;
  const d = s.heads * s.headDim;
  const op = customOp(([xIn, gIn, wIn, bIn], save) => {
    const f = attentionForward(xIn as tf.Tensor2D, gIn as tf.Tensor1D, wIn as tf.Tensor2D, bIn as tf.Tensor1D, bias, s, eps);
    save([f.xHat, f.r, f.q, f.k, f.v, f.p, f.pt, gIn!, wIn!, bIn!]);
    return {
      value: f.out,
      gradFunc: (dy, saved) => {
        const [xHat, r, q, k, v, p, pt, gs, ws, bs] = saved as [
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor3D,
          tf.Tensor3D,
          tf.Tensor3D,
          tf.Tensor3D,
          tf.Tensor3D,
          tf.Tensor1D,
          tf.Tensor2D,
          tf.Tensor1D,
        ];
        const { dQ, dK, dV } = attendGrad(tf.reshape(dy, [s.seq, g, s.headDim]), q, k, v, { p, pt });
        const dZ = [dQ, dK, dV].map((t) => tf.reshape(t, [rows, d]) as tf.Tensor2D);
        return qkvProjectGrad(dZ, xHat, r, gs, ws, bs, s);
      },
    };
  });
  return op(x, gain, wqkv, bqkv) as tf.Tensor2D;
};

/**
 * One-hot rows [N, depth] as float32. tfjs-backend-wasm's OneHot kernel writes int32 bit
 * patterns whatever dtype is asked for, so the one-hot is built as int32 and cast.
 */
export const oneHotFloat = (ids: tf.Tensor1D, depth: number): tf.Tensor2D => tf.cast(tf.oneHot(ids, depth) as tf.Tensor2D, 'float32');

/** Rows `ids` of `table` [V, D] as [N, D], through a one-hot product. */
export const embed = (ids: tf.Tensor1D, table: tf.Tensor2D): tf.Tensor2D => {
  const depth = table.shape[0];
  const op = customOp(([tableIn], save) => {
    const oneHot = oneHotFloat(ids, depth);
    save([oneHot]);
    return {
      value: tf.matMul(oneHot, tableIn as tf.Tensor2D),
      gradFunc: (dy, [oh]) => tf.matMul(tf.transpose(oh as tf.Tensor2D), dy as tf.Tensor2D),
    };
  });
  return op(table) as tf.Tensor2D;
};

/** log softmax(z) at `targets`, for logits z [N, V]; result [N]. */
export const tokenLogProb = (logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D => {
  const op = customOp(([z], save) => {
    const logProbs = tf.sub(z!, tf.logSumExp(z!, -1, true));
    const oneHot = oneHotFloat(targets, z!.shape[1]!);
    save([logProbs, oneHot]);
    return {
      value: tf.sum(tf.mul(logProbs, oneHot), -1),
      gradFunc: (dy, [lp, oh]) => tf.mul(tf.expandDims(dy, 1), tf.sub(oh!, tf.exp(lp!))),
    };
  });
  return op(logits) as tf.Tensor1D;
};

/** Entropy of softmax(z) per row, for logits z [N, V]; result [N]. */
export const tokenEntropy = (logits: tf.Tensor2D): tf.Tensor1D => {
  const op = customOp(([z], save) => {
    const logProbs = tf.sub(z!, tf.logSumExp(z!, -1, true));
    const probs = tf.exp(logProbs);
    const entropy = tf.neg(tf.sum(tf.mul(probs, logProbs), -1));
    save([logProbs, probs, entropy]);
    return {
      value: entropy,
      gradFunc: (dy, [lp, p, h]) => tf.neg(tf.mul(tf.mul(tf.expandDims(dy, 1), p!), tf.add(lp!, tf.expandDims(h!, 1)))),
    };
  });
  return op(logits) as tf.Tensor1D;
};
