/**
 * The engine contract: the one interface every engine implements, in process or remote
 * (docs/architecture.md, "Engines: the gradient-by-log-prob contract").
 *
 *   sample            prompts × G, sampling parameters, seed → tokens and per-token log-probs
 *   forward           sequences → per-token log-probs (entropies, a masked-image view, the
 *                     frozen reference when asked)
 *   forwardBackward   sequences and per-token weights w (and u) → accumulate
 *                     ∇θ [ Σ_{b,t} w[b,t]·logp[b,t] + Σ_{b,t} u[b,t]·H[b,t] ]
 *   forwardBackwardBuiltin (optional) one forward-backward of a built-in token-sum loss
 *                     (builtin-loss.ts: importance_sampling, ppo, cispo) → accumulate its ∇θ and
 *                     return the log-probs it was taken at; engines that lack it leave it out
 *   optimStep         apply the accumulated gradient with AdamW (global-norm clip), then clear it
 *   save / load       weights, optimizer state and reference, atomically, with content hashes
 *   capabilities      what the engine can do, checked before a run starts
 *
 * The gradient-by-log-prob contract: the objective (libs/engine/src/objective) is computed in
 * float64 from the engine's log-probs and returns ∂loss/∂logp per token. Backpropagating
 * Σ w·logp with w = ∂loss/∂logp (at the same parameters) gives exactly ∇θ loss, by the chain
 * rule, since the loss depends on θ only through logp (and H, with u = ∂loss/∂H). The sum is
 * additive over rows, so an engine may split a request into micro-batches of any size without
 * changing the result.
 *
 * Every method is asynchronous: a remote engine answers over HTTP, and TensorFlow.js on WebGPU
 * under Node can only read results back asynchronously. Failures are values
 * (`Either<StageError, A>`), never exceptions and never NaN: a request whose shapes disagree
 * names the field and the index; a non-finite gradient is refused by `optimStep` with nothing
 * applied.
 */
import type * as E from 'fp-ts/lib/Either.js';
import type { Matrix, StageError } from '@rlflow/core';

/** What every engine method resolves to. */
export type EngineResult<A> = Promise<E.Either<StageError, A>>;

/** One prompt: an RGB image and its prompt tokens. */
export interface PromptInput {
  /** Row-major [imageSize][imageSize][3] RGB values in [0, 1] (the engine's `info.imageSize`). */
  readonly image: Float32Array;
  readonly promptTokens: readonly number[];
}

/** A prompt with a response to score or train on. */
export interface SequenceInput extends PromptInput {
  readonly responseTokens: readonly number[];
}

export interface SamplingParams {
  /** τ ≥ 0; 0 means greedy. */
  readonly temperature: number;
  /** In (0, 1]; 1 keeps every token. */
  readonly topP: number;
  /** Keep the k most likely tokens; 0 keeps every token. */
  readonly topK: number;
  readonly maxNewTokens: number;
  /** Stop a row at its first end-of-sequence token (default true). */
  readonly stopAtEos?: boolean;
}

export interface SampleRequest {
  readonly prompts: readonly PromptInput[];
  /** Responses per prompt (G). Rows come back prompt-major: row p·G + g is sample g of prompt p. */
  readonly samplesPerPrompt: number;
  readonly sampling: SamplingParams;
  /** The same seed on the same engine gives the same samples, bit for bit. */
  readonly seed: number;
}

export interface Samples {
  /** Response tokens of each row, up to and including its end-of-sequence token when it emitted one. */
  readonly tokens: readonly (readonly number[])[];
  readonly lengths: readonly number[];
  /** True for a row that emitted end-of-sequence. */
  readonly finished: readonly boolean[];
  /** log π(token) under the policy at temperature 1, [rows, maxNewTokens]; 0 where mask is 0. */
  readonly logprobs: Matrix;
  /** log q(token) under the distribution actually sampled from (temperature, top-k, top-p). */
  readonly samplerLogprobs: Matrix;
  /** 1 for a generated response token, [rows, maxNewTokens]. */
  readonly mask: Matrix;
}

/** Which image the sequences are scored with: the real one, or one with patches blackened (PAPO). */
export type ImageView =
  | { readonly kind: 'full' }
  | {
      readonly kind: 'masked';
      /** Each image patch is blackened independently with this probability. */
      readonly probability: number;
      /** Seed of the patch draw; the same seed blackens the same patches. */
      readonly seed: number;
    };

export const FULL_VIEW: ImageView = { kind: 'full' };

export interface ForwardRequest {
  readonly sequences: readonly SequenceInput[];
  /** Width T of the returned matrices (≥ the longest response). */
  readonly responseWidth: number;
  /** Also return per-token entropies of the next-token distribution (capability `entropy`). */
  readonly entropy?: boolean;
  /** Default: the full image. A masked view needs capability `maskedImages`. */
  readonly view?: ImageView;
  /** Score under the frozen reference instead of the policy (capability `reference`). */
  readonly model?: 'policy' | 'reference';
}

export interface ForwardResult {
  /** Per-token log-probs of the response tokens, [B, T]; 0 where mask is 0. */
  readonly logp: Matrix;
  /** Per-token entropies, [B, T], when asked for; 0 where mask is 0. */
  readonly entropy: Matrix | null;
  /** 1 for a real response token, [B, T]. */
  readonly mask: Matrix;
}

/** One weighted term of a backward pass: ∇θ Σ w·logp (+ Σ u·H) under one image view. */
export interface WeightedTerm {
  readonly view: ImageView;
  /** w[b, t] = ∂loss/∂logp[b, t], [B, T]; weights outside the mask are ignored. */
  readonly logpWeights: Matrix;
  /** u[b, t] = ∂loss/∂H[b, t], [B, T] (capability `entropyWeights`). */
  readonly entropyWeights?: Matrix;
}

export interface ForwardBackwardRequest {
  readonly sequences: readonly SequenceInput[];
  readonly responseWidth: number;
  /** Usually one full-view term; PAPO adds a masked-view term. */
  readonly terms: readonly WeightedTerm[];
}

export interface ForwardBackwardResult {
  /** Σ over terms of Σ w·logp + Σ u·H at the parameters the gradient was taken at. */
  readonly surrogate: number;
  /** The log-probs (and entropies when weighted) each term's forward pass computed, in term order. */
  readonly terms: readonly ForwardResult[];
  /** Token positions the engine computed (rows × padded sequence length, summed over passes). */
  readonly tokens: number;
}

/** AdamW with decoupled weight decay, after scaling the gradient to a global norm of at most `maxGradNorm`. */
export interface AdamWParams {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Clip the global gradient norm to this value; 0 turns clipping off. */
  readonly maxGradNorm: number;
}

export interface OptimStepResult {
  /** Optimizer steps taken, this one included. */
  readonly steps: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Factor the gradient was scaled by (1 when within the bound). */
  readonly clipScale: number;
}

/** What `save` wrote: every file of the engine's state with its sha256. */
export interface SaveReceipt {
  readonly steps: number;
  readonly files: Readonly<Record<string, string>>;
}

export interface EngineCapabilities {
  /** `forward` can return entropies. */
  readonly entropy: boolean;
  /** `forwardBackward` accepts entropy weights. */
  readonly entropyWeights: boolean;
  /** The masked-image view (PAPO). */
  readonly maskedImages: boolean;
  /** A frozen copy of the initial policy exists (the engine was created with `reference: true`). */
  readonly reference: boolean;
  /** Padded tokens per internal micro-batch; null when the engine has no such limit. */
  readonly tokenBudget: number | null;
  /** The built-in losses `forwardBackwardBuiltin` computes; absent or empty: none (the gradient-by-log-prob path only). */
  readonly builtinLosses?: readonly BuiltinLossName[];
}

/** Token-sum losses a training server computes itself (the Tinker API's; formulas in update/builtin-loss.ts). */
export const BUILTIN_LOSS_NAMES = ['importance_sampling', 'ppo', 'cispo'] as const;
export type BuiltinLossName = (typeof BUILTIN_LOSS_NAMES)[number];

/** The ratio thresholds of ppo and cispo: the ratio is clamped to [clipLow, clipHigh] (absolute, not ε). */
export interface BuiltinLossThresholds {
  readonly clipLow: number;
  readonly clipHigh: number;
}

export interface BuiltinLossRequest {
  readonly sequences: readonly SequenceInput[];
  readonly responseWidth: number;
  readonly loss: BuiltinLossName;
  /** ppo and cispo: the thresholds; importance_sampling: null. */
  readonly thresholds: BuiltinLossThresholds | null;
  /** Per-token advantages [B, T] as the loss sums them (0 outside the mask). */
  readonly advantages: Matrix;
  /** The behaviour log-probs the ratio divides by, [B, T]. */
  readonly samplingLogp: Matrix;
}

export interface BuiltinLossResult {
  /** The loss as the engine reports it (a token sum); null when it reports none. */
  readonly loss: number | null;
  /** The log-probs the gradient was taken at. */
  readonly forward: ForwardResult;
  /** Token positions the engine computed. */
  readonly tokens: number;
}

export interface EngineInfo {
  /** The engine's registered name (`tfjs`, …). */
  readonly engine: string;
  /** The model, as the engine names it. */
  readonly model: string;
  /** Where it computes (a TensorFlow.js backend, a server URL). */
  readonly device: string;
  readonly imageSize: number;
  readonly maxPromptTokens: number;
  readonly maxResponseTokens: number;
  readonly parameterCount: number;
}

export interface Engine {
  readonly info: EngineInfo;
  readonly capabilities: EngineCapabilities;
  sample(request: SampleRequest): EngineResult<Samples>;
  forward(request: ForwardRequest): EngineResult<ForwardResult>;
  forwardBackward(request: ForwardBackwardRequest): EngineResult<ForwardBackwardResult>;
  /** Accumulates ∇θ of a built-in loss (capability `builtinLosses`); optional. */
  forwardBackwardBuiltin?(request: BuiltinLossRequest): EngineResult<BuiltinLossResult>;
  /** Applies and clears the accumulated gradient; a non-finite gradient is cleared and refused. */
  optimStep(params: AdamWParams): EngineResult<OptimStepResult>;
  /** Optimizer steps taken so far. */
  steps(): number;
  /** Writes weights, optimizer state and reference under `dir` (created; replaced whole if it exists). */
  save(dir: string): EngineResult<SaveReceipt>;
  /** Restores what `save` wrote; refused (naming the file or field) when a hash or the model does not match. */
  load(dir: string): EngineResult<SaveReceipt>;
  /** Writes the policy's weights alone (a checkpoint `init: { kind: 'weights' }` can start from), hashed. */
  savePolicy(dir: string): EngineResult<SaveReceipt>;
  /** Live resources the engine holds (tensors for TensorFlow.js); flat across calls. */
  liveResources(): number;
  dispose(): Promise<void>;
}

/** Where an engine's initial policy comes from. */
export type EngineInit =
  | { readonly kind: 'seed'; readonly seed: number }
  /** A directory written by `savePolicy` (or by `save`: its policy is used); its hashes are checked. */
  | { readonly kind: 'weights'; readonly dir: string };

export interface EngineOptions {
  readonly init: EngineInit;
  /**
   * The engine's own model configuration, decoded by the engine (io-ts) at this boundary. Required
   * with `init: seed`; with `init: weights` the stored model is used, and a model given as well must match it.
   */
  readonly model: unknown;
  /** Keep a frozen copy of the initial policy (KL terms). */
  readonly reference: boolean;
  /** Padded tokens per micro-batch; 0 puts every request in one pass. */
  readonly tokenBudget: number;
  /** Engine-specific placement (a TensorFlow.js backend name, …); the engine decodes it. */
  readonly device?: string;
}

/** Creates an engine; registered by name in the trainer's engine registry. */
export type EngineFactory = (options: EngineOptions) => EngineResult<Engine>;
