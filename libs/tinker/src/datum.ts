/**
 * Sequences of the engine contract as Tinker data, and back.
 *
 * A sequence (image x, prompt p, response r) is sent as the model input
 *   chunks = [ image(x as PNG, expected_tokens = I), encoded_text(p), encoded_text(r[0 … |r|−2]) ]
 * with loss_fn_inputs aligned to its L = I + |p| + |r| − 1 positions (the next-token convention):
 *   target_tokens[I + |p| − 1 + j] = r[j],   weights there = the weight of response token j, 0 elsewhere.
 * With a model's own chat template (`imageTokenId` set: the one token of the prompt that marks the
 * image, Qwen-VL's <|image_pad|>), the image chunk takes that token's place instead:
 *   chunks = [ encoded_text(p before it), image(x, I), encoded_text(p after it), encoded_text(r[0 … |r|−2]) ]
 * the prompt then takes I + |p| − 1 positions, and response token j sits at I + |p| − 2 + j.
 * Splitting the text in two chunks is plain Tinker (chunks concatenate); it tells a server that
 * needs the prompt/response boundary where it is. Pixels are sent as 8-bit PNG, round(255·x): a
 * lossless round trip for images decoded from 8-bit files, a quantisation for others. A server
 * that says so in get_info (`model_data.rlflow.image_encoding: "float32-rgba"`, rlflow serve)
 * takes the exact float32 values instead: a PNG of (3·size)×size RGBA pixels, each pixel the four
 * little-endian bytes of one channel value — still a valid PNG chunk, read only by such a server.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';
import type { PromptInput, SequenceInput } from '@rlflow/engine';
import { decodeImage, decodeRgba8Png, encodePng, encodeRgba8Png } from '@rlflow/rollout';
import { float32Tensor, int64Tensor, type Datum, type ImageChunk, type ModelInput, type TensorData } from './wire.js';

export interface ImageGeometry {
  /** Image side in pixels (images are square RGB). */
  readonly imageSize: number;
  /** Model positions one image takes. */
  readonly imageTokens: number;
  /** `png8` (any server) or `float32-rgba` (a server that announces it: exact pixels). */
  readonly imageEncoding?: ImageEncoding;
  /** The prompt token whose place the image takes (a chat template's image token); unset: the image comes first. */
  readonly imageTokenId?: number | null;
}

export type ImageEncoding = 'png8' | 'float32-rgba';
export const FLOAT32_RGBA: ImageEncoding = 'float32-rgba';

const floatPng = (size: number, image: Float32Array): Uint8Array => {
  const bytes = new Uint8Array(image.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < image.length; i++) view.setFloat32(i * 4, image[i]!, true);
  return encodeRgba8Png(size * 3, size, bytes);
};

export const imageChunk = (geometry: ImageGeometry, image: Float32Array): ImageChunk => ({
  type: 'image',
  data: Buffer.from(
    geometry.imageEncoding === FLOAT32_RGBA ? floatPng(geometry.imageSize, image) : encodePng({ width: geometry.imageSize, height: geometry.imageSize, data: image }),
  ).toString('base64'),
  format: 'png',
  expected_tokens: geometry.imageTokens,
});

/** The prompt token the image takes the place of, or null when the image comes first. */
const imageTokenOf = (geometry: ImageGeometry): number | null => geometry.imageTokenId ?? null;

/** The chunks of a prompt: the image first, or in its token's place (the caller checks there is exactly one). */
export const promptChunks = (geometry: ImageGeometry, prompt: PromptInput): ModelInput['chunks'] => {
  const image = imageChunk(geometry, prompt.image);
  const token = imageTokenOf(geometry);
  const at = token === null ? -1 : prompt.promptTokens.indexOf(token);
  if (at < 0) return [image, { type: 'encoded_text', tokens: [...prompt.promptTokens] }];
  const before = prompt.promptTokens.slice(0, at);
  const after = prompt.promptTokens.slice(at + 1);
  return [...(before.length === 0 ? [] : [{ type: 'encoded_text' as const, tokens: before }]), image, ...(after.length === 0 ? [] : [{ type: 'encoded_text' as const, tokens: after }])];
};

/** How many of the prompt's tokens the image replaces (1 with an image token, 0 when the image comes first). */
const replaced = (geometry: ImageGeometry): number => (imageTokenOf(geometry) === null ? 0 : 1);

/** The positions a prompt of `promptLength` tokens takes, its image included. */
export const promptPositions = (geometry: ImageGeometry, promptLength: number): number => geometry.imageTokens + promptLength - replaced(geometry);

/** Where the prompt fails the placement rule: the number of image tokens when an image token is set and it is not exactly one. */
export const imageTokenCount = (geometry: ImageGeometry, promptTokens: readonly number[]): number | null => {
  const id = imageTokenOf(geometry);
  return id === null ? null : promptTokens.filter((t) => t === id).length;
};

export const promptModelInput = (geometry: ImageGeometry, prompt: PromptInput): ModelInput => ({ chunks: promptChunks(geometry, prompt) });

/** Where response token j sits in the model's positions (the position that predicts it). */
export const responseOffset = (geometry: ImageGeometry, promptLength: number): number => promptPositions(geometry, promptLength) - 1;

/** A sequence as a Datum with float32 inputs given per response token (value j at position I + |p| − 1 + j, 0 elsewhere). */
const responseDatum = (geometry: ImageGeometry, sequence: SequenceInput, perToken: Readonly<Record<string, ArrayLike<number>>>): Datum => {
  const r = sequence.responseTokens;
  const length = promptPositions(geometry, sequence.promptTokens.length) + r.length - 1;
  const offset = responseOffset(geometry, sequence.promptTokens.length);
  const targets = new Array<number>(length).fill(0);
  for (let j = 0; j < r.length; j++) targets[offset + j] = r[j]!;
  const inputs: Record<string, TensorData> = { target_tokens: int64Tensor(targets) };
  for (const [key, values] of Object.entries(perToken)) {
    const full = new Float32Array(length);
    for (let j = 0; j < r.length; j++) full[offset + j] = values[j]!;
    inputs[key] = float32Tensor(full);
  }
  return {
    model_input: {
      chunks: [...promptChunks(geometry, sequence), { type: 'encoded_text', tokens: r.slice(0, -1) }],
    },
    loss_fn_inputs: inputs,
  };
};

/** A sequence as a Datum; `weights[j]` the weight of response token j (1 for a plain forward). */
export const sequenceDatum = (geometry: ImageGeometry, sequence: SequenceInput, weights: ArrayLike<number>): Datum => responseDatum(geometry, sequence, { weights });

/** A sequence as a Datum of an RL built-in loss: `logprobs` (the behaviour log-probs) and `advantages` per response token. */
export const builtinLossDatum = (geometry: ImageGeometry, sequence: SequenceInput, samplingLogp: ArrayLike<number>, advantages: ArrayLike<number>): Datum =>
  responseDatum(geometry, sequence, { logprobs: samplingLogp, advantages });

const fail = (stage: string, field: string, detail: string, kind: StageError['kind'] = 'invalid'): E.Either<StageError, never> => E.left(new StageError(stage, field, null, kind, detail));

/** The element values of a dense tensor, checked against the length it must have. */
export const tensorValues = (stage: string, field: string, tensor: TensorData | undefined, length: number): E.Either<StageError, readonly number[]> => {
  if (tensor === undefined) return fail(stage, field, 'is missing');
  const shape = tensor.shape ?? [tensor.data.length];
  if (shape.reduce((a, b) => a * b, 1) !== tensor.data.length) return fail(stage, `${field}.shape`, `is [${shape.join(', ')}], which does not hold ${tensor.data.length} values`, 'length-mismatch');
  if (tensor.data.length !== length) return fail(stage, field, `has ${tensor.data.length} values, expected ${length} (the model input's length)`, 'length-mismatch');
  return E.right(tensor.data);
};

export const decodeImageChunk = (stage: string, field: string, geometry: ImageGeometry, chunk: ImageChunk): E.Either<StageError, Float32Array> => {
  if (chunk.expected_tokens !== undefined && chunk.expected_tokens !== null && chunk.expected_tokens !== geometry.imageTokens) {
    return fail(stage, `${field}.expected_tokens`, `is ${chunk.expected_tokens}, this model takes ${geometry.imageTokens} tokens per image`, 'out-of-range');
  }
  const bytes = new Uint8Array(Buffer.from(chunk.data, 'base64'));
  if (chunk.format === 'png' && geometry.imageEncoding === FLOAT32_RGBA) {
    const png = decodeRgba8Png(bytes);
    if (E.isLeft(png)) return fail(stage, `${field}.data`, png.left.message);
    if (png.right.width === geometry.imageSize * 3 && png.right.height === geometry.imageSize) {
      const values = new Float32Array(geometry.imageSize * geometry.imageSize * 3);
      const view = new DataView(png.right.data.buffer, png.right.data.byteOffset, png.right.data.byteLength);
      for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
      if (!values.every((v) => Number.isFinite(v))) return fail(stage, `${field}.data`, 'holds a non-finite pixel value', 'not-finite');
      return E.right(values);
    }
  }
  const image = decodeImage(bytes);
  if (E.isLeft(image)) return fail(stage, `${field}.data`, image.left.message);
  if (image.right.width !== geometry.imageSize || image.right.height !== geometry.imageSize) {
    return fail(stage, `${field}.data`, `is ${image.right.width}×${image.right.height}, this model takes ${geometry.imageSize}×${geometry.imageSize} images`, 'out-of-range');
  }
  return E.right(image.right.data);
};

/** A prompt from a model input [image, encoded_text…] (text chunks concatenated). */
export const modelInputPrompt = (stage: string, field: string, geometry: ImageGeometry, input: ModelInput): E.Either<StageError, PromptInput> => {
  const [first, ...rest] = input.chunks;
  if (first === undefined || first.type !== 'image') return fail(stage, `${field}.chunks[0]`, 'expected an image chunk first (this model reads one image, then text)');
  const image = decodeImageChunk(stage, `${field}.chunks[0]`, geometry, first);
  if (E.isLeft(image)) return image;
  const tokens: number[] = [];
  for (let i = 0; i < rest.length; i++) {
    const chunk = rest[i]!;
    if (chunk.type !== 'encoded_text') return fail(stage, `${field}.chunks[${i + 1}]`, 'expected encoded_text (one image per input)');
    tokens.push(...chunk.tokens);
  }
  return E.right({ image: image.right, promptTokens: tokens });
};

/**
 * A sequence from a Datum, with the weight of each response token. The prompt/response boundary
 * is the last chunk boundary when the text comes in two chunks (as `sequenceDatum` sends it);
 * with one text chunk, the response starts at the first position of non-zero weight.
 */
export const datumSequence = (
  stage: string,
  field: string,
  geometry: ImageGeometry,
  datum: Datum,
): E.Either<StageError, { readonly sequence: SequenceInput; readonly weights: readonly number[] }> => {
  const chunks = datum.model_input.chunks;
  const texts = chunks.slice(1);
  const prompt = modelInputPrompt(stage, `${field}.model_input`, geometry, datum.model_input);
  if (E.isLeft(prompt)) return prompt;
  const all = prompt.right.promptTokens;
  const length = geometry.imageTokens + all.length;
  const targets = tensorValues(stage, `${field}.loss_fn_inputs.target_tokens`, datum.loss_fn_inputs['target_tokens'], length);
  if (E.isLeft(targets)) return targets;
  const weights = datum.loss_fn_inputs['weights'] === undefined ? E.right(new Array<number>(length).fill(1)) : tensorValues(stage, `${field}.loss_fn_inputs.weights`, datum.loss_fn_inputs['weights'], length);
  if (E.isLeft(weights)) return weights;
  let promptLength: number;
  if (texts.length >= 2) {
    promptLength = all.length - (texts[texts.length - 1] as { tokens: readonly number[] }).tokens.length;
  } else {
    const first = weights.right.findIndex((w, i) => i >= geometry.imageTokens && w !== 0);
    if (first < 0) return fail(stage, `${field}.loss_fn_inputs.weights`, 'are all 0 with one text chunk: nothing marks where the response starts', 'empty');
    promptLength = first - geometry.imageTokens + 1;
  }
  if (promptLength < 1) return fail(stage, `${field}.model_input`, 'has no prompt token before the response', 'empty');
  const offset = responseOffset(geometry, promptLength);
  const responseTokens = targets.right.slice(offset);
  if (!responseTokens.every((x) => Number.isSafeInteger(x) && x >= 0)) return fail(stage, `${field}.loss_fn_inputs.target_tokens`, 'expected non-negative integers', 'not-integer');
  for (let j = 0; j + 1 < responseTokens.length; j++) {
    if (all[promptLength + j] !== responseTokens[j]) {
      return fail(stage, `${field}.loss_fn_inputs.target_tokens`, `position ${offset + j} is ${responseTokens[j]}, but the next input token is ${all[promptLength + j]} (targets are the inputs shifted by one)`);
    }
  }
  return E.right({
    sequence: { image: prompt.right.image, promptTokens: all.slice(0, promptLength), responseTokens },
    weights: weights.right.slice(offset),
  });
};
