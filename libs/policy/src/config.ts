/**
 * The policy model's configuration (docs/architecture.md, "Default model"): a 32×32 RGB image cut into
 * patches, a small bidirectional encoder over the patches, projected as a prefix into a
 * pre-norm causal decoder. Decoded from external input with io-ts; the structural checks that
 * a codec cannot express (divisibility, the vocabulary size the tokenizer needs) follow the
 * decode and report the offending field by name.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { DecodeError, decodeWith, NonNegativeInt, PositiveInt, PositiveNumber } from '@rlflow/core';
import { VOCAB_SIZE } from './tokenizer.js';


export const PolicyConfigCodec = t.type({
  /** Side of the square RGB input image, in pixels. */
  imageSize: PositiveInt,
  /** Side of a square patch; the image yields (imageSize/patchSize)² image tokens. */
  patchSize: PositiveInt,
  /** Bidirectional encoder layers over the patch tokens (1–2 in the default design). */
  encoderLayers: NonNegativeInt,
  dModel: PositiveInt,
  decoderLayers: PositiveInt,
  heads: PositiveInt,
  /** MLP hidden width as a multiple of dModel. */
  mlpRatio: PositiveInt,
  vocabSize: PositiveInt,
  maxPromptTokens: PositiveInt,
  maxResponseTokens: PositiveInt,
  /** RMSNorm epsilon. */
  normEps: PositiveNumber,
  /** Standard deviation of the normal initialisation of weight matrices and embeddings. */
  initStd: PositiveNumber,
});

export type PolicyConfig = t.TypeOf<typeof PolicyConfigCodec>;

/** The configuration the performance figures are quoted for (docs/architecture.md). */
export const defaultPolicyConfig: PolicyConfig = {
  imageSize: 32,
  patchSize: 8,
  encoderLayers: 1,
  dModel: 128,
  decoderLayers: 4,
  heads: 4,
  mlpRatio: 4,
  vocabSize: VOCAB_SIZE,
  maxPromptTokens: 48,
  maxResponseTokens: 32,
  normEps: 1e-5,
  initStd: 0.02,
};

/** A configuration small enough for fast tests (same image geometry and vocabulary). */
export const tinyPolicyConfig: PolicyConfig = {
  imageSize: 32,
  patchSize: 8,
  encoderLayers: 1,
  dModel: 16,
  decoderLayers: 2,
  heads: 2,
  mlpRatio: 2,
  vocabSize: VOCAB_SIZE,
  maxPromptTokens: 10,
  maxResponseTokens: 8,
  normEps: 1e-5,
  initStd: 0.02,
};

/** Quantities derived from a configuration. */
export interface ModelGeometry {
  readonly patchesPerSide: number;
  readonly imageTokens: number;
  /** Values per patch: patchSize² × 3 channels. */
  readonly patchDim: number;
  readonly headDim: number;
  readonly mlpDim: number;
  /** Length of the learned decoder position table: image tokens + prompt + response. */
  readonly maxPositions: number;
  /** Values per image: imageSize² × 3. */
  readonly imageValues: number;
}

export const IMAGE_CHANNELS = 3;

export const geometry = (config: PolicyConfig): ModelGeometry => {
  const patchesPerSide = config.imageSize / config.patchSize;
  const imageTokens = patchesPerSide * patchesPerSide;
  return {
    patchesPerSide,
    imageTokens,
    patchDim: config.patchSize * config.patchSize * IMAGE_CHANNELS,
    headDim: config.dModel / config.heads,
    mlpDim: config.dModel * config.mlpRatio,
    maxPositions: imageTokens + config.maxPromptTokens + config.maxResponseTokens,
    imageValues: config.imageSize * config.imageSize * IMAGE_CHANNELS,
  };
};

const structuralProblems = (c: PolicyConfig): string[] => {
  const problems: string[] = [];
  if (c.imageSize % c.patchSize !== 0) problems.push(`patchSize: ${c.patchSize} does not divide imageSize ${c.imageSize}`);
  if (c.dModel % c.heads !== 0) problems.push(`heads: ${c.heads} does not divide dModel ${c.dModel}`);
  if (c.vocabSize < VOCAB_SIZE) problems.push(`vocabSize: ${c.vocabSize} is smaller than the tokenizer's ${VOCAB_SIZE} tokens`);
  return problems;
};

/** Decodes and checks a configuration; every problem is listed with its field name. */
export const decodePolicyConfig =
  (source: string) =>
  (input: unknown): E.Either<DecodeError, PolicyConfig> => {
    const decoded = decodeWith(PolicyConfigCodec, source)(input);
    if (E.isLeft(decoded)) return decoded;
    const problems = structuralProblems(decoded.right);
    return problems.length === 0 ? decoded : E.left(new DecodeError(source, problems));
  };

/** Field-by-field differences between two configurations, as `field: a vs b` lines. */
export const configDifferences = (a: PolicyConfig, b: PolicyConfig): string[] =>
  (Object.keys(PolicyConfigCodec.props) as (keyof PolicyConfig)[])
    .filter((key) => a[key] !== b[key])
    .map((key) => `${key}: ${a[key]} vs ${b[key]}`);
