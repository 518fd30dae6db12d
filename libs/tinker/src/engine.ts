/**
 * The remote engine: the engine contract (libs/engine/src/contract.ts) over the Tinker training
 * API (client.ts, wire.ts).
 *
 *   sample           save_weights_for_sampler (when the weights moved) → create_sampling_session →
 *                    one `asample` per prompt, num_samples = G, seed = promptSeed(seed, p)
 *   forward          `forward` with cross_entropy: logp[b, j] = loss_fn_outputs[b].logprobs[I + |p_b| − 1 + j]
 *   forwardBackward  `forward_backward` with cross_entropy and weights = −w, so the server's loss
 *                    −Σ weights·logp = Σ w·logp and its gradient is the contract's ∇θ Σ w·logp
 *   forwardBackwardBuiltin  `forward_backward` with importance_sampling / ppo / cispo: inputs
 *                    `logprobs` (behaviour) and `advantages` per position, `loss_fn_config`
 *                    {clip_low_threshold, clip_high_threshold}; the log-probs from loss_fn_outputs
 *   optimStep        `optim_step` (adam_params; grad_clip_norm = maxGradNorm)
 *   save / load      save_weights / load_weights with the optimizer state on the server; the
 *                    tinker:// path and the step count in a local, hashed state file
 *
 * The frozen reference (KL terms) is a second model created from the same base model and never
 * trained. What the API cannot give (entropies, entropy weights, masked-image views) is stated in
 * `capabilities` and refused by name. Calls run one at a time in the order they are made, each
 * training call with the next `seq_id` of its model, so a retried call is never applied twice.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { decodeWith, FLOAT32_MAX, matrix, StageError, writeDirAtomic, type Matrix } from '@rlflow/core';
import type {
  AdamWParams,
  BuiltinLossRequest,
  BuiltinLossResult,
  Engine,
  EngineCapabilities,
  EngineFactory,
  EngineInfo,
  EngineOptions,
  EngineResult,
  ForwardBackwardRequest,
  ForwardBackwardResult,
  ForwardRequest,
  ForwardResult,
  OptimStepResult,
  SampleRequest,
  Samples,
  SaveReceipt,
  SequenceInput,
} from '@rlflow/engine';
import { BUILTIN_LOSS_NAMES, promptSeed } from '@rlflow/engine';
import { TinkerClient, TinkerError, type TinkerClientOptions } from './client.js';
import { builtinLossDatum, FLOAT32_RGBA, imageTokenCount, promptModelInput, responseOffset, sequenceDatum, type ImageGeometry } from './datum.js';
import * as W from './wire.js';

export const TINKER_ENGINE = 'tinker';
const STAGE = 'engine.tinker';
export const STATE_FILE = 'manifest.json';
export const SDK_VERSION = 'rlflow-tinker/0.1.0';
export const API_KEY_ENV = 'TINKER_API_KEY';

const PositiveInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n > 0, 'a positive integer');
const NonNegativeInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');

/** The engine's `model` option (decoded at the factory's boundary). */
export const TinkerEngineModel = t.intersection([
  t.type({
    /** null is refused by name (`remote.url`): the trainer's config leaves it null until --engine-url gives it. */
    url: t.union([t.string, t.null]),
    baseModel: t.union([t.string, t.null]),
    loraRank: NonNegativeInt,
    imageSize: PositiveInt,
    imageTokens: PositiveInt,
    maxPromptTokens: PositiveInt,
    maxResponseTokens: PositiveInt,
    eosTokenId: NonNegativeInt,
  }),
  t.partial({
    requestTimeoutMs: PositiveInt,
    pollTimeoutMs: PositiveInt,
    retryBaseDelayMs: PositiveInt,
    retryMaxDelayMs: PositiveInt,
    deadlineMs: PositiveInt,
    maxInFlight: PositiveInt,
    heartbeatMs: PositiveInt,
    /** Use the server's built-in losses where the objective is one exactly (default true); false: the gradient-by-log-prob path only. */
    builtinLosses: t.boolean,
    /** The prompt token whose place the image chunk takes (a chat template's image token, Qwen-VL's <|image_pad|>); unset or null: the image comes first. */
    imageTokenId: t.union([NonNegativeInt, t.null]),
  }),
]);
export type TinkerEngineModel = t.TypeOf<typeof TinkerEngineModel>;

/** What `save` writes beside nothing else: the server's path of the state and the run's step count. */
const SavedState = t.type({
  format: t.literal('rlflow-tinker-state/1'),
  engine: t.literal(TINKER_ENGINE),
  kind: t.keyof({ state: null, policy: null }),
  baseModel: t.string,
  loraRank: NonNegativeInt,
  steps: NonNegativeInt,
  path: t.string,
  /** Whether the engine that saved it kept a reference (the reference is the base model, not saved). */
  reference: t.boolean,
});
type SavedState = t.TypeOf<typeof SavedState>;


const fail = <A>(field: string, kind: StageError['kind'], detail: string, method: string, index: StageError['index'] = null): E.Either<StageError, A> =>
  E.left(new StageError(`${STAGE}.${method}`, field, index, kind, detail));

/** A failed remote call as a StageError; a server's "not-finite: …" refusal keeps its kind (the update loop skips those). */
const fromTinker = (method: string, error: TinkerError): StageError => {
  const kind: StageError['kind'] = error.kind === 'failed' && /^not-finite\b/.test(error.detail) ? 'not-finite' : 'invalid';
  return new StageError(`${STAGE}.${method}`, error.route, null, kind, `${error.kind === 'failed' ? `the server refused it (${error.category ?? 'unknown'})` : error.kind}: ${error.detail}`);
};

/** Each sequence's response-token values of a [B, T] matrix, mapped; a value that is not a finite float32 is refused naming [b, j]. */
const responseRows = (
  field: string,
  method: string,
  sequences: readonly SequenceInput[],
  m: Matrix,
  map: (x: number) => number,
): E.Either<StageError, Float64Array[]> => {
  const rows: Float64Array[] = [];
  for (let b = 0; b < sequences.length; b++) {
    const length = sequences[b]!.responseTokens.length;
    const row = new Float64Array(length);
    for (let j = 0; j < length; j++) {
      const x = m.data[b * m.cols + j]!;
      if (!Number.isFinite(x) || Math.abs(x) > FLOAT32_MAX) return fail(field, 'not-finite', `is ${x}, expected a finite float32`, method, [b, j]);
      row[j] = map(x);
    }
    rows.push(row);
  }
  return E.right(rows);
};

const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

export class TinkerEngine implements Engine {
  readonly info: EngineInfo;
  readonly capabilities: EngineCapabilities;
  private tail: Promise<void> = Promise.resolve();
  private disposed = false;
  private stepCount = 0;
  private pendingGradient = false;
  private readonly nextSeq = new Map<string, number>();
  private sampler: { readonly steps: number; readonly id: string } | undefined;
  private samplerSeq = 0;
  private samplingSessions = 0;
  private weightsGeneration = 0;
  private readonly geometry: ImageGeometry;

  private constructor(
    private readonly client: TinkerClient,
    private readonly model: TinkerEngineModel,
    private readonly baseModel: string,
    private readonly sessionId: string,
    private readonly policyId: string,
    private readonly referenceId: string | undefined,
    private readonly heartbeat: NodeJS.Timeout | undefined,
    info: W.GetInfoResponse,
  ) {
    const extension = (info.model_data as { rlflow?: { parameter_count?: unknown; image_encoding?: unknown } }).rlflow;
    this.geometry = {
      imageSize: model.imageSize,
      imageTokens: model.imageTokens,
      imageEncoding: extension?.image_encoding === FLOAT32_RGBA ? FLOAT32_RGBA : 'png8',
      imageTokenId: model.imageTokenId ?? null,
    };
    this.info = {
      engine: TINKER_ENGINE,
      model: `${baseModel}${info.is_lora === true ? ` (LoRA rank ${info.lora_rank ?? model.loraRank})` : ''}`,
      device: client.url,
      imageSize: model.imageSize,
      maxPromptTokens: model.maxPromptTokens,
      maxResponseTokens: model.maxResponseTokens,
      parameterCount: typeof extension?.parameter_count === 'number' ? extension.parameter_count : 0,
    };
    this.capabilities = {
      entropy: false,
      entropyWeights: false,
      maskedImages: false,
      reference: referenceId !== undefined,
      tokenBudget: null,
      builtinLosses: model.builtinLosses === false ? [] : BUILTIN_LOSS_NAMES,
    };
  }

  static async create(options: EngineOptions): Promise<E.Either<StageError, TinkerEngine>> {
    const decoded = decodeWith(TinkerEngineModel, `${STAGE} model`)(options.model);
    if (E.isLeft(decoded)) return E.left(new StageError(STAGE, 'model', null, 'invalid', decoded.left.message));
    const model = decoded.right;
    if (model.url === null) return fail('remote.url', 'invalid', 'is null: give the URL of a Tinker-API server (--engine-url URL)', 'create');
    if (!/^https?:\/\//.test(model.url)) return fail('model.url', 'invalid', `is ${JSON.stringify(model.url)}, expected an http:// or https:// URL`, 'create');
    const apiKey = process.env[API_KEY_ENV];
    const clientOptions: TinkerClientOptions = {
      url: model.url,
      ...(apiKey === undefined || apiKey === '' ? {} : { apiKey }),
      retry: {
        ...(model.retryBaseDelayMs === undefined ? {} : { baseDelayMs: model.retryBaseDelayMs }),
        ...(model.retryMaxDelayMs === undefined ? {} : { maxDelayMs: model.retryMaxDelayMs }),
        ...(model.deadlineMs === undefined ? {} : { deadlineMs: model.deadlineMs }),
      },
      ...(model.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: model.requestTimeoutMs }),
      ...(model.pollTimeoutMs === undefined ? {} : { pollTimeoutMs: model.pollTimeoutMs }),
      ...(model.maxInFlight === undefined ? {} : { maxInFlight: model.maxInFlight }),
    };
    const client = new TinkerClient(clientOptions);
    const step = async <A>(result: Promise<E.Either<TinkerError, A>>): Promise<E.Either<StageError, A>> => E.mapLeft((e: TinkerError) => fromTinker('create', e))(await result);

    const config = await step(client.call('client/config', { sdk_version: SDK_VERSION } satisfies W.ClientConfigRequest, W.ClientConfigResponse));
    if (E.isLeft(config)) return config;
    let baseModel = model.baseModel;
    if (baseModel === null) {
      const capabilities = await step(client.call('get_server_capabilities', undefined, W.GetServerCapabilitiesResponse, 'GET'));
      if (E.isLeft(capabilities)) return capabilities;
      const first = capabilities.right.supported_models.find((m) => typeof m.model_name === 'string');
      if (first === undefined) return fail('model.baseModel', 'empty', `is not given, and ${model.url} lists no supported model`, 'create');
      baseModel = first.model_name!;
    }
    const session = await step(client.call('create_session', { tags: ['rlflow'], user_metadata: null, sdk_version: SDK_VERSION } satisfies W.CreateSessionRequest, W.CreateSessionResponse));
    if (E.isLeft(session)) return session;
    const sessionId = session.right.session_id;
    let modelSeq = 0;
    const createModel = (): Promise<E.Either<StageError, W.CreateModelResponse>> =>
      step(
        client.submit(
          'create_model',
          { session_id: sessionId, model_seq_id: modelSeq++, base_model: baseModel!, lora_config: { rank: model.loraRank } } satisfies W.CreateModelRequest,
          W.CreateModelResponse,
        ),
      );
    const policy = await createModel();
    if (E.isLeft(policy)) return policy;
    const reference = options.reference ? await createModel() : undefined;
    if (reference !== undefined && E.isLeft(reference)) return reference;
    const info = await step(client.call('get_info', { model_id: policy.right.model_id } satisfies W.GetInfoRequest, W.GetInfoResponse));
    if (E.isLeft(info)) return info;
    const extension = (info.right.model_data as { rlflow?: Record<string, unknown> }).rlflow;
    if (extension !== undefined) {
      for (const [ours, theirs] of [
        ['imageSize', 'image_size'],
        ['imageTokens', 'image_tokens'],
      ] as const) {
        if (typeof extension[theirs] === 'number' && extension[theirs] !== model[ours]) {
          return fail(`model.${ours}`, 'invalid', `is ${model[ours]}, but the server's ${baseModel} has ${theirs} ${String(extension[theirs])}`, 'create');
        }
      }
    }
    const heartbeatMs = model.heartbeatMs ?? 10_000;
    const heartbeat = setInterval(() => {
      void client.call('session_heartbeat', { session_id: sessionId } satisfies W.SessionHeartbeatRequest, W.SessionHeartbeatResponse);
    }, heartbeatMs);
    heartbeat.unref();
    const engine = new TinkerEngine(client, model, baseModel, sessionId, policy.right.model_id, reference?.right.model_id, heartbeat, info.right);
    if (options.init.kind === 'weights') {
      const initial = await engine.restore(options.init.dir, 'load', false);
      if (E.isLeft(initial)) {
        await engine.dispose();
        return E.left(new StageError(STAGE, 'init.dir', null, initial.left.kind, initial.left.message));
      }
      engine.stepCount = 0;
    }
    return E.right(engine);
  }

  sample(request: SampleRequest): EngineResult<Samples> {
    return this.exclusive('sample', async () => {
      const G = request.samplesPerPrompt;
      if (!Number.isInteger(G) || G < 1) return fail('samplesPerPrompt', 'out-of-range', `is ${G}, expected a positive integer`, 'sample');
      if (!Number.isInteger(request.seed)) return fail('seed', 'not-integer', `is ${request.seed}, expected an integer`, 'sample');
      const { sampling } = request;
      const width = sampling.maxNewTokens;
      if (!Number.isInteger(width) || width < 1 || width > this.model.maxResponseTokens) {
        return fail('sampling.maxNewTokens', 'out-of-range', `is ${width}, expected an integer in [1, ${this.model.maxResponseTokens}]`, 'sample');
      }
      for (let p = 0; p < request.prompts.length; p++) {
        const placed = this.checkImageToken('sample', `prompts[${p}].promptTokens`, request.prompts[p]!.promptTokens);
        if (E.isLeft(placed)) return placed;
      }
      const sampler = await this.ensureSampler();
      if (E.isLeft(sampler)) return sampler;
      const stopAtEos = sampling.stopAtEos ?? true;
      const replies = await Promise.all(
        request.prompts.map((prompt, p) =>
          this.client.submit(
            'asample',
            {
              num_samples: G,
              prompt: promptModelInput(this.geometry, prompt),
              sampling_params: {
                max_tokens: width,
                seed: promptSeed(request.seed, p),
                temperature: sampling.temperature,
                top_p: sampling.topP,
                top_k: sampling.topK === 0 ? -1 : sampling.topK,
                ...(stopAtEos ? { stop: [this.model.eosTokenId] } : {}),
              },
              sampling_session_id: sampler.right,
              seq_id: this.samplerSeq++,
            } satisfies W.SampleRequest,
            W.SampleResponse,
          ),
        ),
      );
      const rows = request.prompts.length * G;
      const tokens: number[][] = [];
      const finished: boolean[] = [];
      const samplerLogprobs = new Float64Array(rows * width);
      const mask = new Float64Array(rows * width);
      for (let p = 0; p < replies.length; p++) {
        const reply = replies[p]!;
        if (E.isLeft(reply)) return E.left(fromTinker('sample', reply.left));
        if (reply.right.sequences.length !== G) return fail(`prompts[${p}]`, 'length-mismatch', `the server returned ${reply.right.sequences.length} samples, expected ${G}`, 'sample');
        for (let g = 0; g < G; g++) {
          const row = p * G + g;
          const sequence = reply.right.sequences[g]!;
          const eos = stopAtEos ? sequence.tokens.indexOf(this.model.eosTokenId) : -1;
          const kept = (eos >= 0 ? sequence.tokens.slice(0, eos + 1) : sequence.tokens).slice(0, width);
          const logprobs = sequence.logprobs;
          if (logprobs === undefined || logprobs === null || logprobs.length < kept.length) {
            return fail(`prompts[${p}]`, 'empty', `sample ${g} came without a log-prob for each token (the engine needs them)`, 'sample');
          }
          tokens.push(kept);
          finished.push(kept.includes(this.model.eosTokenId));
          for (let j = 0; j < kept.length; j++) {
            samplerLogprobs[row * width + j] = logprobs[j]!;
            mask[row * width + j] = 1;
          }
        }
      }
      const samplerMatrix = matrix(rows, width, samplerLogprobs);
      const exact = sampling.temperature === 1 && sampling.topP === 1 && sampling.topK === 0;
      let logprobs: Matrix = samplerMatrix;
      if (!exact && rows > 0) {
        // Under a changed distribution, log π at temperature 1 comes from a forward at the sampler's weights.
        const sequences = request.prompts.flatMap((prompt, p) => Array.from({ length: G }, (_, g) => ({ ...prompt, responseTokens: tokens[p * G + g]! })));
        const scored = await this.forwardNow({ sequences: sequences.filter((s) => s.responseTokens.length > 0), responseWidth: width }, 'sample');
        if (E.isLeft(scored)) return scored;
        const out = new Float64Array(rows * width);
        let k = 0;
        for (let row = 0; row < rows; row++) {
          if (tokens[row]!.length === 0) continue;
          out.set(scored.right.logp.data.subarray(k * width, (k + 1) * width), row * width);
          k++;
        }
        logprobs = matrix(rows, width, out);
      }
      return E.right({ tokens, lengths: tokens.map((r) => r.length), finished, logprobs, samplerLogprobs: samplerMatrix, mask: matrix(rows, width, mask) });
    });
  }

  forward(request: ForwardRequest): EngineResult<ForwardResult> {
    return this.exclusive('forward', () => this.forwardNow(request, 'forward'));
  }

  forwardBackward(request: ForwardBackwardRequest): EngineResult<ForwardBackwardResult> {
    return this.exclusive('forwardBackward', async () => {
      const { sequences, responseWidth: width, terms } = request;
      const checked = this.checkSequences('forwardBackward', sequences, width);
      if (E.isLeft(checked)) return checked;
      if (terms.length !== 1) return fail('terms', 'invalid', `has ${terms.length} terms; this engine takes one full-image term (capability maskedImages is false)`, 'forwardBackward');
      const term = terms[0]!;
      if (term.view.kind !== 'full') return fail('terms[0].view', 'invalid', 'is a masked view; this engine has none (capability maskedImages is false)', 'forwardBackward');
      if (term.entropyWeights !== undefined) return fail('terms[0].entropyWeights', 'invalid', 'are given; this engine takes none (capability entropyWeights is false)', 'forwardBackward');
      const w = term.logpWeights;
      if (w.rows !== sequences.length || w.cols !== width) return fail('terms[0].logpWeights', 'length-mismatch', `is ${w.rows}×${w.cols}, expected ${sequences.length}×${width}`, 'forwardBackward');
      const weights = responseRows('terms[0].logpWeights', 'forwardBackward', sequences, w, (x) => (x === 0 ? 0 : -x));
      if (E.isLeft(weights)) return weights;
      const data = sequences.map((s, b) => sequenceDatum(this.geometry, s, weights.right[b]!));
      const reply = await this.client.submit(
        'forward_backward',
        { forward_backward_input: { data, loss_fn: 'cross_entropy' }, model_id: this.policyId, seq_id: this.seq(this.policyId) } satisfies W.ForwardBackwardRequest,
        W.ForwardBackwardOutput,
      );
      if (E.isLeft(reply)) return E.left(fromTinker('forwardBackward', reply.left));
      this.pendingGradient = true;
      const result = this.readLogprobs('forwardBackward', sequences, width, reply.right);
      if (E.isLeft(result)) return result;
      let surrogate = 0;
      let scale = 0;
      for (let i = 0; i < result.right.logp.data.length; i++) {
        const term = Math.fround(w.data[i]!) * result.right.logp.data[i]!;
        surrogate += term;
        scale += Math.abs(term);
      }
      const reported = reply.right.metrics['loss:sum'];
      // cross_entropy's loss is −Σ weights·logp = Σ w·logp; a server that reports another value
      // normalises (SkyRL's JAX backend divides each sequence by its weight sum), which breaks
      // the gradient-by-log-prob identity: refuse before any optimizer step applies it.
      if (reported !== undefined && Math.abs(reported - surrogate) > 1e-4 * scale + 1e-6) {
        return fail(
          'loss:sum',
          'invalid',
          `the server reports a cross_entropy loss of ${reported}, but −Σ weights·logp of the log-probs it returned is ${surrogate}: it normalises the loss (per sequence?), so weights = −∂loss/∂logp would not give ∇θ loss (docs/remote.md, "Semantic differences")`,
          'forwardBackward',
        );
      }
      return E.right({ surrogate: reported ?? surrogate, terms: [result.right], tokens: this.tokensOf(reply.right, sequences, width) });
    });
  }

  forwardBackwardBuiltin(request: BuiltinLossRequest): EngineResult<BuiltinLossResult> {
    const method = 'forwardBackwardBuiltin';
    return this.exclusive(method, async () => {
      const { sequences, responseWidth: width, loss, thresholds } = request;
      if (!(this.capabilities.builtinLosses ?? []).includes(loss)) return fail('loss', 'invalid', `is ${loss}; this engine was created with remote.builtinLosses false`, method);
      if ((thresholds === null) !== (loss === 'importance_sampling')) return fail('thresholds', 'invalid', `are ${thresholds === null ? 'missing' : 'given'}; ${loss} ${loss === 'importance_sampling' ? 'takes none' : 'needs them'}`, method);
      const checked = this.checkSequences(method, sequences, width);
      if (E.isLeft(checked)) return checked;
      for (const [field, m] of [['advantages', request.advantages], ['samplingLogp', request.samplingLogp]] as const) {
        if (m.rows !== sequences.length || m.cols !== width) return fail(field, 'length-mismatch', `is ${m.rows}×${m.cols}, expected ${sequences.length}×${width}`, method);
      }
      const advantages = responseRows('advantages', method, sequences, request.advantages, (x) => x);
      if (E.isLeft(advantages)) return advantages;
      const samplingLogp = responseRows('samplingLogp', method, sequences, request.samplingLogp, (x) => x);
      if (E.isLeft(samplingLogp)) return samplingLogp;
      const data = sequences.map((s, b) => builtinLossDatum(this.geometry, s, samplingLogp.right[b]!, advantages.right[b]!));
      const config = thresholds === null ? {} : { loss_fn_config: { clip_low_threshold: thresholds.clipLow, clip_high_threshold: thresholds.clipHigh } };
      const reply = await this.client.submit(
        'forward_backward',
        { forward_backward_input: { data, loss_fn: loss, ...config }, model_id: this.policyId, seq_id: this.seq(this.policyId) } satisfies W.ForwardBackwardRequest,
        W.ForwardBackwardOutput,
      );
      if (E.isLeft(reply)) return E.left(fromTinker(method, reply.left));
      this.pendingGradient = true;
      const forward = this.readLogprobs(method, sequences, width, reply.right);
      if (E.isLeft(forward)) return forward;
      return E.right({ loss: reply.right.metrics['loss:sum'] ?? null, forward: forward.right, tokens: this.tokensOf(reply.right, sequences, width) });
    });
  }

  /** Token positions the server reports computing, or rows × the padded length. */
  private tokensOf(output: W.ForwardBackwardOutput, sequences: readonly SequenceInput[], width: number): number {
    return output.metrics['rlflow_tokens:sum'] ?? sequences.length * (this.geometry.imageTokens + Math.max(...sequences.map((s) => s.promptTokens.length)) + width);
  }

  optimStep(params: AdamWParams): EngineResult<OptimStepResult> {
    return this.exclusive('optimStep', async () => {
      const adam: W.AdamParams = {
        learning_rate: params.learningRate,
        beta1: params.beta1,
        beta2: params.beta2,
        eps: params.eps,
        weight_decay: params.weightDecay,
        grad_clip_norm: params.maxGradNorm,
      };
      for (const [key, value] of Object.entries(params)) {
        if (typeof value !== 'number' || !Number.isFinite(value)) return fail(key, 'not-finite', `is ${String(value)}, expected a finite number`, 'optimStep');
      }
      const reply = await this.client.submit('optim_step', { adam_params: adam, model_id: this.policyId, seq_id: this.seq(this.policyId) } satisfies W.OptimStepRequest, W.OptimStepResponse);
      this.pendingGradient = false;
      if (E.isLeft(reply)) return E.left(fromTinker('optimStep', reply.left));
      this.stepCount++;
      this.weightsGeneration++;
      const metrics = reply.right.metrics ?? {};
      return E.right({ steps: this.stepCount, gradNorm: metrics['grad_norm:mean'] ?? 0, clipScale: metrics['clip_scale:mean'] ?? 1 });
    });
  }

  steps(): number {
    return this.stepCount;
  }

  save(dir: string): EngineResult<SaveReceipt> {
    return this.exclusive('save', async () => {
      if (this.pendingGradient) return fail('gradient', 'invalid', 'a gradient is accumulated and not yet applied; a checkpoint holds none, so call optimStep first', 'save');
      const name = `rlflow-${this.stepCount}-${randomBytes(6).toString('hex')}`;
      const reply = await this.client.submit('save_weights', { model_id: this.policyId, path: name, seq_id: this.seq(this.policyId) } satisfies W.SaveWeightsRequest, W.SaveWeightsResponse);
      if (E.isLeft(reply)) return E.left(fromTinker('save', reply.left));
      return E.right(await this.writeState(dir, { kind: 'state', path: reply.right.path }));
    });
  }

  load(dir: string): EngineResult<SaveReceipt> {
    return this.exclusive('load', () => this.restore(dir, 'load', true));
  }

  savePolicy(dir: string): EngineResult<SaveReceipt> {
    return this.exclusive('savePolicy', async () => {
      const reply = await this.client.submit(
        'save_weights',
        { model_id: this.policyId, path: `rlflow-policy-${this.stepCount}-${randomBytes(6).toString('hex')}`, seq_id: this.seq(this.policyId) } satisfies W.SaveWeightsRequest,
        W.SaveWeightsResponse,
      );
      if (E.isLeft(reply)) return E.left(fromTinker('savePolicy', reply.left));
      return E.right(await this.writeState(dir, { kind: 'policy', path: reply.right.path }));
    });
  }

  liveResources(): number {
    return 0;
  }

  async dispose(): Promise<void> {
    await this.tail;
    if (this.disposed) return;
    this.disposed = true;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
  }

  /** HTTP requests this engine's client sent, by route (retries included). */
  requestCounts(): ReadonlyMap<string, number> {
    return this.client.sent;
  }

  private seq(modelId: string): number {
    const next = this.nextSeq.get(modelId) ?? 1;
    this.nextSeq.set(modelId, next + 1);
    return next;
  }

  private async writeState(dir: string, saved: { readonly kind: SavedState['kind']; readonly path: string }): Promise<SaveReceipt> {
    const state: SavedState = {
      format: 'rlflow-tinker-state/1',
      engine: TINKER_ENGINE,
      kind: saved.kind,
      baseModel: this.baseModel,
      loraRank: this.model.loraRank,
      steps: this.stepCount,
      path: saved.path,
      reference: this.referenceId !== undefined,
    };
    const text = `${JSON.stringify(state, null, 2)}\n`;
    await writeDirAtomic(dir, async (temp) => {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(temp, STATE_FILE), text, 'utf8');
    });
    return { steps: this.stepCount, files: { [STATE_FILE]: sha256(text) } };
  }

  private async restore(dir: string, method: string, optimizer: boolean): Promise<E.Either<StageError, SaveReceipt>> {
    const file = join(dir, STATE_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      return fail(file, 'invalid', `cannot be read (${error instanceof Error ? error.message : String(error)}); a ${TINKER_ENGINE} engine loads what it saved`, method);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return fail(file, 'invalid', 'is not JSON', method);
    }
    const state = decodeWith(SavedState, file)(json);
    if (E.isLeft(state)) return E.left(new StageError(`${STAGE}.${method}`, file, null, 'invalid', state.left.message));
    if (state.right.baseModel !== this.baseModel) return fail(`${file}: baseModel`, 'invalid', `is ${state.right.baseModel}, this engine trains ${this.baseModel}`, method);
    if (optimizer && state.right.kind !== 'state') return fail(`${file}: kind`, 'invalid', 'is "policy" (weights alone); load needs a state saved by save()', method);
    if (optimizer && state.right.reference !== (this.referenceId !== undefined)) {
      return fail(`${file}: reference`, 'invalid', state.right.reference ? 'is true, and this engine keeps no reference' : 'is false, and this engine keeps a reference', method);
    }
    const targets = [this.policyId, ...(!optimizer && this.referenceId !== undefined ? [this.referenceId] : [])];
    for (const modelId of targets) {
      const reply = await this.client.submit(
        'load_weights',
        { model_id: modelId, path: state.right.path, optimizer: optimizer && modelId === this.policyId, seq_id: this.seq(modelId) } satisfies W.LoadWeightsRequest,
        W.LoadWeightsResponse,
      );
      if (E.isLeft(reply)) return E.left(fromTinker(method, reply.left));
    }
    this.stepCount = state.right.steps;
    this.pendingGradient = false;
    this.weightsGeneration++;
    this.sampler = undefined;
    return E.right({ steps: state.right.steps, files: { [STATE_FILE]: sha256(text) } });
  }

  private async ensureSampler(): Promise<E.Either<StageError, string>> {
    if (this.sampler !== undefined && this.sampler.steps === this.weightsGeneration) return E.right(this.sampler.id);
    const saved = await this.client.submit(
      'save_weights_for_sampler',
      { model_id: this.policyId, path: `rlflow-sampler-${this.weightsGeneration}-${randomBytes(6).toString('hex')}`, seq_id: this.seq(this.policyId) } satisfies W.SaveWeightsForSamplerRequest,
      W.SaveWeightsForSamplerResponse,
    );
    if (E.isLeft(saved)) return E.left(fromTinker('sample', saved.left));
    let id = saved.right.sampling_session_id ?? undefined;
    if (id === undefined || id === null) {
      const path = saved.right.path;
      if (path === undefined || path === null) return fail('save_weights_for_sampler', 'empty', 'the server returned neither a path nor a sampling session', 'sample');
      const session = await this.client.call(
        'create_sampling_session',
        { session_id: this.sessionId, sampling_session_seq_id: this.samplingSessions++, model_path: path } satisfies W.CreateSamplingSessionRequest,
        W.CreateSamplingSessionResponse,
      );
      if (E.isLeft(session)) return E.left(fromTinker('sample', session.left));
      id = session.right.sampling_session_id;
    }
    this.sampler = { steps: this.weightsGeneration, id };
    this.samplerSeq = 0;
    return E.right(id);
  }

  /** With an image token, a prompt holds it exactly once (the image's place). */
  private checkImageToken(method: string, field: string, tokens: readonly number[]): E.Either<StageError, void> {
    const count = imageTokenCount(this.geometry, tokens);
    if (count === null || count === 1) return E.right(undefined);
    return fail(field, 'invalid', `holds the image token ${this.geometry.imageTokenId} ${count} times, expected once (the image's place in the chat template)`, method);
  }

  private checkSequences(method: string, sequences: readonly SequenceInput[], width: number): E.Either<StageError, Matrix> {
    if (!Number.isInteger(width) || width < 1 || width > this.model.maxResponseTokens) {
      return fail('responseWidth', 'out-of-range', `is ${width}, expected an integer in [1, ${this.model.maxResponseTokens}]`, method);
    }
    const pixels = this.model.imageSize * this.model.imageSize * 3;
    const mask = new Float64Array(sequences.length * width);
    for (let b = 0; b < sequences.length; b++) {
      const s = sequences[b]!;
      if (s.image.length !== pixels) return fail(`sequences[${b}].image`, 'length-mismatch', `has ${s.image.length} values, expected ${pixels}`, method);
      if (s.promptTokens.length < 1 || s.promptTokens.length > this.model.maxPromptTokens) {
        return fail(`sequences[${b}].promptTokens`, 'out-of-range', `has ${s.promptTokens.length} tokens, expected 1 to ${this.model.maxPromptTokens}`, method);
      }
      const placed = this.checkImageToken(method, `sequences[${b}].promptTokens`, s.promptTokens);
      if (E.isLeft(placed)) return placed;
      const length = s.responseTokens.length;
      if (length < 1 || length > width) return fail(`sequences[${b}].responseTokens`, 'out-of-range', `has ${length} tokens, expected 1 to responseWidth ${width}`, method);
      mask.fill(1, b * width, b * width + length);
    }
    return E.right(matrix(sequences.length, width, mask));
  }

  private async forwardNow(request: ForwardRequest, method: string): Promise<E.Either<StageError, ForwardResult>> {
    const { sequences, responseWidth: width } = request;
    if (request.entropy === true) return fail('entropy', 'invalid', 'is true; this engine returns no entropies (capability entropy is false)', method);
    if (request.view !== undefined && request.view.kind !== 'full') return fail('view', 'invalid', 'is a masked view; this engine has none (capability maskedImages is false)', method);
    const which = request.model ?? 'policy';
    if (which === 'reference' && this.referenceId === undefined) return fail('model', 'invalid', 'is "reference", but this engine keeps no reference (it was created with reference: false)', method);
    const checked = this.checkSequences(method, sequences, width);
    if (E.isLeft(checked)) return checked;
    const modelId = which === 'reference' ? this.referenceId! : this.policyId;
    const data = sequences.map((s) => sequenceDatum(this.geometry, s, new Float64Array(s.responseTokens.length).fill(1)));
    const reply = await this.client.submit('forward', { forward_input: { data, loss_fn: 'cross_entropy' }, model_id: modelId, seq_id: this.seq(modelId) } satisfies W.ForwardRequest, W.ForwardBackwardOutput);
    if (E.isLeft(reply)) return E.left(fromTinker(method, reply.left));
    return this.readLogprobs(method, sequences, width, reply.right);
  }

  private readLogprobs(method: string, sequences: readonly SequenceInput[], width: number, output: W.ForwardBackwardOutput): E.Either<StageError, ForwardResult> {
    if (output.loss_fn_outputs.length !== sequences.length) return fail('loss_fn_outputs', 'length-mismatch', `has ${output.loss_fn_outputs.length} entries, expected ${sequences.length}`, method);
    const logp = new Float64Array(sequences.length * width);
    const mask = new Float64Array(sequences.length * width);
    for (let b = 0; b < sequences.length; b++) {
      const s = sequences[b]!;
      const lp = output.loss_fn_outputs[b]!['logprobs'];
      const offset = responseOffset(this.geometry, s.promptTokens.length);
      const expected = offset + s.responseTokens.length;
      if (lp === undefined || lp.data.length !== expected) return fail(`loss_fn_outputs[${b}].logprobs`, 'length-mismatch', `has ${lp?.data.length ?? 'no'} values, expected ${expected}`, method);
      for (let j = 0; j < s.responseTokens.length; j++) {
        logp[b * width + j] = lp.data[offset + j]!;
        mask[b * width + j] = 1;
      }
    }
    return E.right({ logp: matrix(sequences.length, width, logp), entropy: null, mask: matrix(sequences.length, width, mask) });
  }

  private queued<A>(work: () => Promise<A>): Promise<A> {
    const run = this.tail.then(work);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private exclusive<A>(method: string, work: () => Promise<E.Either<StageError, A>>): EngineResult<A> {
    return this.queued(() => (this.disposed ? Promise.resolve(fail<A>('engine', 'invalid', 'is used after dispose()', method)) : work()));
  }
}

/** The engine registered as `tinker`. */
export const createTinkerEngine: EngineFactory = async (options) => E.map((engine: TinkerEngine): Engine => engine)(await TinkerEngine.create(options));
