/**
 * The built-in policy's teacher-forced pass (libs/policy model.ts, docs/architecture.md "Default
 * model") as an ONNX graph, with the parameter gradients as extra outputs when asked:
 *
 *   image tokens  e = Enc(patches·W_p + b_p + pos_img) · W_proj + b_proj + E[<image>]
 *   decoder input x_0 = [e ; E[text ids]] + P[positions]
 *   each block    x ← x + Attn(RMSNorm(x)),  x ← x + MLP(RMSNorm(x))
 *   RMSNorm       x·(mean(x²) + ε)^(-1/2) ⊙ g;   MLP  relu(x·W_up + b_up)·W_down + b_down
 *   Attn          softmax(q·kᵀ/√d_h + bias)·v per (sequence, head), then ·W_out + b_out
 *   logits        RMSNorm(x)·W_head + m   (m = −1e9 for ids the policy never emits)
 *   logp[b,t]     log softmax(z)[target];  H[b,t] = −Σ_j p_j log p_j
 *   gradients     ∂/∂θ [ Σ_{b,t} w[b,t]·logp[b,t] + Σ_{b,t} u[b,t]·H[b,t] ]   (autodiff.ts)
 *
 * Two layouts. Plain (layout.ts): B rows of S = I + P + T columns. Packed (shared-prefix.ts):
 * the U prefixes [image | prompt] of S_p = I + P columns once, and each row's T response
 * columns, whose queries attend to [K_p(u(b)) ; K_s(b)] (the group's prefix keys gathered to its
 * rows, then the row's own); every block's row-wise parts run once over U·S_p + B·T rows, and the
 * gather's VJP sums a group's rows (autodiff.ts). Response position t reads column I+P−1+t: the
 * group's last prefix column for t = 0, response column t−1 after. With responses packed end to
 * end (segment-packing.ts) a suffix row holds several, the bias keeps each to its own columns,
 * and a response starting at column c > 0 reads the prefix column instead of column c − 1:
 * columns ⊙ (1 − f) + last ⊙ f with f the mid-row starts.
 *
 * Inside the graph activations are batch-major ([B, S, D] as B·S rows); its inputs are the
 * layouts' time-major arrays, transposed by the graph. Parameters are graph inputs named as in
 * params.ts, so one graph serves every parameter value.
 */
import { geometry, paramSpecs, UNGENERATABLE_IDS, IMAGE_ID, type PolicyConfig } from '@rlflow/policy';
import { Tape } from './autodiff.js';
import { GraphBuilder, intAttr, intsAttr, type Value } from './graph.js';

/** What fixes a graph: the batch's shape and which outputs it computes. */
export interface PolicyGraphShape {
  readonly batch: number;
  readonly promptWidth: number;
  readonly responseWidth: number;
  /** Prefixes U of a packed batch; null: the plain layout. */
  readonly groups: number | null;
  /** Packed batches only: some suffix rows hold several responses (segment-packing.ts), `batch` counting suffix rows. */
  readonly midRowStarts?: boolean;
  /** Output H (and, with `backward`, take the entropy weights u). */
  readonly entropy: boolean;
  /** Output the gradients of Σ w·logp (+ Σ u·H). */
  readonly backward: boolean;
}

/** Graph input and output names besides the parameters. */
export const GRAPH_IO = {
  patches: 'patches',
  textIds: 'text_ids',
  positions: 'positions',
  bias: 'attention_bias',
  suffixIds: 'suffix_ids',
  suffixPositions: 'suffix_positions',
  suffixBias: 'suffix_attention_bias',
  groupOf: 'group_of',
  midRowStarts: 'mid_row_starts',
  logpWeights: 'logp_weights',
  entropyWeights: 'entropy_weights',
  logp: 'logp',
  entropy: 'entropy',
} as const;

export const gradientName = (param: string): string => `grad.${param}`;

class PolicyGraph {
  readonly t: Tape;
  readonly g: GraphBuilder;
  readonly d: number;
  private readonly params = new Map<string, Value>();

  constructor(private readonly config: PolicyConfig) {
    this.t = new Tape(new GraphBuilder());
    this.g = this.t.g;
    this.d = config.dModel;
    for (const spec of paramSpecs(config)) this.params.set(spec.name, this.t.param(spec.name, spec.shape));
  }

  p(name: string): Value {
    const found = this.params.get(name);
    if (found === undefined) throw new Error(`policy parameter ${name} is missing`);
    return found;
  }

  linear(x: Value, prefix: string, relu = false): Value {
    const y = this.t.add(this.t.matmul(x, this.p(`${prefix}.w`)), this.p(`${prefix}.b`));
    return relu ? this.t.relu(y) : y;
  }

  /** x·(mean(x²) + ε)^(-1/2) ⊙ gain, for rows x [N, D]. */
  rmsNorm(x: Value, gain: string): Value {
    const meanSquare = this.t.scale(this.t.sum(this.t.mul(x, x), -1, true), 1 / this.d);
    return this.t.mul(this.t.mul(x, this.t.rsqrt(this.t.addScalar(meanSquare, this.config.normEps))), this.p(gain));
  }

  /** The Q, K or V block (i = 0, 1, 2) of qkv rows [n·seq, 3D] as [n, heads, seq, d_h]; queries scaled by 1/√d_h. */
  heads(qkv: Value, i: number, n: number, seq: number): Value {
    const dh = geometry(this.config).headDim;
    const part = this.t.transpose(this.t.reshape(this.t.slice(qkv, 1, i * this.d, (i + 1) * this.d), [n, seq, this.config.heads, dh]), [0, 2, 1, 3]);
    return i === 0 ? this.t.scale(part, 1 / Math.sqrt(dh)) : part;
  }

  /** softmax(q·kᵀ + bias)·v for q [n, h, S_q, d_h], k and v [n, h, S_k, d_h], bias [n, 1, S_q, S_k] (null: none); rows [n·S_q, D]. */
  attend(q: Value, k: Value, v: Value, bias: Value | null): Value {
    const [n, , sq] = q.shape as [number, number, number, number];
    const scores = this.t.matmul(q, this.t.transpose(k, [0, 1, 3, 2]));
    const out = this.t.matmul(this.t.softmax(bias === null ? scores : this.t.add(scores, bias)), v);
    return this.t.reshape(this.t.transpose(out, [0, 2, 1, 3]), [n * sq, this.d]);
  }

  /** One pre-norm block over rows x [N, D], the attention given the qkv rows. */
  block(x: Value, prefix: string, attention: (qkv: Value) => Value): Value {
    const mixed = attention(this.linear(this.rmsNorm(x, `${prefix}.norm1`), `${prefix}.attn.qkv`));
    const x1 = this.t.add(x, this.linear(mixed, `${prefix}.attn.out`));
    const up = this.linear(this.rmsNorm(x1, `${prefix}.norm2`), `${prefix}.mlp.up`, true);
    return this.t.add(x1, this.linear(up, `${prefix}.mlp.down`));
  }

  /** Plain self-attention block over n sequences of `seq` columns. */
  plainBlock(x: Value, prefix: string, n: number, seq: number, bias: Value | null): Value {
    return this.block(x, prefix, (qkv) => this.attend(this.heads(qkv, 0, n, seq), this.heads(qkv, 1, n, seq), this.heads(qkv, 2, n, seq), bias));
  }

  /** An int64 or float input given time-major [A, B, ...rest], as batch-major [B, A, ...rest]. */
  batchMajor(name: string, shape: readonly number[], type: 'float' | 'int64'): Value {
    const v = this.g.input(name, shape, type);
    const [a, b, ...rest] = shape as [number, number, ...number[]];
    return this.g.node('Transpose', [v], { perm: intsAttr([1, 0, ...rest.map((_, i) => i + 2)]) }, [b, a, ...rest], type);
  }

  /** Image tokens [n, I, D] of n images' patches (input [I, n, patchDim]). */
  images(n: number): Value {
    const geo = geometry(this.config);
    const { t } = this;
    const patches = this.batchMajor(GRAPH_IO.patches, [geo.imageTokens, n, geo.patchDim], 'float');
    const rows = this.g.node('Reshape', [patches, this.g.int64s([n * geo.imageTokens, geo.patchDim])], {}, [n * geo.imageTokens, geo.patchDim]);
    const embedded = t.reshape(this.linear(rows, 'image.patch'), [n, geo.imageTokens, this.d]);
    let x = t.reshape(t.add(embedded, this.p('image.positions')), [n * geo.imageTokens, this.d]);
    for (let l = 0; l < this.config.encoderLayers; l++) x = this.plainBlock(x, `encoder.${l}`, n, geo.imageTokens, null);
    const projected = this.linear(this.rmsNorm(x, 'encoder.norm'), 'image.proj');
    return t.reshape(t.add(projected, t.gather(this.p('embed.tokens'), this.g.int64s([IMAGE_ID]))), [n, geo.imageTokens, this.d]);
  }

  /** Decoder input rows [n, S, D]: [image ; E[text ids]] + P[positions], ids [n, S − I]. */
  decoderInput(image: Value, ids: Value, positions: Value): Value {
    const { t } = this;
    const tokens = ids.shape[1] === 0 ? image : t.concat([image, t.gather(this.p('embed.tokens'), ids)], 1);
    return t.add(tokens, t.gather(this.p('embed.positions'), positions));
  }

  /** An attention bias input [S_q, n, S_k] (time-major) as [n, 1, S_q, S_k]. */
  bias(name: string, n: number, sq: number, sk: number): Value {
    return this.g.node('Reshape', [this.batchMajor(name, [sq, n, sk], 'float'), this.g.int64s([n, 1, sq, sk])], {}, [n, 1, sq, sk]);
  }

  /** logp (and H) of `targets` [B, T] from hidden rows [B·T, D]; with `backward` the gradients of Σ w·logp (+ Σ u·H). */
  outputs(rows: Value, targets: Value, shape: PolicyGraphShape): void {
    const { t, g, config } = this;
    const { batch, responseWidth: width } = shape;
    const offsets = new Float32Array(config.vocabSize);
    for (const id of UNGENERATABLE_IDS) offsets[id] = -1e9;
    const logits = t.add(t.matmul(this.rmsNorm(rows, 'decoder.norm'), this.p('head.w')), g.floats(offsets, [config.vocabSize]));
    const logProbs = t.logSoftmax(logits);
    const flatTargets = g.node('Reshape', [targets, g.int64s([batch * width])], {}, [batch * width], 'int64');
    const oneHot = g.node('OneHot', [flatTargets, g.int64s([config.vocabSize]), g.floats(Float32Array.of(0, 1), [2])], { axis: intAttr(-1) }, [batch * width, config.vocabSize]);
    const logp = t.reshape(t.sum(t.mul(logProbs, oneHot), -1, false), [batch, width]);
    g.output(GRAPH_IO.logp, logp);
    const seeds: [Value, Value][] = [];
    if (shape.backward) seeds.push([logp, g.input(GRAPH_IO.logpWeights, [batch, width])]);
    if (shape.entropy) {
      const entropy = t.reshape(t.scale(t.sum(t.mul(t.exp(logProbs), logProbs), -1, false), -1), [batch, width]);
      g.output(GRAPH_IO.entropy, entropy);
      if (shape.backward) seeds.push([entropy, g.input(GRAPH_IO.entropyWeights, [batch, width])]);
    }
    if (!shape.backward) return;
    const grads = t.gradients(seeds);
    for (const spec of paramSpecs(config)) {
      const grad = grads.get(spec.name);
      if (grad === undefined) throw new Error(`no gradient reaches ${spec.name}`);
      g.output(gradientName(spec.name), grad);
    }
  }
}

/** The plain layout: inputs patches [I, B, patchDim], text ids [P+T, B], positions [S, B], bias [S, B, S]. */
const plainGraph = (m: PolicyGraph, config: PolicyConfig, shape: PolicyGraphShape): void => {
  const { t, g, d } = m;
  const { batch, promptWidth, responseWidth: width } = shape;
  const images = geometry(config).imageTokens;
  const seq = images + promptWidth + width;
  const ids = m.batchMajor(GRAPH_IO.textIds, [promptWidth + width, batch], 'int64');
  const positions = m.batchMajor(GRAPH_IO.positions, [seq, batch], 'int64');
  const bias = m.bias(GRAPH_IO.bias, batch, seq, seq);
  let x = t.reshape(m.decoderInput(m.images(batch), ids, positions), [batch * seq, d]);
  for (let l = 0; l < config.decoderLayers; l++) x = m.plainBlock(x, `decoder.${l}`, batch, seq, bias);
  const first = images + promptWidth - 1;
  const rows = t.reshape(t.slice(t.reshape(x, [batch, seq, d]), 1, first, first + width), [batch * width, d]);
  const targets = g.node('Slice', [ids, g.int64s([promptWidth]), g.int64s([promptWidth + width]), g.int64s([1])], {}, [batch, width], 'int64');
  m.outputs(rows, targets, shape);
};

/**
 * The packed layout: inputs patches [I, U, patchDim], prompt ids [P, U], prefix positions
 * [S_p, U], prefix bias [S_p, U, S_p], response ids and positions [T, B], suffix bias
 * [T, B, S_p + T] (shared-prefix.ts) and each row's group [B]; with `midRowStarts`, B counts
 * packed suffix rows and f [B, T] marks the responses starting inside a row (segment-packing.ts).
 */
const packedGraph = (m: PolicyGraph, config: PolicyConfig, shape: PolicyGraphShape, groups: number): void => {
  const { t, g, d } = m;
  const { batch, promptWidth, responseWidth: width } = shape;
  const sp = geometry(config).imageTokens + promptWidth;
  const prefixIds = m.batchMajor(GRAPH_IO.textIds, [promptWidth, groups], 'int64');
  const prefixPositions = m.batchMajor(GRAPH_IO.positions, [sp, groups], 'int64');
  const prefixBias = m.bias(GRAPH_IO.bias, groups, sp, sp);
  const suffixIds = m.batchMajor(GRAPH_IO.suffixIds, [width, batch], 'int64');
  const suffixPositions = m.batchMajor(GRAPH_IO.suffixPositions, [width, batch], 'int64');
  const suffixBias = m.bias(GRAPH_IO.suffixBias, batch, width, sp + width);
  const groupOf = g.input(GRAPH_IO.groupOf, [batch], 'int64');
  const prefix = t.reshape(m.decoderInput(m.images(groups), prefixIds, prefixPositions), [groups * sp, d]);
  const suffix = t.reshape(t.add(t.gather(m.p('embed.tokens'), suffixIds), t.gather(m.p('embed.positions'), suffixPositions)), [batch * width, d]);
  const prefixRows = groups * sp;
  let x = t.concat([prefix, suffix], 0);
  for (let l = 0; l < config.decoderLayers; l++) {
    x = m.block(x, `decoder.${l}`, (qkv) => {
      const pre = t.slice(qkv, 0, 0, prefixRows);
      const suf = t.slice(qkv, 0, prefixRows, prefixRows + batch * width);
      const [kp, vp] = [1, 2].map((i) => m.heads(pre, i, groups, sp)) as [Value, Value];
      const prefixOut = m.attend(m.heads(pre, 0, groups, sp), kp, vp, prefixBias);
      const keys = (i: number, own: Value): Value => t.concat([t.gather(i === 1 ? kp : vp, groupOf), own], 2);
      const suffixOut = m.attend(m.heads(suf, 0, batch, width), keys(1, m.heads(suf, 1, batch, width)), keys(2, m.heads(suf, 2, batch, width)), suffixBias);
      return t.concat([prefixOut, suffixOut], 0);
    });
  }
  const last = t.reshape(t.slice(t.reshape(t.slice(x, 0, 0, prefixRows), [groups, sp, d]), 1, sp - 1, sp), [groups, 1, d]);
  const suffixHidden = t.reshape(t.slice(x, 0, prefixRows, prefixRows + batch * width), [batch, width, d]);
  const lastOfRow = t.gather(last, groupOf);
  const shifted = width === 1 ? lastOfRow : t.concat([lastOfRow, t.slice(suffixHidden, 1, 0, width - 1)], 1);
  let columns = shifted;
  if (shape.midRowStarts === true) {
    const starts = g.node('Reshape', [g.input(GRAPH_IO.midRowStarts, [batch, width]), g.int64s([batch, width, 1])], {}, [batch, width, 1]);
    const rest = g.node('Sub', [g.floats(Float32Array.of(1), [1]), starts], {}, [batch, width, 1]);
    columns = t.add(t.mul(shifted, rest), t.mul(lastOfRow, starts));
  }
  m.outputs(t.reshape(columns, [batch * width, d]), suffixIds, shape);
};

/** The teacher-forced graph of `shape` as a serialized ONNX model (inputs and outputs: plainGraph, packedGraph, PolicyGraph.outputs). */
export const buildPolicyGraph = (config: PolicyConfig, shape: PolicyGraphShape): Uint8Array => {
  const m = new PolicyGraph(config);
  if (shape.groups === null) plainGraph(m, config, shape);
  else packedGraph(m, config, shape, shape.groups);
  const layout = shape.groups === null ? 'plain' : `u${shape.groups}${shape.midRowStarts === true ? '-segments' : ''}`;
  return m.g.model(`rlflow-policy-${layout}-b${shape.batch}-p${shape.promptWidth}-t${shape.responseWidth}${shape.entropy ? '-entropy' : ''}${shape.backward ? '-backward' : ''}`);
};
