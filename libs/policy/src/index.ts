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
  THINK_ID,
  END_THINK_ID,
  ANSWER_ID,
  END_ANSWER_ID,
  type SpecialToken,
} from './tokenizer.js';
export { paramSpecs, parameterCount, type ParamSpec } from './params.js';
export type { SequenceInput } from './layout.js';
export type { PromptInput, Generation, GenerateOptions } from './generate.js';
export { defaultSamplingParams, samplingDistribution, sampleToken, type SamplingParams, type SampledToken } from './sampling.js';
export { Policy, createPolicy, type LogProbs, type LogProbOptions, type PatchMasking } from './policy.js';
export { OptimizerConfigCodec, defaultOptimizerConfig, learningRate, type OptimizerConfig } from './optimizer.js';
export {
  Trainer,
  createTrainer,
  microBatches,
  type TrainerOptions,
  type TrainerState,
  type LossFn,
  type LossInputs,
  type StepOptions,
  type StepResult,
} from './trainer.js';
export { supervisedLoss } from './losses.js';
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
  fillTrainerCheckpoint,
  fillStateCheckpoint,
  writeTrainerCheckpoint,
  readTrainerManifest,
  readTrainerCheckpoint,
  readStateCheckpoint,
  type TrainerManifest,
  type RestoredTrainer,
  type ReadTrainerOptions,
  type RestoredState,
  type ReadStateOptions,
  type StoredOptimizerState,
} from './trainer-checkpoint.js';
export { TfjsEngine, createTfjsEngine, TFJS_ENGINE, ACTIVE_DEVICE } from './engine/tfjs-engine.js';
