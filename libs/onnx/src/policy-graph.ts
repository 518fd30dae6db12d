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
 * Inside the graph activations are batch-major ([B, S, D] as B·S rows); its inputs are the
 * layout's time-major arrays (layout.ts), transposed by the graph. Parameters are graph inputs
 * named as in params.ts, so one graph serves every parameter value.
 */
import { geometry, paramSpecs, UNGENERATABLE_IDS, IMAGE_ID, type PolicyConfig } from '@rlflow/policy';
import { Tape } from './autodiff.js';
import { GraphBuilder, intsAttr, type Value } from './graph.js';

/** What fixes a graph: the batch's shape and which outputs it computes. */
export interface PolicyGraphShape {
  readonly batch: number;
  readonly promptWidth: number;
  readonly responseWidth: number;
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
  logpWeights: 'logp_weights',
  entropyWeights: 'entropy_weights',
  logp: 'logp',
  entropy: 'entropy',
} as const;

export const gradientName = (param: string): string => `grad.${param}`;

class PolicyGraph {
  readonly t: Tape;
  private readonly params = new Map<string, Value>();

  constructor(private readonly config: PolicyConfig) {
    this.t = new Tape(new GraphBuilder());
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
    const d = x.shape[1]!;
    const meanSquare = this.t.scale(this.t.sum(this.t.mul(x, x), -1, true), 1 / d);
    return this.t.mul(this.t.mul(x, this.t.rsqrt(this.t.addScalar(meanSquare, this.config.normEps))), this.p(gain));
  }

  /** Multi-head attention of rows x̂ [B·S, D] (already normalised) with `bias` [B, 1, S, S] (null: none), before the output projection. */
  attention(h: Value, prefix: string, batch: number, seq: number, bias: Value | null): Value {
    const { heads } = this.config;
    const d = this.config.dModel;
    const dh = geometry(this.config).headDim;
    const qkv = this.linear(h, `${prefix}.attn.qkv`);
    const split = (i: number): Value =>
      this.t.reshape(this.t.transpose(this.t.reshape(this.t.slice(qkv, 1, i * d, (i + 1) * d), [batch, seq, heads, dh]), [0, 2, 1, 3]), [batch * heads, seq, dh]);
    const q = this.t.scale(split(0), 1 / Math.sqrt(dh));
    const k = split(1);
    const v = split(2);
    const scores = this.t.matmul(q, this.t.transpose(k, [0, 2, 1]));
    const biased = bias === null ? scores : this.t.reshape(this.t.add(this.t.reshape(scores, [batch, heads, seq, seq]), bias), [batch * heads, seq, seq]);
    const out = this.t.matmul(this.t.softmax(biased), v);
    return this.t.reshape(this.t.transpose(this.t.reshape(out, [batch, heads, seq, dh]), [0, 2, 1, 3]), [batch * seq, d]);
  }

  block(x: Value, prefix: string, batch: number, seq: number, bias: Value | null): Value {
    const mixed = this.attention(this.rmsNorm(x, `${prefix}.norm1`), prefix, batch, seq, bias);
    const x1 = this.t.add(x, this.linear(mixed, `${prefix}.attn.out`));
    const up = this.linear(this.rmsNorm(x1, `${prefix}.norm2`), `${prefix}.mlp.up`, true);
    return this.t.add(x1, this.linear(up, `${prefix}.mlp.down`));
  }
}

/**
 * The teacher-forced graph of `shape` as a serialized ONNX model. Inputs: the parameters,
 * patches [I, B, patchDim], text ids [P+T, B] (int64), positions [S, B] (int64), the attention
 * bias [S, B, S] (all time-major, as layout.ts builds them) and, with `backward`, w [B, T] (and u
 * [B, T] with `entropy`). Outputs: logp [B, T] (and H [B, T]) over every column, padding
 * included (the caller masks), and `grad.<param>` per parameter.
 */
export const buildPolicyGraph = (config: PolicyConfig, shape: PolicyGraphShape): Uint8Array => {
  const geo = geometry(config);
  const { batch, promptWidth, responseWidth } = shape;
  const images = geo.imageTokens;
  const seq = images + promptWidth + responseWidth;
  const d = config.dModel;
  const m = new PolicyGraph(config);
  const { t } = m;
  const g = t.g;
  const patches = g.input(GRAPH_IO.patches, [images, batch, geo.patchDim]);
  const textIds = g.input(GRAPH_IO.textIds, [promptWidth + responseWidth, batch], 'int64');
  const positions = g.input(GRAPH_IO.positions, [seq, batch], 'int64');
  const biasIn = g.input(GRAPH_IO.bias, [seq, batch, seq]);
  const batchMajor = (v: Value, rest: number[]): Value => g.node('Transpose', [v], { perm: intsAttr([1, 0, ...rest.map((_, i) => i + 2)]) }, [v.shape[1]!, v.shape[0]!, ...rest], v.type);

  const patchRows = g.node('Reshape', [batchMajor(patches, [geo.patchDim]), g.int64s([batch * images, geo.patchDim])], {}, [batch * images, geo.patchDim]);
  const embedded = t.reshape(m.linear(patchRows, 'image.patch'), [batch, images, d]);
  let enc = t.reshape(t.add(embedded, m.p('image.positions')), [batch * images, d]);
  for (let l = 0; l < config.encoderLayers; l++) enc = m.block(enc, `encoder.${l}`, batch, images, null);
  const projected = m.linear(m.rmsNorm(enc, 'encoder.norm'), 'image.proj');
  const imageType = t.gather(m.p('embed.tokens'), g.int64s([IMAGE_ID]));
  const image = t.reshape(t.add(projected, imageType), [batch, images, d]);

  const ids = batchMajor(textIds, []);
  const text = t.gather(m.p('embed.tokens'), ids);
  const tokens = promptWidth + responseWidth === 0 ? image : t.concat([image, text], 1);
  let x = t.reshape(t.add(tokens, t.gather(m.p('embed.positions'), batchMajor(positions, []))), [batch * seq, d]);
  const bias = g.node('Reshape', [batchMajor(biasIn, [seq]), g.int64s([batch, 1, seq, seq])], {}, [batch, 1, seq, seq]);
  for (let l = 0; l < config.decoderLayers; l++) x = m.block(x, `decoder.${l}`, batch, seq, bias);

  const first = images + promptWidth - 1;
  const rows = t.reshape(t.slice(t.reshape(x, [batch, seq, d]), 1, first, first + responseWidth), [batch * responseWidth, d]);
  const offsets = new Float32Array(config.vocabSize);
  for (const id of UNGENERATABLE_IDS) offsets[id] = -1e9;
  const logits = t.add(t.matmul(m.rmsNorm(rows, 'decoder.norm'), m.p('head.w')), g.floats(offsets, [config.vocabSize]));
  const logProbs = t.logSoftmax(logits);
  const targets = g.node('Slice', [ids, g.int64s([promptWidth]), g.int64s([promptWidth + responseWidth]), g.int64s([1])], {}, [batch, responseWidth], 'int64');
  const flatTargets = g.node('Reshape', [targets, g.int64s([batch * responseWidth])], {}, [batch * responseWidth], 'int64');
  const oneHot = g.node('OneHot', [flatTargets, g.int64s([config.vocabSize]), g.floats(Float32Array.of(0, 1), [2])], { axis: { kind: 'int', value: -1 } }, [batch * responseWidth, config.vocabSize]);
  const logp = t.reshape(t.sum(t.mul(logProbs, oneHot), -1, false), [batch, responseWidth]);
  g.output(GRAPH_IO.logp, logp);
  const seeds: [Value, Value][] = [];
  if (shape.backward) seeds.push([logp, g.input(GRAPH_IO.logpWeights, [batch, responseWidth])]);
  if (shape.entropy) {
    const entropy = t.reshape(t.scale(t.sum(t.mul(t.exp(logProbs), logProbs), -1, false), -1), [batch, responseWidth]);
    g.output(GRAPH_IO.entropy, entropy);
    if (shape.backward) seeds.push([entropy, g.input(GRAPH_IO.entropyWeights, [batch, responseWidth])]);
  }
  if (shape.backward) {
    const grads = t.gradients(seeds);
    for (const spec of paramSpecs(config)) {
      const grad = grads.get(spec.name);
      if (grad === undefined) throw new Error(`no gradient reaches ${spec.name}`);
      g.output(gradientName(spec.name), grad);
    }
  }
  return g.model(`rlflow-policy-b${batch}-p${promptWidth}-t${responseWidth}${shape.entropy ? '-entropy' : ''}${shape.backward ? '-backward' : ''}`);
};
