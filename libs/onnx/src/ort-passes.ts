/**
 * Teacher-forced passes of the built-in policy on onnxruntime-node's CPU execution provider:
 * one micro-batch of rows → logp[b,t] (and H[b,t]) masked to the response, and, with weights w
 * (and u), the gradient ∇θ [ Σ w·logp + Σ u·H ] per parameter (policy-graph.ts). One
 * InferenceSession per graph shape (batch, prompt width, response width, entropy, backward) is
 * kept, the least recently used dropped beyond `maxSessions`. Parameters are fed as inputs on
 * every run, so sessions never change when the weights do.
 */
import * as ort from 'onnxruntime-node';
import { attentionBias, buildLayout, geometry, paramSpecs, patchify, responseMask, type LayoutInput, type PolicyConfig, type TeacherForcedPass, type TeacherForcedPasses, type TeacherForcedRequest } from '@rlflow/policy';
import { buildPolicyGraph, gradientName, GRAPH_IO, type PolicyGraphShape } from './policy-graph.js';

export interface OrtPassOptions {
  /** Intra-op threads of every session (MLAS's matmul and the element-wise kernels). */
  readonly threads: number;
  /** Sessions kept (distinct graph shapes); default 16. */
  readonly maxSessions?: number;
}

const shapeKey = (s: PolicyGraphShape): string => `${s.batch}/${s.promptWidth}/${s.responseWidth}/${s.entropy ? 'H' : '-'}/${s.backward ? 'grad' : 'fwd'}`;

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
    const { weights, sequences, rows, responseWidth: width, flags } = request;
    const backward = request.logpWeights !== undefined;
    const entropy = request.entropy || request.entropyWeights !== undefined;
    const picked: LayoutInput[] = rows.map((r) => sequences[r]!);
    const layout = buildLayout(this.config, picked, width);
    const geo = geometry(this.config);
    const shape: PolicyGraphShape = { batch: rows.length, promptWidth: layout.promptWidth, responseWidth: width, entropy, backward };
    const session = await this.session(shape);
    const rowFlags = flags === undefined ? undefined : Uint8Array.from(rows.flatMap((r) => Array.from(flags.subarray(r * geo.imageTokens, (r + 1) * geo.imageTokens))));
    const feeds: Record<string, ort.Tensor> = {
      [GRAPH_IO.patches]: new ort.Tensor('float32', patchify(this.config, picked.map((s) => s.image), rowFlags), [geo.imageTokens, rows.length, geo.patchDim]),
      [GRAPH_IO.textIds]: new ort.Tensor('int64', BigInt64Array.from(layout.textIds, (x) => BigInt(x)), [layout.promptWidth + width, rows.length]),
      [GRAPH_IO.positions]: new ort.Tensor('int64', BigInt64Array.from(layout.positions, (x) => BigInt(x)), [layout.seq, rows.length]),
      [GRAPH_IO.bias]: new ort.Tensor('float32', attentionBias(layout), [layout.seq, rows.length, layout.seq]),
    };
    for (const [name, values] of weights) feeds[name] = new ort.Tensor('float32', values, this.paramShape(name));
    if (request.logpWeights !== undefined) feeds[GRAPH_IO.logpWeights] = new ort.Tensor('float32', request.logpWeights, [rows.length, width]);
    if (entropy && backward) feeds[GRAPH_IO.entropyWeights] = new ort.Tensor('float32', request.entropyWeights ?? new Float32Array(rows.length * width), [rows.length, width]);
    const out = await session.run(feeds);
    const mask = responseMask(layout);
    const masked = (name: string): Float32Array => {
      const values = Float32Array.from(out[name]!.data as Float32Array);
      for (let i = 0; i < values.length; i++) values[i] = mask[i] === 1 ? values[i]! : 0;
      return values;
    };
    const grads = backward ? new Map([...weights.keys()].map((name) => [name, out[gradientName(name)]!.data as Float32Array])) : null;
    const result = { logp: masked(GRAPH_IO.logp), entropy: entropy ? masked(GRAPH_IO.entropy) : null, grads, tokens: rows.length * layout.seq };
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
    });
    this.sessions.set(key, created);
    if (this.sessions.size > this.maxSessions) {
      const [oldest, evicted] = this.sessions.entries().next().value as [string, Promise<ort.InferenceSession>];
      this.sessions.delete(oldest);
      void evicted.then((s) => s.release());
    }
    return created;
  }
}
