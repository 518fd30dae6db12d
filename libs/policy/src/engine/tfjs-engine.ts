/**
 * The TensorFlow.js engine: the built-in vision-language policy behind the engine contract
 * (libs/engine/src/contract.ts, the gradient-by-log-prob contract).
 *
 *   sample            each prompt repeated G times (row p·G + g), KV-cached decoding (generate.ts)
 *                     with each prompt prefilled once (shared-prefix-prefill.ts), logits read
 *                     back asynchronously
 *   forward           teacher-forced logp[b,t] and H[b,t] (model.ts), under the full or a
 *                     patch-masked image (PAPO), by the policy or the frozen reference; rows that
 *                     share image and prompt are packed, the prefix computed once
 *                     (shared-prefix-model.ts; forwardBackward too)
 *   forwardBackward   G ← G + ∇θ Σ_terms [ Σ_{b,t} m·w·logp + Σ_{b,t} m·u·H ]  (m the response mask)
 *   optimStep         global-norm clip and AdamW on G, then G ← 0 (engine/optimizer-state.ts)
 *
 * `options.device` is a backend choice (`auto`, the default, or a backend name; initialised
 * once per choice) or `active`: the backend the process already made active.
 *
 * Requests are cut into micro-batches of consecutive rows whose padded size
 * rows × (image tokens + prompt width + response width) stays within `tokenBudget`
 * (`microBatches`); since Σ w·logp is a sum over rows, the accumulated gradient does not depend
 * on the cut. Calls run one at a time in the order they were made; every public method leaves
 * `tf.memory().numTensors` as it found it (optimStep and load included; forwardBackward keeps G).
 * `save` refuses while a gradient is accumulated and not yet applied: a checkpoint holds none,
 * so what it restored would not continue like the engine it came from.
 *
 * `TfjsEngine.create(options, external)` builds the same engine with its teacher-forced passes
 * (forward, and forwardBackward's gradient per micro-batch) computed elsewhere — the onnx engine
 * (libs/onnx) — from the weights read back as arrays after every step; sampling, validation,
 * micro-batching, the optimizer and checkpoints stay these. Without `external` nothing changes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import * as tf from '@tensorflow/tfjs-core';
import { FLOAT32_MAX, matrix, sameShape, StageError, writeDirAtomic, type DecodeError, type Matrix } from '@rlflow/core';
import type {
  AdamWParams,
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
  ImageView,
  OptimStepResult,
  SampleRequest,
  Samples,
  SaveReceipt,
  SequenceInput,
  WeightedTerm,
} from '@rlflow/engine';
import { BACKEND_NAMES, initBackend, isBackendChoice, type BackendChoice, type BackendInfo } from '../backend.js';
import { POLICY_FILE, readPolicyWeights, sha256Hex, WEIGHTS_FILE, writePolicyWeights, type PolicyWeights } from '../checkpoint.js';
import { configDifferences, decodePolicyConfig, geometry, type PolicyConfig } from '../config.js';
import { generateWithAsync } from '../generate.js';
import { validateSequences } from '../inputs.js';
import type { ParamTensors } from '../model.js';
import { initialWeights, parameterCount } from '../params.js';
import { FrozenParams, patchFlags, Policy, teacherForcedRows, type PatchMasking } from '../policy.js';
import { fillStateCheckpoint, readStateCheckpoint, TRAINER_MANIFEST_FILE, TRAINER_POLICY_DIR } from '../trainer-checkpoint.js';
import { validateSampling } from '../sampling.js';
import { teacherForcedShared } from '../shared-prefix-model.js';
import { takeWebGpuErrors } from '../webgpu-device.js';
import { microBatches } from './micro-batches.js';
import { OptimizerState, readTensors } from './optimizer-state.js';

export const TFJS_ENGINE = 'tfjs';
const STAGE = 'engine.tfjs';

/**
 * What `save` stores beside the state, so a directory of another engine is refused by name. The
 * onnx engine (libs/onnx) trains this model and writes this format, so each loads the other's.
 */
const EngineExtra = t.type({ engine: t.keyof({ tfjs: null, onnx: null }) });
type CheckpointEngine = t.TypeOf<typeof EngineExtra>['engine'];

/** One teacher-forced micro-batch: rows `rows` of `sequences` under `weights` (flags: the masked view). */
export interface TeacherForcedRequest {
  readonly weights: ReadonlyMap<string, Float32Array>;
  readonly sequences: readonly SequenceInput[];
  readonly rows: readonly number[];
  readonly responseWidth: number;
  readonly flags: Uint8Array | undefined;
  /** Also compute H. */
  readonly entropy: boolean;
  /** w [rows, T]: compute ∇θ Σ w·logp (+ Σ u·H with `entropyWeights`). */
  readonly logpWeights?: Float32Array;
  readonly entropyWeights?: Float32Array;
}

export interface TeacherForcedPass {
  /** [rows, T], 0 outside the response mask. */
  readonly logp: Float32Array;
  readonly entropy: Float32Array | null;
  /** Per parameter, when weights were given. */
  readonly grads: ReadonlyMap<string, Float32Array> | null;
  /** Token positions computed. */
  readonly tokens: number;
}

/** Teacher-forced passes computed outside TensorFlow.js: `forward` and `forwardBackward` run through them (the onnx engine). */
export interface TeacherForcedPasses {
  readonly device: string;
  run(request: TeacherForcedRequest): Promise<TeacherForcedPass>;
  dispose(): Promise<void>;
}

/** An engine built on this one with its teacher-forced passes elsewhere; sampling, the optimizer and checkpoints stay here. */
export interface ExternalPasses {
  readonly engine: CheckpointEngine;
  readonly passes: (config: PolicyConfig) => TeacherForcedPasses;
}

const fail = <A>(stage: string, field: string, kind: StageError['kind'], detail: string, index: StageError['index'] = null): E.Either<StageError, A> =>
  E.left(new StageError(stage, field, index, kind, detail));

const fromDecode = (stage: string, field: string, error: DecodeError): StageError => new StageError(stage, field, null, 'invalid', error.message);

let activeBackend: { readonly choice: BackendChoice; readonly info: BackendInfo } | undefined;

/** The `device` that keeps the backend the process already made active (a caller that chose it, e.g. the CLI's --backend). */
export const ACTIVE_DEVICE = 'active';

const activeBackendInfo = (): E.Either<StageError, BackendInfo> => {
  const tfBackend = tf.getBackend();
  const name = BACKEND_NAMES.find((n) => n === tfBackend);
  return name === undefined
    ? fail(STAGE, 'device', 'invalid', `is "${ACTIVE_DEVICE}", but the active TensorFlow.js backend "${tfBackend}" is none of ${BACKEND_NAMES.join(', ')}`)
    : E.right({ name, tfBackend, threads: 0, reason: `${ACTIVE_DEVICE}: the backend already initialised`, device: activeBackend?.info.tfBackend === tfBackend ? activeBackend.info.device : name });
};

/** Activates the backend once per choice: re-initialising an active backend would drop the tensors of live engines. */
const backendFor = async (choice: BackendChoice): Promise<E.Either<StageError, BackendInfo>> => {
  if (activeBackend !== undefined && activeBackend.choice === choice && tf.getBackend() === activeBackend.info.tfBackend) return E.right(activeBackend.info);
  try {
    const info = await initBackend(choice);
    activeBackend = { choice, info };
    return E.right(info);
  } catch (error) {
    return fail(STAGE, 'device', 'invalid', `"${choice}" does not initialise: ${error instanceof Error ? error.message : String(error)}`);
  }
};

const patchMasking = (view: ImageView | undefined): PatchMasking | undefined =>
  view === undefined || view.kind === 'full' ? undefined : { probability: view.probability, seed: view.seed };

const checkView = (stage: string, field: string, view: ImageView | undefined): StageError | undefined => {
  if (view === undefined || view.kind === 'full') return undefined;
  if (view.kind !== 'masked') return new StageError(stage, `${field}.kind`, null, 'invalid', `is ${JSON.stringify((view as { kind: unknown }).kind)}, expected "full" or "masked"`);
  if (!(view.probability >= 0 && view.probability <= 1)) return new StageError(stage, `${field}.probability`, null, 'out-of-range', `is ${view.probability}, expected a number in [0, 1]`);
  if (!Number.isInteger(view.seed)) return new StageError(stage, `${field}.seed`, null, 'not-integer', `is ${view.seed}, expected an integer`);
  return undefined;
};

/** Per-token weights [B, T] as float32 with 0 outside the mask; refused when not [B, T], or not finite (or beyond float32) inside it. */
const maskedWeights = (stage: string, field: string, weights: Matrix, mask: Matrix): E.Either<StageError, Float32Array> => {
  const shape = sameShape(stage, field, weights, 'sequences × responseWidth', mask)();
  if (shape !== undefined) return E.left(shape);
  const out = new Float32Array(weights.data.length);
  for (let i = 0; i < out.length; i++) {
    if (mask.data[i] !== 1) continue;
    const w = weights.data[i]!;
    const at: [number, number] = [Math.floor(i / mask.cols), i % mask.cols];
    if (!Number.isFinite(w)) return fail(stage, field, 'not-finite', `is ${w}, expected a finite number`, at);
    if (Math.abs(w) > FLOAT32_MAX) return fail(stage, field, 'out-of-range', `is ${w}, beyond the float32 range`, at);
    out[i] = w;
  }
  return E.right(out);
};

/** The policy of a `savePolicy` directory, or of a `save` directory (its policy/), checked by hash. */
const readInitWeights = async (dir: string): Promise<E.Either<DecodeError, PolicyWeights>> => {
  const direct = await readPolicyWeights(dir);
  if (E.isRight(direct)) return direct;
  const nested = await readPolicyWeights(join(dir, TRAINER_POLICY_DIR));
  return E.isRight(nested) ? nested : direct;
};

/** The weights of `rows` (consecutive) of a [B, T] array. */
const rowsOf = (values: Float32Array, rows: readonly number[], width: number): Float32Array => values.subarray(rows[0]! * width, (rows[rows.length - 1]! + 1) * width);

interface PreparedTerm {
  readonly flags: Uint8Array | undefined;
  readonly logpWeights: Float32Array;
  readonly entropyWeights: Float32Array | undefined;
}

export class TfjsEngine implements Engine {
  readonly info: EngineInfo;
  readonly capabilities: EngineCapabilities;
  private readonly optimizer: OptimizerState;
  private tail: Promise<void> = Promise.resolve();
  private disposed = false;
  /** The policy's (and reference's) weights as arrays for external passes; cleared whenever the weights change. */
  private policyArrays: Promise<Map<string, Float32Array>> | undefined;
  private referenceArrays: Promise<Map<string, Float32Array>> | undefined;

  private constructor(
    private readonly config: PolicyConfig,
    private readonly policy: Policy,
    private reference: FrozenParams | undefined,
    backend: BackendInfo,
    private readonly tokenBudget: number,
    private readonly external: { readonly engine: CheckpointEngine; readonly passes: TeacherForcedPasses } | undefined,
  ) {
    this.info = {
      engine: external?.engine ?? TFJS_ENGINE,
      model: `rlflow-vlm d${config.dModel} enc${config.encoderLayers} dec${config.decoderLayers} h${config.heads}`,
      device: external === undefined ? backend.device : `${external.passes.device}; sampling on TensorFlow.js ${backend.device}`,
      imageSize: config.imageSize,
      maxPromptTokens: config.maxPromptTokens,
      maxResponseTokens: config.maxResponseTokens,
      parameterCount: parameterCount(config),
    };
    this.capabilities = { entropy: true, entropyWeights: true, maskedImages: true, reference: reference !== undefined, tokenBudget: tokenBudget > 0 ? tokenBudget : null };
    this.optimizer = new OptimizerState(config, policy.variables);
  }

  /** Decodes `options` (model config with io-ts, device as a backend choice) and builds the engine. */
  static async create(options: EngineOptions, external?: ExternalPasses): Promise<E.Either<StageError, TfjsEngine>> {
    const init = options.init;
    const stored = init.kind === 'weights' ? await readInitWeights(init.dir) : undefined;
    if (stored !== undefined && E.isLeft(stored)) return E.left(fromDecode(STAGE, 'init.dir', stored.left));
    // With stored weights the model is the stored one; a model given as well must match it.
    const config =
      stored !== undefined && options.model === undefined ? E.right(stored.right.config) : decodePolicyConfig(`${STAGE} model`)(options.model);
    if (E.isLeft(config)) return E.left(fromDecode(STAGE, 'model', config.left));
    const device = options.device ?? 'auto';
    if (device !== ACTIVE_DEVICE && !isBackendChoice(device)) {
      return fail(STAGE, 'device', 'invalid', `is "${device}", expected "${ACTIVE_DEVICE}", "auto" or one of ${BACKEND_NAMES.join(', ')}`);
    }
    if (!Number.isInteger(options.tokenBudget) || options.tokenBudget < 0) return fail(STAGE, 'tokenBudget', 'out-of-range', `is ${options.tokenBudget}, expected a non-negative integer`);
    if (init.kind === 'seed' && !Number.isInteger(init.seed)) return fail(STAGE, 'init.seed', 'not-integer', `is ${init.seed}, expected an integer`);
    const backend = device === ACTIVE_DEVICE ? activeBackendInfo() : await backendFor(device);
    if (E.isLeft(backend)) return backend;
    let weights: Map<string, Float32Array>;
    if (init.kind === 'seed') {
      weights = initialWeights(config.right, init.seed);
    } else {
      const { config: storedConfig, weights: storedWeights } = (stored as E.Right<PolicyWeights>).right;
      const differences = configDifferences(storedConfig, config.right);
      if (differences.length > 0) return fail(STAGE, 'init.dir', 'invalid', `${join(init.dir, POLICY_FILE)}: config ${differences.join(', ')} (stored vs model)`);
      weights = storedWeights;
    }
    const reference = options.reference ? new FrozenParams(config.right, weights) : undefined;
    const passes = external === undefined ? undefined : { engine: external.engine, passes: external.passes(config.right) };
    return E.right(new TfjsEngine(config.right, Policy.fromWeights(config.right, weights), reference, backend.right, options.tokenBudget, passes));
  }

  sample(request: SampleRequest): EngineResult<Samples> {
    return this.exclusive('sample', async () => {
      const stage = `${STAGE}.sample`;
      const G = request.samplesPerPrompt;
      if (!Number.isInteger(G) || G < 1) return fail(stage, 'samplesPerPrompt', 'out-of-range', `is ${G}, expected a positive integer`);
      if (!Number.isInteger(request.seed)) return fail(stage, 'seed', 'not-integer', `is ${request.seed}, expected an integer`);
      const prompts = validateSequences(stage, this.config, request.prompts, false);
      if (E.isLeft(prompts)) return E.left(new StageError(stage, prompts.left.field.replace(/^sequences/, 'prompts'), prompts.left.index, prompts.left.kind, prompts.left.detail));
      const sampling = validateSampling(request.sampling, this.config.maxResponseTokens);
      if (E.isLeft(sampling)) return E.left(new StageError(stage, sampling.left.field, sampling.left.index, sampling.left.kind, sampling.left.detail));
      const rows = request.prompts.flatMap((p) => Array.from({ length: G }, () => p));
      const { tokens, lengths, finished, logprobs, samplerLogprobs, mask } = await generateWithAsync(this.policy.variables, this.config, rows, request.sampling, request.seed, { samplesPerPrompt: G, sharedPrefixes: true });
      return E.right({ tokens, lengths, finished, logprobs, samplerLogprobs, mask });
    });
  }

  forward(request: ForwardRequest): EngineResult<ForwardResult> {
    return this.exclusive('forward', async () => {
      const stage = `${STAGE}.forward`;
      const checked = this.checkSequences(stage, request.sequences, request.responseWidth);
      if (E.isLeft(checked)) return checked;
      const viewError = checkView(stage, 'view', request.view);
      if (viewError !== undefined) return E.left(viewError);
      const model = request.model ?? 'policy';
      if (model !== 'policy' && model !== 'reference') return fail(stage, 'model', 'invalid', `is ${JSON.stringify(model)}, expected "policy" or "reference"`);
      const reference = this.reference;
      if (model === 'reference' && reference === undefined) return fail(stage, 'model', 'invalid', 'is "reference", but this engine keeps no reference (it was created with reference: false)');
      const params: ParamTensors = model === 'reference' ? reference!.tensors : this.policy.variables;
      const { sequences, responseWidth: width } = request;
      const mask = checked.right;
      const logp = new Float64Array(sequences.length * width);
      const entropy = new Float64Array(sequences.length * width);
      const flags = patchFlags(this.config, sequences.length, patchMasking(request.view));
      const external = this.external?.passes;
      for (const rows of this.batches(sequences, width)) {
        if (external !== undefined) {
          const weights = await (model === 'reference' ? this.referenceWeightArrays() : this.policyWeightArrays());
          const out = await external.run({ weights, sequences, rows, responseWidth: width, flags, entropy: request.entropy === true });
          logp.set(out.logp, rows[0]! * width);
          if (out.entropy !== null) entropy.set(out.entropy, rows[0]! * width);
          continue;
        }
        const [lp, ent] = tf.tidy(() => {
          const out = teacherForcedShared(params, this.config, sequences, rows, width, flags);
          return [out.logp, out.entropy];
        });
        try {
          logp.set(await lp!.data(), rows[0]! * width);
          if (request.entropy === true) entropy.set(await ent!.data(), rows[0]! * width);
        } finally {
          lp!.dispose();
          ent!.dispose();
        }
      }
      return E.right({ logp: matrix(sequences.length, width, logp), entropy: request.entropy === true ? matrix(sequences.length, width, entropy) : null, mask });
    });
  }

  forwardBackward(request: ForwardBackwardRequest): EngineResult<ForwardBackwardResult> {
    return this.exclusive('forwardBackward', async () => {
      const stage = `${STAGE}.forwardBackward`;
      const checked = this.checkSequences(stage, request.sequences, request.responseWidth);
      if (E.isLeft(checked)) return checked;
      const mask = checked.right;
      const { sequences, responseWidth: width, terms } = request;
      if (terms.length === 0) return fail(stage, 'terms', 'empty', 'is empty');
      const prepared = this.prepareTerms(stage, terms, mask);
      if (E.isLeft(prepared)) return prepared;
      const batch = sequences.length;
      const logps = terms.map(() => new Float64Array(batch * width));
      const entropies = terms.map(() => new Float64Array(batch * width));
      const params = this.policy.variables;
      const varList = [...params.values()];
      let surrogate = 0;
      let tokens = 0;
      const external = this.external?.passes;
      for (const rows of this.batches(sequences, width)) {
        if (external !== undefined) {
          const pass = await this.externalBackward(external, sequences, rows, width, prepared.right);
          for (let i = 0; i < terms.length; i++) {
            logps[i]!.set(pass.logps[i]!, rows[0]! * width);
            const termEntropy = pass.entropies[i];
            if (termEntropy !== null && termEntropy !== undefined) entropies[i]!.set(termEntropy, rows[0]! * width);
          }
          surrogate += pass.surrogate;
          tokens += pass.tokens;
          continue;
        }
        const kept: tf.Tensor[] = [];
        const { value, grads } = tf.variableGrads(() => {
          const sums = prepared.right.map((term) => {
            const out = teacherForcedShared(params, this.config, sequences, rows, width, term.flags);
            tokens += out.tokens;
            kept.push(tf.keep(out.logp), tf.keep(out.entropy));
            const w = tf.tensor2d(rowsOf(term.logpWeights, rows, width), [rows.length, width]);
            const weighted = tf.sum(tf.mul(w, out.logp));
            if (term.entropyWeights === undefined) return weighted;
            const u = tf.tensor2d(rowsOf(term.entropyWeights, rows, width), [rows.length, width]);
            return tf.add(weighted, tf.sum(tf.mul(u, out.entropy)));
          });
          return sums.reduce((total, sum) => tf.add(total, sum)) as tf.Scalar;
        }, varList);
        this.optimizer.accumulate(grads);
        try {
          surrogate += (await value.data())[0]!;
          for (let i = 0; i < terms.length; i++) {
            logps[i]!.set(await kept[2 * i]!.data(), rows[0]! * width);
            if (prepared.right[i]!.entropyWeights !== undefined) entropies[i]!.set(await kept[2 * i + 1]!.data(), rows[0]! * width);
          }
        } finally {
          value.dispose();
          kept.forEach((k) => k.dispose());
        }
      }
      const results: ForwardResult[] = terms.map((term, i) => ({
        logp: matrix(batch, width, logps[i]),
        entropy: term.entropyWeights === undefined ? null : matrix(batch, width, entropies[i]),
        mask,
      }));
      return E.right({ surrogate, terms: results, tokens });
    });
  }

  optimStep(params: AdamWParams): EngineResult<OptimStepResult> {
    return this.exclusive('optimStep', () => {
      this.policyArrays = undefined;
      return this.optimizer.step(params);
    });
  }

  steps(): number {
    return this.optimizer.steps;
  }

  save(dir: string): EngineResult<SaveReceipt> {
    return this.exclusive('save', async () => {
      if (this.optimizer.hasGradient) {
        return fail(`${STAGE}.save`, 'gradient', 'invalid', 'a gradient is accumulated and not yet applied; a checkpoint holds none, so call optimStep first');
      }
      const weights = await readTensors(this.policy.variables);
      const moments = await this.optimizer.exportMoments();
      const reference = this.reference === undefined ? undefined : await readTensors(this.reference.tensors);
      const state = reference === undefined ? moments : { ...moments, reference };
      const manifest = await writeDirAtomic(dir, (temp) => fillStateCheckpoint(temp, this.config, weights, state, { engine: this.external?.engine ?? TFJS_ENGINE }, EngineExtra));
      return E.right({ steps: moments.step, files: await this.receiptFiles(dir, manifest.sha256) });
    });
  }

  load(dir: string): EngineResult<SaveReceipt> {
    return this.exclusive('load', async () => {
      const stage = `${STAGE}.load`;
      const restored = await readStateCheckpoint(dir, { extraCodec: EngineExtra, expectedConfig: this.config });
      if (E.isLeft(restored)) return E.left(fromDecode(stage, restored.left.source, restored.left));
      const { weights, state, manifest } = restored.right;
      if (this.capabilities.reference && state.reference === undefined) return fail(stage, 'reference', 'invalid', `${dir} holds no reference, and this engine keeps one`);
      if (!this.capabilities.reference && state.reference !== undefined) return fail(stage, 'reference', 'invalid', `${dir} holds a reference, and this engine was created without one`);
      for (const [name, variable] of this.policy.variables) tf.tidy(() => variable.assign(tf.tensor(weights.get(name)!, variable.shape, 'float32')));
      this.policyArrays = undefined;
      this.referenceArrays = undefined;
      this.optimizer.restore(state);
      if (state.reference !== undefined) {
        this.reference?.dispose();
        this.reference = new FrozenParams(this.config, state.reference);
      }
      return E.right({ steps: state.step, files: await this.receiptFiles(dir, manifest.sha256) });
    });
  }

  savePolicy(dir: string): EngineResult<SaveReceipt> {
    return this.exclusive('savePolicy', async () => {
      const weights = await readTensors(this.policy.variables);
      const manifest = await writeDirAtomic(dir, (temp) => writePolicyWeights(temp, this.config, weights));
      const files = { [POLICY_FILE]: sha256Hex(await readFile(join(dir, POLICY_FILE))), [WEIGHTS_FILE]: manifest.weightsSha256 };
      return E.right({ steps: this.optimizer.steps, files });
    });
  }

  liveResources(): number {
    return tf.memory().numTensors;
  }

  async dispose(): Promise<void> {
    await this.tail;
    if (this.disposed) return;
    this.disposed = true;
    await this.external?.passes.dispose();
    this.optimizer.dispose();
    this.reference?.dispose();
    this.policy.dispose();
  }

  /** The gradient accumulated since the last optimizer step, per parameter (tests only; not part of the contract). */
  accumulatedGradients(): Promise<Map<string, Float32Array>> {
    return this.queued(() => this.optimizer.gradient());
  }

  /**
   * Parameter gradients of `loss` by TensorFlow.js autodiff through the teacher-forced forward
   * of every row, under the full view and, when given, the masked one (tests only: the reference
   * the gradient-by-log-prob path is checked against; not part of the contract).
   */
  autodiffGradients(
    sequences: readonly SequenceInput[],
    responseWidth: number,
    maskedView: ImageView | null,
    loss: (views: { readonly logp: tf.Tensor2D; readonly entropy: tf.Tensor2D; readonly maskedLogp: tf.Tensor2D | null }) => tf.Scalar,
  ): Promise<Map<string, Float32Array>> {
    return this.queued(async () => {
      const variables = this.policy.variables;
      const rows = sequences.map((_, i) => i);
      const flags = maskedView === null ? undefined : patchFlags(this.config, sequences.length, patchMasking(maskedView));
      const { value, grads } = tf.variableGrads(() => {
        const full = teacherForcedRows(variables, this.config, sequences, rows, responseWidth, undefined);
        const masked = flags === undefined ? null : teacherForcedRows(variables, this.config, sequences, rows, responseWidth, flags).logp;
        return loss({ logp: full.logp, entropy: full.entropy, maskedLogp: masked });
      }, [...variables.values()]);
      const out = new Map<string, Float32Array>();
      for (const [name, variable] of variables) out.set(name, grads[variable.name] === undefined ? new Float32Array(variable.size) : Float32Array.from(await grads[variable.name]!.data()));
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
      return out;
    });
  }

  /** The policy's variables (tests only: finite differences move single parameters). */
  policyVariables(): ReadonlyMap<string, tf.Variable> {
    return this.policy.variables;
  }

  private policyWeightArrays(): Promise<Map<string, Float32Array>> {
    this.policyArrays ??= readTensors(this.policy.variables);
    return this.policyArrays;
  }

  private referenceWeightArrays(): Promise<Map<string, Float32Array>> {
    this.referenceArrays ??= readTensors(this.reference!.tensors);
    return this.referenceArrays;
  }

  /**
   * One micro-batch of forwardBackward through external passes: each term's pass, their
   * gradients summed per parameter and accumulated into G, and Σ_terms (Σ w·logp + Σ u·H) in float64.
   */
  private async externalBackward(
    passes: TeacherForcedPasses,
    sequences: readonly SequenceInput[],
    rows: readonly number[],
    width: number,
    terms: readonly PreparedTerm[],
  ): Promise<{ logps: Float32Array[]; entropies: (Float32Array | null)[]; surrogate: number; tokens: number }> {
    const weights = await this.policyWeightArrays();
    const summed = new Map<string, Float32Array>();
    const logps: Float32Array[] = [];
    const entropies: (Float32Array | null)[] = [];
    let surrogate = 0;
    let tokens = 0;
    for (const term of terms) {
      const w = rowsOf(term.logpWeights, rows, width);
      const u = term.entropyWeights === undefined ? undefined : rowsOf(term.entropyWeights, rows, width);
      const out = await passes.run({ weights, sequences, rows, responseWidth: width, flags: term.flags, entropy: u !== undefined, logpWeights: w, ...(u === undefined ? {} : { entropyWeights: u }) });
      for (let i = 0; i < w.length; i++) surrogate += w[i]! * out.logp[i]! + (u === undefined ? 0 : u[i]! * out.entropy![i]!);
      for (const [name, g] of out.grads!) {
        const total = summed.get(name);
        if (total === undefined) summed.set(name, Float32Array.from(g));
        else for (let i = 0; i < g.length; i++) total[i] = total[i]! + g[i]!;
      }
      logps.push(out.logp);
      entropies.push(u === undefined ? null : out.entropy);
      tokens += out.tokens;
    }
    const named: tf.NamedTensorMap = {};
    for (const [name, variable] of this.policy.variables) named[variable.name] = tf.tensor(summed.get(name)!, variable.shape, 'float32');
    this.optimizer.accumulate(named);
    return { logps, entropies, surrogate, tokens };
  }

  /** Runs `work` after every call made before it, so interleaved awaits never mix two requests. */
  private queued<A>(work: () => Promise<A>): Promise<A> {
    const run = this.tail.then(work);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** A contract method: queued, refused once the engine is disposed, and failed when the WebGPU device reported an error meanwhile. */
  private exclusive<A>(method: string, work: () => Promise<E.Either<StageError, A>>): EngineResult<A> {
    return this.queued(async () => {
      if (this.disposed) return fail<A>(`${STAGE}.${method}`, 'engine', 'invalid', 'is used after dispose()');
      takeWebGpuErrors();
      const result = await work();
      const errors = takeWebGpuErrors();
      if (errors.length === 0) return result;
      return fail<A>(`${STAGE}.${method}`, 'device', 'invalid', `the WebGPU device reported ${errors.length} error${errors.length === 1 ? '' : 's'}, so the results are not valid: ${errors[0]}`);
    });
  }

  /** Checks the sequences and the response width; the response mask [B, T] when they pass. */
  private checkSequences(stage: string, sequences: readonly SequenceInput[], width: number): E.Either<StageError, Matrix> {
    const checked = validateSequences(stage, this.config, sequences, true);
    if (E.isLeft(checked)) return checked;
    if (!Number.isInteger(width) || width < 1 || width > this.config.maxResponseTokens) {
      return fail(stage, 'responseWidth', 'out-of-range', `is ${width}, expected an integer in [1, ${this.config.maxResponseTokens}]`);
    }
    const mask = new Float64Array(sequences.length * width);
    for (let b = 0; b < sequences.length; b++) {
      const length = sequences[b]!.responseTokens.length;
      if (length > width) return fail(stage, `sequences[${b}].responseTokens`, 'out-of-range', `has ${length} tokens, more than responseWidth ${width}`);
      mask.fill(1, b * width, b * width + length);
    }
    return E.right(matrix(sequences.length, width, mask));
  }

  private prepareTerms(stage: string, terms: readonly WeightedTerm[], mask: Matrix): E.Either<StageError, PreparedTerm[]> {
    const prepared: PreparedTerm[] = [];
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i]!;
      const viewError = checkView(stage, `terms[${i}].view`, term.view);
      if (viewError !== undefined) return E.left(viewError);
      const logpWeights = maskedWeights(stage, `terms[${i}].logpWeights`, term.logpWeights, mask);
      if (E.isLeft(logpWeights)) return logpWeights;
      let entropyWeights: Float32Array | undefined;
      if (term.entropyWeights !== undefined) {
        const u = maskedWeights(stage, `terms[${i}].entropyWeights`, term.entropyWeights, mask);
        if (E.isLeft(u)) return u;
        entropyWeights = u.right;
      }
      prepared.push({ flags: patchFlags(this.config, mask.rows, patchMasking(term.view)), logpWeights: logpWeights.right, entropyWeights });
    }
    return E.right(prepared);
  }

  private batches(sequences: readonly SequenceInput[], width: number): number[][] {
    return microBatches(
      sequences.map((s) => s.promptTokens.length),
      geometry(this.config).imageTokens,
      width,
      this.tokenBudget,
    );
  }

  /** Every file of a saved state with its sha256: the manifest's list plus the manifest itself. */
  private async receiptFiles(dir: string, hashes: Readonly<Record<string, string>>): Promise<Record<string, string>> {
    return { ...hashes, [TRAINER_MANIFEST_FILE]: sha256Hex(await readFile(join(dir, TRAINER_MANIFEST_FILE))) };
  }
}

/** The engine registered as `tfjs`. */
export const createTfjsEngine: EngineFactory = async (options) => E.map((engine: TfjsEngine): Engine => engine)(await TfjsEngine.create(options));
