/**
 * Teacher-forced passes of the built-in policy on onnxruntime-node's CPU execution provider:
 * one micro-batch of rows → logp[b,t] (and H[b,t]) masked to the response, and, with weights w
 * (and u), the gradient ∇θ [ Σ w·logp + Σ u·H ] per parameter (policy-graph.ts). Rows that
 * share image and prompt (and blackened patches) are packed, each prefix computed once
 * (shared-prefix.ts), exactly when the tfjs engine packs them; each response gets a suffix row
 * of T columns, or with `packResponses` a group's responses are laid end to end in shared rows
 * (segment-packing.ts), and a packed batch's shape is rounded up to a bucket (`shapeBucket`). One
 * InferenceSession per graph shape (batch, prompt width, response width, entropy, backward) is
 * kept, the least recently used dropped beyond `maxSessions`. Parameters are fed as inputs on
 * every run, so sessions never change when the weights do.
 */
import * as ort from 'onnxruntime-node';
import {
  attentionBias,
  buildLayout,
  buildPackedLayout,
  geometry,
  paramSpecs,
  patchify,
  prefixGroups,
  fromSlots,
  packSegments,
  responseMask,
  segmentAttentionBias,
  sharesPrefixes,
  toSlots,
  type LayoutInput, type PolicyConfig, type TeacherForcedPass, type TeacherForcedPasses, type TeacherForcedRequest } from '@rlflow/policy';
import { buildPolicyGraph, gradientName, GRAPH_IO, type PolicyGraphShape } from './policy-graph.js';

export interface OrtPassOptions {
  /** Intra-op threads of every session (MLAS's matmul and the element-wise kernels). */
  readonly threads: number;
  /** Sessions kept (distinct graph shapes); default 16. */
  readonly maxSessions?: number;
  /**
   * Lay a group's responses end to end in suffix rows (segment-packing.ts) instead of one padded
   * row each; default false: fewer tokens, but not faster at rlflow's model sizes (docs/backends.md).
   */
  readonly packResponses?: boolean;
  /**
   * onnxruntime's CPU memory arena per session (default true): the demo ran in 58–60 s at 2.0 GB
   * peak RSS with it, 64–68 s at 0.62–0.64 GB without (docs/backends.md).
   */
  readonly memoryArena?: boolean;
}

/**
 * Shape buckets: a packed batch of B rows has its prefixes U and its suffix rows R rounded up to
 * a multiple of max(1, ⌊B/8⌋), never beyond B, so a run meets a few graph shapes instead of one
 * per micro-batch: each new shape costs an onnxruntime session, 70–140 ms to create for the
 * demo's model, several times the run it serves. The padding is at most 1/8 of the rows.
 */
export const shapeBucket = (n: number, batch: number): number => {
  const step = Math.max(1, Math.floor(batch / 8));
  return Math.min(Math.ceil(n / step) * step, Math.max(n, batch));
};

const shapeKey = (s: PolicyGraphShape): string => `${s.groups ?? 'plain'}${s.midRowStarts === true ? '+segments' : ''}/${s.batch}/${s.promptWidth}/${s.responseWidth}/${s.entropy ? 'H' : '-'}/${s.backward ? 'grad' : 'fwd'}`;

export class OrtTeacherForcedPasses implements TeacherForcedPasses {
  readonly device: string;
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  private readonly maxSessions: number;
  private shapes: Map<string, number[]> | undefined;

  constructor(
    private readonly config: PolicyConfig,
    private readonly options: OrtPassOptions,
  ) {
    this.device = `onnxruntime-node cpu (${options.threads} thread${options.threads === 1 ? '' : 's'})`;
    this.maxSessions = options.maxSessions ?? 16;
  }

  async run(request: TeacherForcedRequest): Promise<TeacherForcedPass> {
    const { weights, rows, responseWidth: width, flags } = request;
    const backward = request.logpWeights !== undefined;
    const entropy = request.entropy || request.entropyWeights !== undefined;
    const picked: LayoutInput[] = rows.map((r) => request.sequences[r]!);
    const { imageTokens, patchDim } = geometry(this.config);
    const rowFlags = flags === undefined ? undefined : Uint8Array.from(rows.flatMap((r) => Array.from(flags.subarray(r * imageTokens, (r + 1) * imageTokens))));
    const groups = prefixGroups(picked, imageTokens, rowFlags);
    const packed = sharesPrefixes(groups);
    const batch = rows.length;
    const int64 = (values: Int32Array, dims: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(values, (x) => BigInt(x)), dims);
    const feeds: Record<string, ort.Tensor> = {};
    let graph: Pick<PolicyGraphShape, 'batch' | 'promptWidth' | 'groups' | 'midRowStarts'>;
    let tokens: number;
    let toGraph: (values: Float32Array) => Float32Array;
    let fromGraph: (values: Float32Array) => Float32Array;
    if (packed) {
      // Extra prefixes repeat the first; no row reads them.
      const representatives = [...groups.representatives];
      const prefixes = shapeBucket(groups.representatives.length, batch);
      while (representatives.length < prefixes) representatives.push(groups.representatives[0]!);
      const layout = buildPackedLayout(this.config, picked, { groupOf: groups.groupOf, representatives }, width);
      const packing = packSegments(layout, { shareRows: this.options.packResponses === true, roundRows: (rows) => shapeBucket(rows, batch) });
      const { prefix } = layout;
      const u = prefix.batch;
      const repFlags = rowFlags === undefined ? undefined : Uint8Array.from(representatives.flatMap((r) => Array.from(rowFlags.subarray(r * imageTokens, (r + 1) * imageTokens))));
      feeds[GRAPH_IO.patches] = new ort.Tensor('float32', patchify(this.config, representatives.map((r) => picked[r]!.image), repFlags), [imageTokens, u, patchDim]);
      feeds[GRAPH_IO.textIds] = int64(prefix.textIds, [prefix.promptWidth, u]);
      feeds[GRAPH_IO.positions] = int64(prefix.positions, [prefix.seq, u]);
      feeds[GRAPH_IO.bias] = new ort.Tensor('float32', attentionBias(prefix), [prefix.seq, u, prefix.seq]);
      feeds[GRAPH_IO.suffixIds] = int64(packing.slotIds, [width, packing.rows]);
      feeds[GRAPH_IO.suffixPositions] = int64(packing.slotPositions, [width, packing.rows]);
      feeds[GRAPH_IO.suffixBias] = new ort.Tensor('float32', segmentAttentionBias(layout, packing), [width, packing.rows, prefix.seq + width]);
      feeds[GRAPH_IO.groupOf] = int64(packing.rowGroup, [packing.rows]);
      if (packing.packsRows) feeds[GRAPH_IO.midRowStarts] = new ort.Tensor('float32', packing.midRowStarts, [packing.rows, width]);
      graph = { batch: packing.rows, promptWidth: prefix.promptWidth, groups: u, midRowStarts: packing.packsRows };
      tokens = prefix.seq * u + packing.rows * width;
      toGraph = (values) => toSlots(packing, values);
      fromGraph = (values) => fromSlots(packing, values);
    } else {
      const layout = buildLayout(this.config, picked, width);
      feeds[GRAPH_IO.patches] = new ort.Tensor('float32', patchify(this.config, picked.map((s) => s.image), rowFlags), [imageTokens, batch, patchDim]);
      feeds[GRAPH_IO.textIds] = int64(layout.textIds, [layout.promptWidth + width, batch]);
      feeds[GRAPH_IO.positions] = int64(layout.positions, [layout.seq, batch]);
      feeds[GRAPH_IO.bias] = new ort.Tensor('float32', attentionBias(layout), [layout.seq, batch, layout.seq]);
      graph = { batch, promptWidth: layout.promptWidth, groups: null };
      tokens = batch * layout.seq;
      const mask = responseMask(layout);
      toGraph = (values) => values;
      fromGraph = (values) => values.map((x, i) => (mask[i] === 1 ? x : 0));
    }
    for (const [name, values] of weights) feeds[name] = new ort.Tensor('float32', values, this.paramShape(name));
    const graphShape = [graph.batch, width];
    if (request.logpWeights !== undefined) feeds[GRAPH_IO.logpWeights] = new ort.Tensor('float32', toGraph(request.logpWeights), graphShape);
    if (entropy && backward) feeds[GRAPH_IO.entropyWeights] = new ort.Tensor('float32', toGraph(request.entropyWeights ?? new Float32Array(batch * width)), graphShape);
    const session = await this.session({ ...graph, responseWidth: width, entropy, backward });
    const out = await session.run(feeds);
    const masked = (name: string): Float32Array => fromGraph(out[name]!.data as Float32Array);
    const grads = backward ? new Map([...weights.keys()].map((name) => [name, out[gradientName(name)]!.data as Float32Array])) : null;
    const result = { logp: masked(GRAPH_IO.logp), entropy: entropy ? masked(GRAPH_IO.entropy) : null, grads, tokens };
    // Output tensors live on the CPU: dispose drops the tensor's hold on its array, which `result` keeps.
    for (const tensor of Object.values(out)) tensor.dispose();
    return result;
  }

  /** Sessions held (a cache bounded by `maxSessions`). */
  sessionCount(): number {
    return this.sessions.size;
  }

  async dispose(): Promise<void> {
    const held = [...this.sessions.values()];
    this.sessions.clear();
    for (const session of held) await (await session).release();
  }

  private paramShape(name: string): number[] {
    this.shapes ??= new Map(paramSpecs(this.config).map((spec) => [spec.name, [...spec.shape]]));
    const shape = this.shapes.get(name);
    if (shape === undefined) throw new Error(`policy parameter ${name} is not in the model`);
    return shape;
  }

  private session(shape: PolicyGraphShape): Promise<ort.InferenceSession> {
    const key = shapeKey(shape);
    const known = this.sessions.get(key);
    if (known !== undefined) {
      this.sessions.delete(key);
      this.sessions.set(key, known);
      return known;
    }
    const created = ort.InferenceSession.create(buildPolicyGraph(this.config, shape), {
      executionProviders: ['cpu'],
      intraOpNumThreads: this.options.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      enableCpuMemArena: this.options.memoryArena !== false,
    });
    this.sessions.set(key, created);
    // A graph onnxruntime refused is not kept: the next call with its shape tries again and reports again.
    void created.catch(() => this.sessions.get(key) === created && this.sessions.delete(key));
    if (this.sessions.size > this.maxSessions) {
      const [oldest, evicted] = this.sessions.entries().next().value as [string, Promise<ort.InferenceSession>];
      this.sessions.delete(oldest);
      void evicted.then(
        (session) => session.release(),
        () => undefined,
      );
    }
    return created;
  }
}
