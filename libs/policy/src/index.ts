export { initBackend, isBackendChoice, BACKEND_NAMES, BACKEND_CHOICES, type BackendChoice, type BackendName, type BackendInfo, type BackendOptions } from './backend.js';
export {
  PolicyConfigCodec,
  defaultPolicyConfig,
  tinyPolicyConfig,
  decodePolicyConfig,
  configDifferences,
  geometry,
  type PolicyConfig,
  type ModelGeometry,
} from './config.js';
export {
  Tokenizer,
  tokenizer,
  ALPHABET,
  SPECIAL_TOKENS,
  VOCAB_SIZE,
  PAD_ID,
  EOS_ID,
  IMAGE_ID,
  UNGENERATABLE_IDS,
  THINK_ID,
  END_THINK_ID,
  ANSWER_ID,
  END_ANSWER_ID,
  type SpecialToken,
} from './tokenizer.js';
export { paramSpecs, parameterCount, type ParamSpec } from './params.js';
export { buildLayout, attentionBias, patchify, responseMask, type Layout, type LayoutInput } from './layout.js';
export { initialWeights } from './params.js';
export { buildPackedLayout, prefixGroups, sharesPrefixes, suffixAttentionBias, type PackedLayout, type PrefixGroups } from './shared-prefix.js';
export { fromSlots, packSegments, segmentAttentionBias, toSlots, type PackOptions, type SegmentPacking } from './segment-packing.js';
export type { PromptInput, Generation, GenerateOptions } from './generate.js';
export { defaultSamplingParams, samplingDistribution, sampleToken, type SamplingParams, type SampledToken } from './sampling.js';
export { Policy, createPolicy, type LogProbs, type LogProbOptions, type PatchMasking } from './policy.js';
export { OptimizerConfigCodec, defaultOptimizerConfig, type OptimizerConfig } from './optimizer.js';
export { forwardFlopsPerSequence, trainingFlopsPerSequence, type SequenceShape } from './flops.js';
export {
  writePolicyCheckpoint,
  writePolicyWeights,
  readPolicyCheckpoint,
  readPolicyWeights,
  readPolicyManifest,
  verifyPolicyCheckpoint,
  POLICY_FILE,
  WEIGHTS_FILE,
  POLICY_FORMAT,
  type PolicyManifest,
  type PolicyWeights,
} from './checkpoint.js';
export {
  TRAINER_CHECKPOINT_FORMAT,
  TRAINER_MANIFEST_FILE,
  TRAINER_POLICY_DIR,
  trainerManifestCodec,
  fillStateCheckpoint,
  readTrainerManifest,
  readStateCheckpoint,
  type TrainerManifest,
  type RestoredState,
  type ReadStateOptions,
  type StoredOptimizerState,
} from './trainer-checkpoint.js';
export {
  TfjsEngine,
  createTfjsEngine,
  TFJS_ENGINE,
  ACTIVE_DEVICE,
  type ExternalPasses,
  type TeacherForcedPasses,
  type TeacherForcedPass,
  type TeacherForcedRequest,
} from './engine/tfjs-engine.js';
