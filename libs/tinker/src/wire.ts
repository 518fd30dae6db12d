/**
 * The Tinker training API's JSON wire format (all routes under `/api/v1`), as io-ts codecs of
 * every request and reply rlflow sends or serves. Written from reading the public Python SDK's
 * types (thinking-machines-lab/tinker 0.24.0, `src/tinker/types/*.py` and
 * `types/_pydantic_types/*.py`; fixtures/tinker/PROVENANCE.md names the file of each shape).
 *
 * Codecs are `t.type` (extra keys pass), so a newer peer that adds fields still decodes; fields
 * the SDK marks optional are optional here. A decode failure names the dotted path of the field.
 */
import * as t from 'io-ts';

const optional = <C extends t.Mixed>(codec: C) => t.union([codec, t.undefined, t.null]);

/** A safe integer (JSON numbers only). */
export const Int = t.refinement(t.number, (n) => Number.isSafeInteger(n), 'an integer');
export const NonNegInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
export const FiniteNumber = t.refinement(t.number, (n) => Number.isFinite(n), 'a finite number');

// ---- tensors and inputs -------------------------------------------------------------------------

export const TensorDtype = t.keyof({ float32: null, int64: null }, '"float32" | "int64"');
export type TensorDtype = t.TypeOf<typeof TensorDtype>;

/** `{data, dtype, shape}` (tensor_data.py); dense only (rlflow neither sends nor accepts the CSR form). */
export const TensorData = t.intersection([
  t.type({ data: t.array(FiniteNumber), dtype: TensorDtype }),
  t.partial({ shape: optional(t.array(NonNegInt)), sparse_crow_indices: t.null, sparse_col_indices: t.null }),
]);
export type TensorData = t.TypeOf<typeof TensorData>;

export const EncodedTextChunk = t.type({ type: t.literal('encoded_text'), tokens: t.array(NonNegInt) });
export type EncodedTextChunk = t.TypeOf<typeof EncodedTextChunk>;

/** An image as base64 PNG or JPEG bytes (image_chunk.py); `expected_tokens` is advisory. */
export const ImageChunk = t.intersection([
  t.type({ type: t.literal('image'), data: t.string, format: t.keyof({ png: null, jpeg: null }, '"png" | "jpeg"') }),
  t.partial({ expected_tokens: optional(NonNegInt) }),
]);
export type ImageChunk = t.TypeOf<typeof ImageChunk>;

export const ModelInputChunk = t.union([EncodedTextChunk, ImageChunk]);
export type ModelInputChunk = t.TypeOf<typeof ModelInputChunk>;

export const ModelInput = t.type({ chunks: t.array(ModelInputChunk) });
export type ModelInput = t.TypeOf<typeof ModelInput>;

export const Datum = t.type({ model_input: ModelInput, loss_fn_inputs: t.record(t.string, TensorData) });
export type Datum = t.TypeOf<typeof Datum>;

export const LOSS_FNS = ['cross_entropy', 'importance_sampling', 'ppo', 'cispo', 'dro'] as const;
export const LossFn = t.keyof({ cross_entropy: null, importance_sampling: null, ppo: null, cispo: null, dro: null }, LOSS_FNS.map((l) => `"${l}"`).join(' | '));
export type LossFn = t.TypeOf<typeof LossFn>;

export const ForwardBackwardInput = t.intersection([
  t.type({ data: t.array(Datum), loss_fn: LossFn }),
  t.partial({ loss_fn_config: optional(t.record(t.string, FiniteNumber)) }),
]);
export type ForwardBackwardInput = t.TypeOf<typeof ForwardBackwardInput>;

// ---- requests -----------------------------------------------------------------------------------

export const ClientConfigRequest = t.type({ sdk_version: t.string });
export type ClientConfigRequest = t.TypeOf<typeof ClientConfigRequest>;

export const CreateSessionRequest = t.intersection([
  t.type({ tags: t.array(t.string), sdk_version: t.string }),
  t.partial({ user_metadata: optional(t.UnknownRecord), project_id: optional(t.string), type: t.literal('create_session') }),
]);
export type CreateSessionRequest = t.TypeOf<typeof CreateSessionRequest>;

export const SessionHeartbeatRequest = t.intersection([t.type({ session_id: t.string }), t.partial({ type: t.literal('session_heartbeat') })]);
export type SessionHeartbeatRequest = t.TypeOf<typeof SessionHeartbeatRequest>;

export const LoraConfig = t.intersection([
  t.type({ rank: NonNegInt }),
  t.partial({ seed: optional(Int), train_unembed: t.boolean, train_mlp: t.boolean, train_attn: t.boolean }),
]);
export type LoraConfig = t.TypeOf<typeof LoraConfig>;

export const CreateModelRequest = t.intersection([
  t.type({ session_id: t.string, model_seq_id: NonNegInt, base_model: t.string }),
  t.partial({ user_metadata: optional(t.UnknownRecord), lora_config: optional(LoraConfig), type: t.literal('create_model') }),
]);
export type CreateModelRequest = t.TypeOf<typeof CreateModelRequest>;

export const GetInfoRequest = t.intersection([t.type({ model_id: t.string }), t.partial({ type: t.literal('get_info') })]);
export type GetInfoRequest = t.TypeOf<typeof GetInfoRequest>;

export const ForwardBackwardRequest = t.intersection([
  t.type({ forward_backward_input: ForwardBackwardInput, model_id: t.string }),
  t.partial({ seq_id: optional(NonNegInt) }),
]);
export type ForwardBackwardRequest = t.TypeOf<typeof ForwardBackwardRequest>;

export const ForwardRequest = t.intersection([t.type({ forward_input: ForwardBackwardInput, model_id: t.string }), t.partial({ seq_id: optional(NonNegInt) })]);
export type ForwardRequest = t.TypeOf<typeof ForwardRequest>;

/** AdamW parameters; the SDK's defaults (optim_step_request.py) apply to what is left out. */
export const AdamParams = t.partial({
  learning_rate: FiniteNumber,
  beta1: FiniteNumber,
  beta2: FiniteNumber,
  eps: FiniteNumber,
  weight_decay: FiniteNumber,
  grad_clip_norm: FiniteNumber,
});
export type AdamParams = t.TypeOf<typeof AdamParams>;
export const ADAM_DEFAULTS = { learning_rate: 1e-4, beta1: 0.9, beta2: 0.95, eps: 1e-12, weight_decay: 0, grad_clip_norm: 0 } as const;

export const OptimStepRequest = t.intersection([
  t.type({ adam_params: AdamParams, model_id: t.string }),
  t.partial({ seq_id: optional(NonNegInt), type: t.literal('optim_step') }),
]);
export type OptimStepRequest = t.TypeOf<typeof OptimStepRequest>;

export const SaveWeightsRequest = t.intersection([
  t.type({ model_id: t.string }),
  t.partial({ path: optional(t.string), seq_id: optional(NonNegInt), ttl_seconds: optional(Int), overwrite: t.boolean, type: t.literal('save_weights') }),
]);
export type SaveWeightsRequest = t.TypeOf<typeof SaveWeightsRequest>;

export const SaveWeightsForSamplerRequest = t.intersection([
  t.type({ model_id: t.string }),
  t.partial({
    path: optional(t.string),
    sampling_session_seq_id: optional(NonNegInt),
    seq_id: optional(NonNegInt),
    ttl_seconds: optional(Int),
    type: t.literal('save_weights_for_sampler'),
  }),
]);
export type SaveWeightsForSamplerRequest = t.TypeOf<typeof SaveWeightsForSamplerRequest>;

export const LoadWeightsRequest = t.intersection([
  t.type({ path: t.string, optimizer: t.boolean }),
  t.partial({
    model_id: optional(t.string),
    seq_id: optional(NonNegInt),
    session_id: optional(t.string),
    model_seq_id: optional(NonNegInt),
    base_model: optional(t.string),
    type: t.literal('load_weights'),
  }),
]);
export type LoadWeightsRequest = t.TypeOf<typeof LoadWeightsRequest>;

export const CreateSamplingSessionRequest = t.intersection([
  t.type({ session_id: t.string, sampling_session_seq_id: NonNegInt }),
  t.partial({ base_model: optional(t.string), model_path: optional(t.string), type: t.literal('create_sampling_session') }),
]);
export type CreateSamplingSessionRequest = t.TypeOf<typeof CreateSamplingSessionRequest>;

/** sampling_params.py: `top_k` −1 keeps every token; `stop` strings or token ids. */
export const SamplingParams = t.partial({
  max_tokens: optional(NonNegInt),
  seed: optional(Int),
  stop: optional(t.union([t.string, t.array(t.string), t.array(NonNegInt)])),
  temperature: FiniteNumber,
  top_k: Int,
  top_p: FiniteNumber,
});
export type SamplingParams = t.TypeOf<typeof SamplingParams>;

export const SampleRequest = t.intersection([
  t.type({ prompt: ModelInput, sampling_params: SamplingParams }),
  t.partial({
    num_samples: NonNegInt,
    base_model: optional(t.string),
    model_path: optional(t.string),
    sampling_session_id: optional(t.string),
    seq_id: optional(NonNegInt),
    prompt_logprobs: optional(t.boolean),
    topk_prompt_logprobs: NonNegInt,
    type: t.literal('sample'),
  }),
]);
export type SampleRequest = t.TypeOf<typeof SampleRequest>;

export const FutureRetrieveRequest = t.intersection([t.type({ request_id: t.string }), t.partial({ allow_metadata_only: t.boolean })]);
export type FutureRetrieveRequest = t.TypeOf<typeof FutureRetrieveRequest>;

// ---- replies ------------------------------------------------------------------------------------

/** client_config_response.py: every flag has a default; rlflow serves the JSON defaults (no JWT, no protobuf). */
export const ClientConfigResponse = t.partial({
  pjwt_auth_enabled: t.boolean,
  credential_default_source: t.string,
  parallel_fwdbwd_chunks: t.boolean,
  proto_write_fwdbwd: t.boolean,
  proto_compress_fwdbwd: t.boolean,
  fwdbwd_max_chunk_len: NonNegInt,
  create_model_via_load_weights: t.boolean,
});
export type ClientConfigResponse = t.TypeOf<typeof ClientConfigResponse>;

export const SupportedModel = t.partial({ model_name: optional(t.string), max_context_length: optional(NonNegInt) });
export const GetServerCapabilitiesResponse = t.type({ supported_models: t.array(SupportedModel) });
export type GetServerCapabilitiesResponse = t.TypeOf<typeof GetServerCapabilitiesResponse>;

export const HealthResponse = t.type({ status: t.literal('ok') });

export const CreateSessionResponse = t.intersection([
  t.type({ session_id: t.string }),
  t.partial({ type: t.literal('create_session'), info_message: optional(t.string), warning_message: optional(t.string), error_message: optional(t.string) }),
]);
export type CreateSessionResponse = t.TypeOf<typeof CreateSessionResponse>;

export const SessionHeartbeatResponse = t.partial({ type: t.literal('session_heartbeat') });

export const ModelData = t.partial({ arch: optional(t.string), model_name: optional(t.string), tokenizer_id: optional(t.string) });
export const GetInfoResponse = t.intersection([
  t.type({ model_data: ModelData, model_id: t.string }),
  t.partial({ type: optional(t.literal('get_info')), is_lora: optional(t.boolean), lora_rank: optional(NonNegInt), model_name: optional(t.string) }),
]);
export type GetInfoResponse = t.TypeOf<typeof GetInfoResponse>;

export const CreateSamplingSessionResponse = t.intersection([t.type({ sampling_session_id: t.string }), t.partial({ type: t.literal('create_sampling_session') })]);
export type CreateSamplingSessionResponse = t.TypeOf<typeof CreateSamplingSessionResponse>;

/** What every submit route answers (untyped_api_future.py). */
export const UntypedAPIFuture = t.intersection([t.type({ request_id: t.string }), t.partial({ model_id: optional(t.string) })]);
export type UntypedAPIFuture = t.TypeOf<typeof UntypedAPIFuture>;

export const QueueState = t.keyof({ active: null, paused_capacity: null, paused_rate_limit: null });
export const TryAgainResponse = t.intersection([t.type({ type: t.literal('try_again'), request_id: t.string }), t.partial({ queue_state: QueueState })]);
export type TryAgainResponse = t.TypeOf<typeof TryAgainResponse>;

export const RequestErrorCategory = t.keyof({ user: null, server: null, unknown: null });
export const RequestFailedResponse = t.type({ error: t.string, category: RequestErrorCategory });
export type RequestFailedResponse = t.TypeOf<typeof RequestFailedResponse>;

export const CreateModelResponse = t.intersection([t.type({ model_id: t.string }), t.partial({ type: t.literal('create_model') })]);
export type CreateModelResponse = t.TypeOf<typeof CreateModelResponse>;

/** Metric keys are `name:reduction` (the SDK reduces chunked results by the suffix). */
export const MetricKey = t.refinement(t.string, (k) => /^[^:]+:[a-z_]+$/.test(k), 'a metric key "name:reduction"');
export const Metrics = t.record(MetricKey, FiniteNumber);
export type Metrics = t.TypeOf<typeof Metrics>;

export const ForwardBackwardOutput = t.type({
  loss_fn_output_type: t.string,
  loss_fn_outputs: t.array(t.record(t.string, TensorData)),
  metrics: Metrics,
});
export type ForwardBackwardOutput = t.TypeOf<typeof ForwardBackwardOutput>;

export const OptimStepResponse = t.partial({ metrics: optional(Metrics), type: optional(t.literal('optim_step')) });
export type OptimStepResponse = t.TypeOf<typeof OptimStepResponse>;

export const SaveWeightsResponse = t.intersection([t.type({ path: t.string }), t.partial({ type: optional(t.literal('save_weights')) })]);
export type SaveWeightsResponse = t.TypeOf<typeof SaveWeightsResponse>;

export const SaveWeightsForSamplerResponse = t.intersection([
  t.partial({ path: optional(t.string), sampling_session_id: optional(t.string) }),
  t.partial({ type: optional(t.literal('save_weights_for_sampler')) }),
]);
export type SaveWeightsForSamplerResponse = t.TypeOf<typeof SaveWeightsForSamplerResponse>;

export const LoadWeightsResponse = t.partial({ path: optional(t.string), model_id: optional(t.string), type: optional(t.literal('load_weights')) });
export type LoadWeightsResponse = t.TypeOf<typeof LoadWeightsResponse>;

export const StopReason = t.keyof({ length: null, stop: null });
export const SampledSequence = t.intersection([
  t.type({ stop_reason: StopReason, tokens: t.array(NonNegInt) }),
  t.partial({ logprobs: optional(t.array(FiniteNumber)) }),
]);
export type SampledSequence = t.TypeOf<typeof SampledSequence>;

export const SampleResponse = t.intersection([
  t.type({ sequences: t.array(SampledSequence) }),
  t.partial({ type: t.literal('sample'), prompt_logprobs: optional(t.array(t.union([FiniteNumber, t.null]))), prompt_cache_hit_tokens: NonNegInt }),
]);
export type SampleResponse = t.TypeOf<typeof SampleResponse>;

// ---- helpers ------------------------------------------------------------------------------------

/** A float32 tensor of `values` (each rounded to float32, so what is sent is what the peer computes with). */
export const float32Tensor = (values: ArrayLike<number>, shape: readonly number[] = [values.length]): TensorData => ({
  data: Array.from(values, (v) => Math.fround(v)),
  dtype: 'float32',
  shape: [...shape],
});

export const int64Tensor = (values: ArrayLike<number>, shape: readonly number[] = [values.length]): TensorData => ({ data: Array.from(values), dtype: 'int64', shape: [...shape] });

/** The element count a tensor's shape implies (its data length when no shape is given). */
export const tensorSize = (tensor: TensorData): number => (tensor.shape === undefined || tensor.shape === null ? tensor.data.length : tensor.shape.reduce((a, b) => a * b, 1));

const describeValue = (u: unknown): string => {
  if (u === undefined) return 'nothing';
  const json = JSON.stringify(u);
  return json === undefined ? String(u) : json.length > 80 ? `${json.slice(0, 77)}...` : json;
};

/**
 * One line per failing field, `path.to.field: expected T, found V`, the path as the JSON has it
 * (the member indices io-ts adds under intersections and unions left out).
 */
export const wireErrors = (errors: t.Errors): string[] => {
  const lines = errors.map((error) => {
    const keys: string[] = [];
    for (let i = 1; i < error.context.length; i++) {
      const parent = error.context[i - 1]!.type;
      if (parent instanceof t.IntersectionType || parent instanceof t.UnionType) continue;
      const key = error.context[i]!.key;
      if (key !== '') keys.push(key);
    }
    const expected = error.context[error.context.length - 1]?.type.name ?? 'a valid value';
    return `${keys.length === 0 ? '(root)' : keys.join('.')}: expected ${expected}, found ${describeValue(error.value)}`;
  });
  return [...new Set(lines)];
};
