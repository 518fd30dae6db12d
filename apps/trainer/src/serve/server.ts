/**
 * `rlflow serve`: a Tinker-compatible training server (JSON, routes under /api/v1) over an
 * engine of the registry (the TensorFlow.js engine and the built-in model by default).
 *
 *   direct      client/config, get_server_capabilities (GET), healthz (GET), create_session,
 *               session_heartbeat, get_info, create_sampling_session
 *   futures     create_model, forward, forward_backward, optim_step, save_weights,
 *               save_weights_for_sampler, load_weights, asample → {request_id}
 *   retrieve    retrieve_future long-polls up to `longPollMs`, then answers try_again; an unknown
 *               request id is 410 (the client resubmits the original request)
 *
 * Training calls of a model run in `seq_id` order (a call whose predecessor has not arrived waits
 * up to `gapWaitMs`), one at a time across the server; a repeated (model_id, seq_id) — or
 * (sampling session, seq_id) — is the same request and is never applied twice. Requests are
 * decoded with io-ts (a 400 names the field); a queue over `maxQueued` answers 429 with
 * Retry-After. Failed requests resolve to {error, category}; a refused non-finite gradient keeps
 * its kind as the prefix "not-finite:". Metrics are `name:reduction`; nothing non-finite is sent.
 * Saved weights (with the optimizer state) live under `stateDir` and outlive a restart.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { matrix, StageError } from '@rlflow/core';
import { builtinTokenLoss, FULL_VIEW, type Engine, type EngineFactory, type EngineInit, type SequenceInput } from '@rlflow/engine';
import { datumSequence, FLOAT32_RGBA, modelInputPrompt, responseOffset, wire as W, type ImageGeometry } from '@rlflow/tinker';
import { decodeLossSpec, type LossSpec } from './losses.js';

export interface ServeOptions {
  readonly factory: EngineFactory;
  /** The base model's initial policy (the same as `rlflow train` starts from). */
  readonly init: EngineInit;
  /** The engine's model option with `init` (the built-in model's config for a seed init). */
  readonly model: unknown;
  readonly baseModel: string;
  readonly tokenBudget: number;
  readonly device?: string;
  readonly stateDir: string;
  readonly eosTokenId: number;
  /** Model positions one image takes. */
  readonly imageTokens: number;
  readonly longPollMs?: number;
  readonly gapWaitMs?: number;
  readonly maxQueued?: number;
  readonly log?: (line: string) => void;
  /** Called after each request is applied, with the counts so far (a test kills the server at an exact point). */
  readonly onApplied?: (stats: ServeStats) => void;
}

/** What the server applied, by route, and the repeats it recognised (GET /api/v1/rlflow/stats). */
export interface ServeStats {
  readonly applied: Record<string, number>;
  readonly duplicates: number;
  /** (model or sampling session, seq_id) pairs applied more than once: always 0. */
  readonly reapplied: number;
  /** The last requests applied, oldest first, as `route#seq_id`. */
  readonly order: readonly string[];
  /** forward and forward_backward requests applied, by `route:loss_fn` (e.g. `forward_backward:ppo`). */
  readonly losses: Record<string, number>;
}

type Outcome = { readonly ok: true; readonly body: unknown } | { readonly ok: false; readonly error: string; readonly category: 'user' | 'server' };

interface Future {
  outcome: Outcome | undefined;
  readonly waiters: Set<() => void>;
}

interface Job {
  readonly seq: number;
  readonly requestId: string;
  readonly route: string;
  readonly run: () => Promise<Outcome>;
  readonly queuedAt: number;
}

interface ModelState {
  readonly engine: Engine;
  readonly baseModel: string;
  readonly loraRank: number | null;
  lastSeq: number;
  readonly queue: Job[];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const ok = (body: unknown): Outcome => ({ ok: true, body });
const failed = (error: StageError | Error | string, category: 'user' | 'server' = 'user'): Outcome => ({
  ok: false,
  error: error instanceof StageError ? `${error.kind}: ${error.message}` : error instanceof Error ? error.message : error,
  category,
});

/** The loss a request asks for; a bad one is a 400 naming the field. */
const lossSpec = (input: W.ForwardBackwardInput, route: 'forward_input' | 'forward_backward_input'): LossSpec => {
  const spec = decodeLossSpec(input, route);
  if (E.isLeft(spec)) throw new HttpError(400, spec.left);
  return spec.right;
};

const decode = <A>(codec: t.Decoder<unknown, A>, body: unknown): A => {
  const decoded = codec.decode(body);
  if (E.isLeft(decoded)) throw new HttpError(400, W.wireErrors(decoded.left).join('; '));
  return decoded.right;
};

/** JSON with every non-finite number refused (the SDK's parser rejects NaN and Infinity). */
const finiteJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`refusing to send a non-finite number (${v})`);
    return v;
  });

const TINKER_PREFIX = 'tinker://rlflow/';

export class TinkerServer {
  private readonly sessions = new Map<string, { lastSeen: number; models: number; samplers: number }>();
  private readonly models = new Map<string, ModelState>();
  private readonly samplers = new Map<string, { readonly engine: Engine; readonly seen: Map<number, string> }>();
  private readonly futures = new Map<string, Future>();
  /** `${owner}:${seq}` → request id: the de-duplication of retried requests. */
  private readonly dedup = new Map<string, string>();
  private readonly appliedKeys = new Set<string>();
  private readonly stats = { applied: {} as Record<string, number>, duplicates: 0, reapplied: 0, order: [] as string[], losses: {} as Record<string, number> };
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private readonly longPollMs: number;
  private readonly gapWaitMs: number;
  private readonly maxQueued: number;
  private readonly log: (line: string) => void;
  private server: Server | undefined;
  private gapTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ServeOptions) {
    this.longPollMs = options.longPollMs ?? 25_000;
    this.gapWaitMs = options.gapWaitMs ?? 2_000;
    this.maxQueued = options.maxQueued ?? 256;
    this.log = options.log ?? (() => undefined);
  }

  /** Starts listening; resolves with the bound port. */
  async listen(port: number, host: string): Promise<number> {
    await mkdir(join(this.options.stateDir, 'weights'), { recursive: true });
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : port;
  }

  async close(): Promise<void> {
    if (this.gapTimer !== undefined) clearTimeout(this.gapTimer);
    const server = this.server;
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.chain;
    for (const m of this.models.values()) await m.engine.dispose();
    for (const s of this.samplers.values()) await s.engine.dispose();
  }

  snapshot(): ServeStats {
    return { applied: { ...this.stats.applied }, duplicates: this.stats.duplicates, reapplied: this.stats.reapplied, order: [...this.stats.order], losses: { ...this.stats.losses } };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const route = url.pathname.replace(/^\/api\/v1\//, '');
      if (!url.pathname.startsWith('/api/v1/')) throw new HttpError(404, `no route ${url.pathname}`);
      const body = req.method === 'POST' ? await this.readBody(req) : undefined;
      const reply = await this.route(req.method ?? 'GET', route, body);
      this.send(res, 200, reply);
    } catch (error) {
      if (error instanceof HttpError) this.send(res, error.status, { detail: error.message }, error.headers);
      else this.send(res, 500, { detail: error instanceof Error ? error.message : String(error) });
    }
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    let text: string;
    try {
      text = finiteJson(body);
    } catch (error) {
      status = 500;
      text = JSON.stringify({ detail: error instanceof Error ? error.message : String(error) });
    }
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(text);
  }

  private readBody(req: IncomingMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      req.on('data', (chunk: Buffer) => parts.push(chunk));
      req.on('error', reject);
      req.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        if (req.headers['content-type']?.includes('protobuf') === true) {
          reject(new HttpError(415, 'protobuf bodies are not served: use a JSON client (client/config says proto_write_fwdbwd: false)'));
          return;
        }
        try {
          resolve(text === '' ? {} : (JSON.parse(text) as unknown));
        } catch {
          reject(new HttpError(400, '(root): the body is not JSON'));
        }
      });
    });
  }

  private geometryOf(engine: Engine): ImageGeometry {
    return { imageSize: engine.info.imageSize, imageTokens: this.options.imageTokens, imageEncoding: FLOAT32_RGBA };
  }

  private async route(method: string, route: string, body: unknown): Promise<unknown> {
    switch (`${method} ${route}`) {
      case 'GET healthz':
        return { status: 'ok' };
      case 'GET get_server_capabilities':
        return { supported_models: [{ model_name: this.options.baseModel, max_context_length: null }] } satisfies W.GetServerCapabilitiesResponse;
      case 'GET rlflow/stats':
        return this.snapshot();
      case 'POST client/config':
        decode(W.ClientConfigRequest, body);
        return { pjwt_auth_enabled: false, credential_default_source: 'api_key', parallel_fwdbwd_chunks: true, proto_write_fwdbwd: false, proto_compress_fwdbwd: false, create_model_via_load_weights: false } satisfies W.ClientConfigResponse;
      case 'POST telemetry':
        return { status: 'accepted' };
      case 'POST create_session': {
        decode(W.CreateSessionRequest, body);
        const id = `session-${randomBytes(8).toString('hex')}`;
        this.sessions.set(id, { lastSeen: Date.now(), models: 0, samplers: 0 });
        return { type: 'create_session', session_id: id } satisfies W.CreateSessionResponse;
      }
      case 'POST session_heartbeat': {
        const request = decode(W.SessionHeartbeatRequest, body);
        const session = this.sessions.get(request.session_id);
        if (session === undefined) throw new HttpError(404, `session_id: no session ${request.session_id}`);
        session.lastSeen = Date.now();
        this.stats.applied['session_heartbeat'] = (this.stats.applied['session_heartbeat'] ?? 0) + 1;
        return { type: 'session_heartbeat' };
      }
      case 'POST get_info': {
        const request = decode(W.GetInfoRequest, body);
        const model = this.models.get(request.model_id);
        if (model === undefined) throw new HttpError(404, `model_id: no model ${request.model_id}`);
        const info = model.engine.info;
        return {
          type: 'get_info',
          model_id: request.model_id,
          model_name: model.baseModel,
          is_lora: false,
          lora_rank: null,
          model_data: {
            arch: info.model,
            model_name: model.baseModel,
            tokenizer_id: 'rlflow-builtin',
            rlflow: {
              image_size: info.imageSize,
              image_tokens: this.options.imageTokens,
              image_encoding: FLOAT32_RGBA,
              max_prompt_tokens: info.maxPromptTokens,
              max_response_tokens: info.maxResponseTokens,
              parameter_count: info.parameterCount,
              eos_token_id: this.options.eosTokenId,
              lora_requested: model.loraRank,
            },
          },
        };
      }
      case 'POST create_sampling_session': {
        const request = decode(W.CreateSamplingSessionRequest, body);
        const dedupKey = `${request.session_id}:sampler:${request.sampling_session_seq_id}`;
        const existing = this.dedup.get(dedupKey);
        if (existing !== undefined) {
          this.stats.duplicates++;
          return { type: 'create_sampling_session', sampling_session_id: existing };
        }
        const id = await this.createSampler(request.model_path ?? null, request.base_model ?? null);
        this.dedup.set(dedupKey, id);
        return { type: 'create_sampling_session', sampling_session_id: id } satisfies W.CreateSamplingSessionResponse;
      }
      case 'POST retrieve_future': {
        const request = decode(W.FutureRetrieveRequest, body);
        return this.retrieve(request.request_id);
      }
      case 'POST create_model':
        return this.createModel(decode(W.CreateModelRequest, body));
      case 'POST forward': {
        const request = decode(W.ForwardRequest, body);
        const spec = lossSpec(request.forward_input, 'forward_input');
        return this.enqueue(request.model_id, request.seq_id ?? null, 'forward', (m) => this.forward(m, request.forward_input, spec, false));
      }
      case 'POST forward_backward': {
        const request = decode(W.ForwardBackwardRequest, body);
        const spec = lossSpec(request.forward_backward_input, 'forward_backward_input');
        return this.enqueue(request.model_id, request.seq_id ?? null, 'forward_backward', (m) => this.forward(m, request.forward_backward_input, spec, true));
      }
      case 'POST optim_step': {
        const request = decode(W.OptimStepRequest, body);
        return this.enqueue(request.model_id, request.seq_id ?? null, 'optim_step', (m) => this.optimStep(m, request.adam_params));
      }
      case 'POST save_weights': {
        const request = decode(W.SaveWeightsRequest, body);
        return this.enqueue(request.model_id, request.seq_id ?? null, 'save_weights', (m) => this.saveWeights(m, request.path ?? null, 'state'));
      }
      case 'POST save_weights_for_sampler': {
        const request = decode(W.SaveWeightsForSamplerRequest, body);
        return this.enqueue(request.model_id, request.seq_id ?? null, 'save_weights_for_sampler', (m) => this.saveWeights(m, request.path ?? null, 'sampler'));
      }
      case 'POST load_weights': {
        const request = decode(W.LoadWeightsRequest, body);
        if (request.model_id === undefined || request.model_id === null) throw new HttpError(400, 'model_id: expected a model id (create-via-load is not served: client/config says create_model_via_load_weights: false)');
        return this.enqueue(request.model_id, request.seq_id ?? null, 'load_weights', (m) => this.loadWeights(m, request.path, request.optimizer));
      }
      case 'POST asample':
        return this.sample(decode(W.SampleRequest, body));
      default:
        throw new HttpError(404, `no route ${method} /api/v1/${route}`);
    }
  }

  // ---- futures ----------------------------------------------------------------------------------

  private newFuture(): string {
    if (this.futures.size > 4 * this.maxQueued + 4096) {
      for (const [id, f] of this.futures) {
        if (this.futures.size <= 4096) break;
        if (f.outcome !== undefined) this.futures.delete(id);
      }
    }
    const id = `req-${randomBytes(10).toString('hex')}`;
    this.futures.set(id, { outcome: undefined, waiters: new Set() });
    return id;
  }

  private resolveFuture(id: string, outcome: Outcome): void {
    const future = this.futures.get(id);
    if (future === undefined) return;
    future.outcome = outcome;
    for (const wake of future.waiters) wake();
    future.waiters.clear();
  }

  private async retrieve(id: string): Promise<unknown> {
    const future = this.futures.get(id);
    if (future === undefined) throw new HttpError(410, `request_id: ${id} is unknown here (the server restarted or dropped it): resubmit the request`);
    if (future.outcome === undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          future.waiters.delete(wake);
          resolve();
        }, this.longPollMs);
        const wake = (): void => {
          clearTimeout(timer);
          resolve();
        };
        future.waiters.add(wake);
      });
    }
    const outcome = future.outcome;
    if (outcome === undefined) return { type: 'try_again', request_id: id, queue_state: 'active' } satisfies W.TryAgainResponse;
    return outcome.ok ? outcome.body : ({ error: outcome.error, category: outcome.category } satisfies W.RequestFailedResponse);
  }

  /** Runs `work` after everything before it (one request at a time across the server). */
  private serial(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error: unknown) => this.log(`serve: ${error instanceof Error ? error.message : String(error)}`));
  }

  private count(route: string, key: string): void {
    this.stats.applied[route] = (this.stats.applied[route] ?? 0) + 1;
    if (this.appliedKeys.has(key)) this.stats.reapplied++;
    this.appliedKeys.add(key);
    this.stats.order.push(`${route}#${key.slice(key.lastIndexOf(':') + 1)}`);
    if (this.stats.order.length > 1000) this.stats.order.shift();
    this.options.onApplied?.(this.snapshot());
  }

  // ---- models -----------------------------------------------------------------------------------

  private async createModel(request: W.CreateModelRequest): Promise<W.UntypedAPIFuture> {
    const key = `${request.session_id}:model:${request.model_seq_id}`;
    const existing = this.dedup.get(key);
    if (existing !== undefined) {
      this.stats.duplicates++;
      return { request_id: existing };
    }
    if (request.base_model !== this.options.baseModel) throw new HttpError(400, `base_model: is ${JSON.stringify(request.base_model)}; this server serves ${JSON.stringify(this.options.baseModel)}`);
    const id = this.newFuture();
    this.dedup.set(key, id);
    this.serial(async () => {
      const created = await this.createEngine(this.options.init, this.options.model);
      if (E.isLeft(created)) {
        this.resolveFuture(id, failed(created.left, 'server'));
        return;
      }
      this.count('create_model', key);
      const modelId = `model-${randomBytes(8).toString('hex')}`;
      this.models.set(modelId, { engine: created.right, baseModel: request.base_model, loraRank: request.lora_config?.rank ?? null, lastSeq: 0, queue: [] });
      this.resolveFuture(id, ok({ type: 'create_model', model_id: modelId } satisfies W.CreateModelResponse));
    });
    return { request_id: id };
  }

  private async createEngine(init: EngineInit, model: unknown): Promise<E.Either<StageError, Engine>> {
    return this.options.factory({ init, model, reference: false, tokenBudget: this.options.tokenBudget, ...(this.options.device === undefined ? {} : { device: this.options.device }) });
  }

  private enqueue(modelId: string, seq: number | null, route: string, run: (model: ModelState) => Promise<Outcome>): W.UntypedAPIFuture {
    const model = this.models.get(modelId);
    if (model === undefined) {
      const id = this.newFuture();
      this.resolveFuture(id, failed(`model_id: no model ${modelId} on this server (it restarted?): create the model again and load its saved weights`));
      return { request_id: id };
    }
    if (seq !== null) {
      const key = `${modelId}:${seq}`;
      const existing = this.dedup.get(key);
      if (existing !== undefined) {
        this.stats.duplicates++;
        return { request_id: existing };
      }
    }
    if (model.queue.length >= this.maxQueued) throw new HttpError(429, `model ${modelId} has ${model.queue.length} requests queued`, { 'retry-after': '1' });
    const id = this.newFuture();
    const effectiveSeq = seq ?? Math.max(model.lastSeq, ...model.queue.map((j) => j.seq)) + 1;
    this.dedup.set(`${modelId}:${effectiveSeq}`, id);
    model.queue.push({ seq: effectiveSeq, requestId: id, route, queuedAt: Date.now(), run: () => run(model) });
    model.queue.sort((a, b) => a.seq - b.seq);
    this.schedule();
    return { request_id: id };
  }

  /** Queues, in seq order, every job whose predecessor has run (or that has waited `gapWaitMs` for it). */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.serial(async () => {
      this.scheduled = false;
      for (;;) {
        let next: { model: ModelState; modelId: string; job: Job } | undefined;
        let waitFor = Infinity;
        for (const [modelId, model] of this.models) {
          const job = model.queue[0];
          if (job === undefined) continue;
          if (job.seq <= model.lastSeq + 1 || Date.now() - job.queuedAt >= this.gapWaitMs) {
            next = { model, modelId, job };
            break;
          }
          waitFor = Math.min(waitFor, this.gapWaitMs - (Date.now() - job.queuedAt));
        }
        if (next === undefined) {
          if (Number.isFinite(waitFor)) {
            if (this.gapTimer !== undefined) clearTimeout(this.gapTimer);
            this.gapTimer = setTimeout(() => this.schedule(), Math.max(1, waitFor));
          }
          return;
        }
        const { model, modelId, job } = next;
        model.queue.shift();
        model.lastSeq = Math.max(model.lastSeq, job.seq);
        let outcome: Outcome;
        try {
          outcome = await job.run();
        } catch (error) {
          outcome = failed(error instanceof Error ? error : String(error), 'server');
        }
        if (outcome.ok) this.count(job.route, `${modelId}:${job.seq}`);
        this.resolveFuture(job.requestId, outcome);
      }
    });
  }

  private async forward(model: ModelState, input: W.ForwardBackwardInput, spec: LossSpec, backward: boolean): Promise<Outcome> {
    const stage = backward ? 'forward_backward' : 'forward';
    const geometry = this.geometryOf(model.engine);
    const sequences: SequenceInput[] = [];
    const weights: (readonly number[])[] = [];
    for (let i = 0; i < input.data.length; i++) {
      const datum = input.data[i]!;
      // An RL datum has no weights: its advantages mark where the response starts (with one text chunk).
      const advantages = datum.loss_fn_inputs['advantages'];
      const marked = spec.loss === 'cross_entropy' || datum.loss_fn_inputs['weights'] !== undefined || advantages === undefined ? datum : { ...datum, loss_fn_inputs: { ...datum.loss_fn_inputs, weights: advantages } };
      const read = datumSequence(stage, `data[${i}]`, geometry, marked);
      if (E.isLeft(read)) return failed(read.left);
      sequences.push(read.right.sequence);
      weights.push(read.right.weights);
    }
    if (sequences.length === 0) return failed('data: is empty');
    const width = Math.min(model.engine.info.maxResponseTokens, Math.max(1, ...sequences.map((s) => s.responseTokens.length)));
    const offsets = sequences.map((s) => responseOffset(geometry, s.promptTokens.length));
    let logp: Float64Array;
    const metrics: Record<string, number> = {};
    // elementwise[b][j]: response token j's term of the loss.
    const elementwise = sequences.map((s) => new Float64Array(s.responseTokens.length));
    if (spec.loss === 'cross_entropy' && backward) {
      const w = new Float64Array(sequences.length * width);
      weights.forEach((row, b) => row.forEach((x, j) => (w[b * width + j] = x === 0 ? 0 : -x)));
      const result = await model.engine.forwardBackward({ sequences, responseWidth: width, terms: [{ view: FULL_VIEW, logpWeights: matrix(sequences.length, width, w) }] });
      if (E.isLeft(result)) return failed(result.left);
      logp = Float64Array.from(result.right.terms[0]!.logp.data);
      metrics['loss:sum'] = result.right.surrogate;
      metrics['rlflow_tokens:sum'] = result.right.tokens;
      weights.forEach((row, b) => row.forEach((x, j) => (elementwise[b]![j] = -x * logp[b * width + j]!)));
    } else {
      const result = await model.engine.forward({ sequences, responseWidth: width });
      if (E.isLeft(result)) return failed(result.left);
      logp = Float64Array.from(result.right.logp.data);
      const gradLogp = new Float64Array(sequences.length * width);
      let loss = 0;
      sequences.forEach((s, b) => {
        for (let j = 0; j < s.responseTokens.length; j++) {
          const at = b * width + j;
          const position = offsets[b]! + j;
          const term =
            spec.loss === 'cross_entropy'
              ? { loss: -weights[b]![j]! * logp[at]!, gradLogp: 0 }
              : builtinTokenLoss(spec.loss, spec.thresholds, logp[at]!, spec.samplingLogp[b]![position]!, spec.advantages[b]![position]!);
          elementwise[b]![j] = term.loss;
          gradLogp[at] = term.gradLogp;
          loss += term.loss;
        }
      });
      metrics['loss:sum'] = loss;
      if (backward) {
        // ∂L/∂logp of the built-in loss at these log-probs: the engine's Σ w·logp has L's gradient.
        const trained = await model.engine.forwardBackward({ sequences, responseWidth: width, terms: [{ view: FULL_VIEW, logpWeights: matrix(sequences.length, width, gradLogp) }] });
        if (E.isLeft(trained)) return failed(trained.left);
        metrics['rlflow_tokens:sum'] = trained.right.tokens;
      }
    }
    const outputs = sequences.map((s, b) => {
      const offset = offsets[b]!;
      const values = new Float32Array(offset + s.responseTokens.length);
      const losses = new Float32Array(values.length);
      for (let j = 0; j < s.responseTokens.length; j++) {
        values[offset + j] = logp[b * width + j]!;
        losses[offset + j] = elementwise[b]![j]!;
      }
      return { logprobs: W.float32Tensor(values), elementwise_loss: W.float32Tensor(losses) };
    });
    const key = `${stage}:${spec.loss}`;
    this.stats.losses[key] = (this.stats.losses[key] ?? 0) + 1;
    return ok({ loss_fn_output_type: 'ArrayRecord', loss_fn_outputs: outputs, metrics } satisfies W.ForwardBackwardOutput);
  }

  private async optimStep(model: ModelState, adam: W.AdamParams): Promise<Outcome> {
    const p = { ...W.ADAM_DEFAULTS, ...adam };
    const result = await model.engine.optimStep({ learningRate: p.learning_rate, beta1: p.beta1, beta2: p.beta2, eps: p.eps, weightDecay: p.weight_decay, maxGradNorm: p.grad_clip_norm });
    if (E.isLeft(result)) return failed(result.left);
    return ok({ metrics: { 'grad_norm:mean': result.right.gradNorm, 'clip_scale:mean': result.right.clipScale, 'steps:max': result.right.steps } });
  }

  private weightsDir(name: string): E.Either<string, string> {
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(name)) return E.left(`path: ${JSON.stringify(name)} is not a plain name (letters, digits, ".", "_", "-")`);
    return E.right(join(this.options.stateDir, 'weights', name));
  }

  private async saveWeights(model: ModelState, path: string | null, kind: 'state' | 'sampler'): Promise<Outcome> {
    const name = path ?? `${kind}-${randomBytes(8).toString('hex')}`;
    const dir = this.weightsDir(`${kind}-${name}`);
    if (E.isLeft(dir)) return failed(dir.left);
    const saved = kind === 'state' ? await model.engine.save(dir.right) : await model.engine.savePolicy(dir.right);
    if (E.isLeft(saved)) return failed(saved.left);
    return ok({ type: kind === 'state' ? 'save_weights' : 'save_weights_for_sampler', path: `${TINKER_PREFIX}${kind}-${name}` });
  }

  private resolvePath(path: string): E.Either<string, string> {
    if (!path.startsWith(TINKER_PREFIX)) return E.left(`path: ${JSON.stringify(path)} is not a ${TINKER_PREFIX}… path of this server`);
    return this.weightsDir(path.slice(TINKER_PREFIX.length));
  }

  private async loadWeights(model: ModelState, path: string, optimizer: boolean): Promise<Outcome> {
    const dir = this.resolvePath(path);
    if (E.isLeft(dir)) return failed(dir.left);
    if (optimizer) {
      const loaded = await model.engine.load(dir.right);
      if (E.isLeft(loaded)) return failed(loaded.left);
    } else {
      // Weights alone: a fresh engine from them replaces the model's (its optimizer state starts anew).
      const fresh = await this.createEngine({ kind: 'weights', dir: dir.right }, undefined);
      if (E.isLeft(fresh)) return failed(fresh.left);
      const old = model.engine;
      (model as { engine: Engine }).engine = fresh.right;
      await old.dispose();
    }
    return ok({ type: 'load_weights', path });
  }

  // ---- sampling ---------------------------------------------------------------------------------

  private async createSampler(modelPath: string | null, baseModel: string | null): Promise<string> {
    let init: EngineInit = this.options.init;
    let model: unknown = this.options.model;
    if (modelPath !== null) {
      const dir = this.resolvePath(modelPath);
      if (E.isLeft(dir)) throw new HttpError(400, `model_path: ${dir.left}`);
      init = { kind: 'weights', dir: dir.right };
      model = undefined;
    } else if (baseModel !== this.options.baseModel) {
      throw new HttpError(400, `base_model: is ${JSON.stringify(baseModel)}; this server serves ${JSON.stringify(this.options.baseModel)}`);
    }
    const created = await new Promise<E.Either<StageError, Engine>>((resolve) => this.serial(async () => resolve(await this.createEngine(init, model))));
    if (E.isLeft(created)) throw new HttpError(400, `model_path: ${created.left.message}`);
    const id = `sampler-${randomBytes(8).toString('hex')}`;
    this.samplers.set(id, { engine: created.right, seen: new Map() });
    // Keep the newest few samplers: each holds a copy of the weights.
    while (this.samplers.size > 4) {
      const [oldest, entry] = this.samplers.entries().next().value as [string, { engine: Engine }];
      this.samplers.delete(oldest);
      this.serial(() => entry.engine.dispose());
    }
    return id;
  }

  private async sample(request: W.SampleRequest): Promise<W.UntypedAPIFuture> {
    let sampler: { readonly engine: Engine; readonly seen: Map<number, string> } | undefined;
    if (request.sampling_session_id !== undefined && request.sampling_session_id !== null) {
      sampler = this.samplers.get(request.sampling_session_id);
      if (sampler === undefined) throw new HttpError(404, `sampling_session_id: no sampling session ${request.sampling_session_id}`);
      if (request.seq_id !== undefined && request.seq_id !== null) {
        const existing = sampler.seen.get(request.seq_id);
        if (existing !== undefined) {
          this.stats.duplicates++;
          return { request_id: existing };
        }
      }
    } else {
      const id = await this.createSampler(request.model_path ?? null, request.base_model ?? null);
      sampler = this.samplers.get(id)!;
    }
    const id = this.newFuture();
    const seq = request.seq_id ?? null;
    if (seq !== null) sampler.seen.set(seq, id);
    const key = `${request.sampling_session_id ?? id}:sample:${seq ?? id}`;
    const engine = sampler.engine;
    this.serial(async () => {
      const outcome = await this.runSample(engine, request);
      if (outcome.ok) this.count('asample', key);
      this.resolveFuture(id, outcome);
    });
    return { request_id: id };
  }

  private async runSample(engine: Engine, request: W.SampleRequest): Promise<Outcome> {
    const prompt = modelInputPrompt('asample', 'prompt', this.geometryOf(engine), request.prompt);
    if (E.isLeft(prompt)) return failed(prompt.left);
    const params = request.sampling_params;
    const stop = params.stop;
    let stopAtEos = true;
    if (Array.isArray(stop)) {
      const ids = stop as readonly (number | string)[];
      if (ids.some((s) => s !== this.options.eosTokenId)) return failed(`sampling_params.stop: is ${JSON.stringify(stop)}; this model stops only at its end-of-sequence token ${this.options.eosTokenId}`);
      stopAtEos = ids.length > 0;
    } else if (stop !== undefined && stop !== null) {
      return failed(`sampling_params.stop: is ${JSON.stringify(stop)}; this model stops only at its end-of-sequence token ${this.options.eosTokenId}`);
    }
    const samples = request.num_samples ?? 1;
    if (samples < 1) return failed('num_samples: expected a positive integer');
    const maxTokens = params.max_tokens ?? engine.info.maxResponseTokens;
    const result = await engine.sample({
      prompts: [prompt.right],
      samplesPerPrompt: samples,
      sampling: { temperature: params.temperature ?? 1, topP: params.top_p ?? 1, topK: params.top_k === undefined || params.top_k < 0 ? 0 : params.top_k, maxNewTokens: maxTokens, stopAtEos },
      seed: params.seed ?? randomBytes(4).readUInt32LE(0),
    });
    if (E.isLeft(result)) return failed(result.left);
    const { tokens, finished, samplerLogprobs } = result.right;
    const width = samplerLogprobs.cols;
    return ok({
      type: 'sample',
      sequences: tokens.map((row, g) => ({
        stop_reason: finished[g] === true ? 'stop' : 'length',
        tokens: row,
        logprobs: Array.from(samplerLogprobs.data.subarray(g * width, g * width + row.length)),
      })),
      ...(request.prompt_logprobs === true ? { prompt_logprobs: null } : {}),
    });
  }
}
